// Package blocking implements XEP-0191 Blocking Command 1.3 (urn:xmpp:blocking): the
// user's block list (get, block, unblock, unblock all), pushes of every change to the
// resources that asked for the list, and its enforcement in both directions (enforce.go).
//
// Entries match as XEP-0191 §6 says: a full JID matches only itself, a bare JID any of its
// resources, domain/resource only itself, and a domain the domain, its users, its
// resources and its subdomains. Stanzas from a blocked JID to the user are not delivered:
// presence is dropped, messages and IQ requests are answered with service-unavailable, so
// the user looks offline (§3.3). Stanzas from the user to a blocked JID are refused with
// not-acceptable and <blocked xmlns='urn:xmpp:blocking:errors'/>; presence and
// notifications the server routes on the user's behalf (broadcasts, probes) are dropped.
// When a contact allowed to see the user's presence is blocked it gets unavailable
// presence from each available resource, and the user's presence again when unblocked.
// The account's own resources and the server's own address are never blocked: neither is
// a contact, and blocking the server would cut the user off from it.
//
// The filters run for every stanza, so the lists of accounts with bound resources are
// kept in memory: read on first use, dropped on every change and with the account's last
// session (Module.list). At most MaxItems entries per account.
//
// When the store cannot be read, stanzas are let through and the error is logged: a
// broken disk must not cut every conversation.
//
// Not implemented: XEP-0377 spam reports; the unavailable presence on block goes only to
// roster contacts, not to JIDs that got directed presence.
//
// Lock order: Module.mu is never held while the store, the session registry or a
// connection is called.
package blocking

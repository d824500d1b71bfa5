// Package component accepts external components, such as XMPP gateways to other networks,
// over the Jabber Component Protocol (XEP-0114 v1.6, jabber:component:accept).
//
// A component connects, names the domain it wants to serve in its stream header, and
// proves it knows that domain's shared secret with <handshake/> (SHA-1 of the stream id
// and the secret, in lower-case hex). The secrets come from a Secrets store, read on each
// handshake, so a component added while the server runs can connect at once. From then
// on the component may send stanzas from its domain or any JID at it, and the router
// hands it every stanza addressed to exactly that domain (not to its subdomains).
//
// Stanzas travel as they are: the component's jabber:component:accept elements become
// jabber:client inside the server and go back the other way on its stream, and nothing
// else is rewritten, so gateway protocols such as XEP-0100 registration and the roster
// items and subscriptions they bring pass through untouched.
//
// Choices where XEP-0114 leaves room:
//   - an unknown domain and a wrong secret both end in not-authorized after the
//     handshake, so a stranger cannot learn which domains are configured (XEP-0114 §3
//     suggests host-unknown at the header, which tells them);
//   - a stream header without 'to' is improper-addressing, and one whose 'to' is not a
//     bare domain host-unknown, as in Prosody;
//   - a second connection for a domain already connected is refused with conflict and
//     the first one stays, as Prosody does by default (component_conflict_resolve =
//     "kick_new"): a misconfigured second instance cannot silently take over a gateway;
//   - a stanza without 'from' is stamped with the component's domain, as Prosody does
//     for old components; a 'from' at another domain ends the stream with invalid-from;
//   - a stanza without 'to' is answered with a bad-request error and not routed;
//   - while a configured component is not connected, IQ requests and messages for its
//     domain bounce with service-unavailable; presence is dropped, as for an offline
//     contact.
//
// Not implemented: the "connect" method (the server dialling the component), TLS on the
// component stream (components run on the same host; the listener defaults to loopback),
// and XEP-0225.
//
// Locks: a connection's wmu may be held while taking the Server's mu (when a component
// is bound after its handshake), never the other way round.
package component

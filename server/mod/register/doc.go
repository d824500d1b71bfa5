// Package register serves in-band registration (XEP-0077, version 2.4): creating an
// account from a client before it authenticates, and, once logged in, changing the
// password (§3.3) and cancelling the registration, which deletes the account with
// everything it owns and ends its sessions (§3.2).
//
// Registration is off unless Options.Enabled; it can be limited to clients that present
// an invitation token first (Options.InviteOnly): pre-authenticated in-band registration,
// XEP-0445 version 0.2, with the <preauth xmlns='urn:xmpp:pars:0'/> element of XEP-0379,
// for the xmpp:DOMAIN?register;preauth=TOKEN links of XEP-0401 §4.5. A token is checked,
// expiry included, when it is presented, and used up only by the registration it allows.
// Registrations without an invitation are limited per source address and hour.
//
// Registration happens on the unauthenticated stream: c2s hands this module each such
// stream through Module.Open (see c2s.PreAuth) and knows nothing of what it does.
//
// Not implemented: the obsolete <key/> element (§7); fields other than username and
// password (the server keeps none); data forms in the answers (§4 makes them optional;
// submitted forms are read); roster subscription with the inviter (XEP-0379 §3.4, XEP-0401
// §4.6) and reserving an invitation's preset user name against other registrations
// (XEP-0445 §5), both left to the invitations issue (#6); cancelling the contacts'
// subscriptions when an account is removed (§3.2 SHOULD), which the operator's account
// deletion does not do either.
package register

// Package carbons implements XEP-0280 Message Carbons 1.0 (urn:xmpp:carbons:2): a
// resource that enabled carbons gets a <sent/> copy of each eligible message its
// account's other resources send, and a <received/> copy of each eligible message its
// account received on other resources only. Which messages are eligible follows the
// rules of XEP-0280 §6 that the feature urn:xmpp:carbons:rules:0 advertises (copy.go).
//
// A message with <private xmlns='urn:xmpp:carbons:2'/> or the XEP-0334 hint
// <no-copy xmlns='urn:xmpp:hints'/> is never copied; the private element is removed
// before the message reaches the recipient (XEP-0280 §8).
//
// Not implemented: carbons of error replies to earlier eligible messages, which would need
// message tracking (§6 allows an approximation: errors from a bare JID are copied);
// Multi-Session Nick limits for MUC private messages (there is no MUC yet). A message that
// went to offline storage is not copied either, even to carbons-enabled resources with a
// negative priority: it reaches them with the offline messages or the archive, and a copy
// now would show it twice.
//
// Lock order: Module.mu may be held while the session registry is read, never while a
// connection is called.
package carbons

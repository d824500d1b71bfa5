// Package presence implements presence (RFC 6121 §4) and presence subscriptions (§3):
// broadcast of available and unavailable presence to subscribers, probes on initial
// presence, directed presence, and the subscription handshake driven through the roster's
// state machine (roster.Transition), with roster pushes on every change.
//
// Not implemented: subscription pre-approval (§3.4) and presence to remote domains
// (federation comes with the s2s layer).
package presence

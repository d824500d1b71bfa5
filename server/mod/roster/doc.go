// Package roster serves the roster (RFC 6121 §2): get with versioning (§2.6), set, remove,
// and pushes to interested resources. It also owns the presence subscription state machine
// of RFC 6121 Appendix A (subscription.go), which the presence module drives.
//
// Not implemented: subscription pre-approval (§3.4), roster delta pushes on a version
// mismatch (the full roster is returned instead, which §2.6.3 allows).
package roster

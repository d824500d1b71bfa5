// Package admin is xmppbox's control plane: one [Service] that manages accounts (and, while
// the server runs, their sessions) for every front end — the CLI, the local admin API, and
// later the web page and XMPP ad-hoc commands. Front ends never reach the store or the
// server directly.
//
// The stores it needs are interfaces defined here ([AccountStore]) and implemented in
// embeddb. Errors for a missing or duplicate account wrap fs.ErrNotExist and fs.ErrExist;
// invalid input wraps [ErrInvalid].
package admin

// Package cli is the xmppbox command line: one cobra command tree built per call by [New],
// with one file per command group (init, serve, user, invite, room, cert, version).
//
// The forms documented in issue 3 are a scripting contract: results go to stdout, messages
// and prompts to stderr, and failures give a non-zero exit status with a message that says
// what to do next. The user commands work on a running server through its admin socket and
// on a stopped one by opening the store directly (Badger lets one process open it).
package cli

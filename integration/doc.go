// Package integration tests the xmppbox binary end to end: it builds the real binary once per
// run, starts it on 127.0.0.1 with free ports and a temporary data directory, and drives it
// with real client software (mellium.im/xmpp in Go, slixmpp and go-sendxmpp through exec) and
// with raw XML transcripts for input no client sends.
//
// Everything lives in _test.go files; this file only names the package. Run it with
// `go test ./integration/...` (scripts/test does). A client that is not installed fails its
// test; it is never skipped.
package integration

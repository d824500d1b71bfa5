// Package peertest holds the conformance tests every federation peer store runs (Run) and
// a small in-memory store for unit tests of the admin service, API and CLI (NewMemPeers).
//
// It does not import package admin, so admin's own tests may use it.
package peertest

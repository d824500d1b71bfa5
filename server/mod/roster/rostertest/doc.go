// Package rostertest holds the conformance tests every roster.Store backend
// runs (Run) and a small in-memory roster.Store for unit tests of the roster
// module (NewMemStore).
//
// It imports package roster, so tests that use it must be in package
// roster_test, not package roster.
package rostertest

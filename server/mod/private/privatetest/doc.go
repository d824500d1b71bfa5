// Package privatetest holds the conformance tests every private.Store backend runs (Run)
// and a small in-memory private.Store for unit tests of the private module (NewMemStore).
//
// It imports package private, so tests that use it must be in package private_test, not
// package private.
package privatetest

// Package offlinetest holds the conformance tests every offline.Store backend
// runs (Run) and a small in-memory offline.Store for unit tests of the
// offline module (NewMemStore).
//
// It imports package offline, so tests that use it must be in package
// offline_test, not package offline.
package offlinetest

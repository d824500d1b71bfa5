// Package blockingtest holds the conformance tests every blocking.Store backend runs
// (Run) and a small in-memory blocking.Store for unit tests of the blocking module
// (NewMemStore).
//
// It imports package blocking, so tests that use it must be in package blocking_test,
// not package blocking.
package blockingtest

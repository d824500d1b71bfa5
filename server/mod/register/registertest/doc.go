// Package registertest holds the conformance tests every invitation store runs (Run) and
// a small in-memory store for unit tests of the register module (NewMemInvites).
//
// It imports package register, so tests that use it must be in package register_test,
// not package register.
package registertest

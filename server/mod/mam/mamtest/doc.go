// Package mamtest holds the conformance tests every mam.Archive backend runs (Run) and a
// small in-memory mam.Archive for unit tests of the mam module (NewMemStore).
//
// It imports package mam, so tests that use it must be in package mam_test, not
// package mam.
package mamtest

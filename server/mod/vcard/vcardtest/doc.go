// Package vcardtest holds the conformance tests every vcard.Store backend runs (Run) and a
// small in-memory vcard.Store for unit tests of the vcard module (NewMemStore).
//
// It imports package vcard, so tests that use it must be in package vcard_test, not
// package vcard.
package vcardtest

// Package componenttest holds the conformance tests every component secret store runs
// (Run) and a small in-memory store for unit tests (NewMemSecrets).
//
// It imports package component, so tests that use it must be in package component_test,
// not package component.
package componenttest

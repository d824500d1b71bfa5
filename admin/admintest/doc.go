// Package admintest provides an in-memory admin.AccountStore for tests of the packages
// that use admin.Service; it is a fake, not a conformance test of the real stores.
package admintest

package pep

import "time"

// SetNow replaces the module's clock, for tests that check timestamps.
func SetNow(m *Module, now func() time.Time) { m.now = now }

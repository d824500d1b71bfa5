package register

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		ip   string
		at   time.Duration // after t0
		want bool
	}{
		{"first", "192.0.2.1", 0, true},
		{"second", "192.0.2.1", time.Minute, true},
		{"third refused", "192.0.2.1", 2 * time.Minute, false},
		{"another address", "192.0.2.2", 2 * time.Minute, true},
		{"refused until the first leaves the window", "192.0.2.1", time.Hour - time.Nanosecond, false},
		{"the first left the window", "192.0.2.1", time.Hour, true},
		{"full again", "192.0.2.1", time.Hour + time.Second, false},
		{"all gone", "192.0.2.1", 3 * time.Hour, true},
	}
	l := newLimiter(2, time.Hour)
	for _, s := range steps {
		if got := l.take(s.ip, t0.Add(s.at)); got != s.want {
			t.Fatalf("%s: take(%s, +%v) = %v, want %v", s.name, s.ip, s.at, got, s.want)
		}
	}
}

// TestLimiterForgets: addresses that registered once and never again do not pile up.
func TestLimiterForgets(t *testing.T) {
	t0 := time.Now()
	l := newLimiter(1, time.Hour)
	for i := range maxTracked {
		l.take(fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0)
	}
	l.take("192.0.2.1", t0.Add(2*time.Hour))
	if n := len(l.hits); n != 1 {
		t.Errorf("after the window passed, %d addresses are tracked, want 1", n)
	}
}

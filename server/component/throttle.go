package component

import (
	"sync"
	"time"
)

// throttle counts failed handshakes per source address in fixed windows.
type throttle struct {
	limit  int
	window time.Duration

	mu       sync.Mutex
	failures map[string]window // by source address; guarded by mu
}

type window struct {
	start time.Time
	count int
}

func newThrottle(limit int, d time.Duration) *throttle {
	return &throttle{limit: limit, window: d, failures: make(map[string]window)}
}

// blocked reports whether handshakes from ip are refused now.
func (t *throttle) blocked(ip string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current(ip, now).count >= t.limit
}

// fail records a failed handshake from ip and reports whether it was the one that
// reached the limit.
func (t *throttle) fail(ip string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.current(ip, now)
	if w.count == 0 {
		w.start = now
	}
	w.count++
	t.failures[ip] = w
	if len(t.failures) > 10000 {
		t.prune(now)
	}
	return w.count == t.limit
}

// current returns ip's window, empty once it has passed. Call with mu held.
func (t *throttle) current(ip string, now time.Time) window {
	w, ok := t.failures[ip]
	if ok && now.Sub(w.start) >= t.window {
		delete(t.failures, ip)
		return window{}
	}
	return w
}

// prune bounds the map when many sources fail once and never come back. Call with mu held.
func (t *throttle) prune(now time.Time) {
	for ip := range t.failures {
		t.current(ip, now)
	}
}

package c2s

import (
	"sync"
	"time"
)

// throttle counts failed logins per source address and per account over a sliding
// window, so password guessing slows to a few tries a minute from any one place or
// against any one account.
type throttle struct {
	perIP, perUser int
	window         time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time // key "ip:"+addr or "user:"+name; guarded by mu
}

func newThrottle(perIP, perUser int, window time.Duration) *throttle {
	return &throttle{perIP: perIP, perUser: perUser, window: window, failures: make(map[string][]time.Time)}
}

// blocked reports whether a login from ip (for user, if known) must be refused now.
func (t *throttle) blocked(ip, user string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent("ip:"+ip, now) >= t.perIP {
		return true
	}
	return user != "" && t.recent("user:"+user, now) >= t.perUser
}

// fail records a failed login.
func (t *throttle) fail(ip, user string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add("ip:"+ip, now)
	if user != "" {
		t.add("user:"+user, now)
	}
	if len(t.failures) > 10000 {
		t.prune(now)
	}
}

func (t *throttle) add(k string, now time.Time) {
	t.recent(k, now)
	t.failures[k] = append(t.failures[k], now)
}

// recent drops expired entries of k and returns how many remain. Call with mu held.
func (t *throttle) recent(k string, now time.Time) int {
	list := t.failures[k]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.window {
		i++
	}
	if i == len(list) {
		delete(t.failures, k)
		return 0
	}
	t.failures[k] = list[i:]
	return len(list) - i
}

// prune bounds the map when many sources fail once and never come back. Call with mu held.
func (t *throttle) prune(now time.Time) {
	for k := range t.failures {
		t.recent(k, now)
	}
}

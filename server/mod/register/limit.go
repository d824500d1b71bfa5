package register

import (
	"sync"
	"time"
)

// maxTracked bounds the addresses the limiter remembers before it drops expired entries.
const maxTracked = 10000

// limiter counts registrations per source address over a sliding window, so one host
// cannot create accounts in bulk (XEP-0077 §3.1.1 lets a server refuse "too many").
type limiter struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	hits map[string][]time.Time // oldest first, by address; guarded by mu
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, hits: make(map[string][]time.Time)}
}

// take counts one registration from ip at now and reports true, or reports false, counting
// nothing, when ip has reached the maximum within the window.
func (l *limiter) take(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recent(ip, now) >= l.max {
		return false
	}
	if len(l.hits) >= maxTracked {
		for k := range l.hits {
			l.recent(k, now)
		}
	}
	l.hits[ip] = append(l.hits[ip], now)
	return true
}

// recent drops ip's entries older than the window and returns how many remain. Call with
// mu held.
func (l *limiter) recent(ip string, now time.Time) int {
	list := l.hits[ip]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= l.window {
		i++
	}
	if i == len(list) {
		delete(l.hits, ip)
		return 0
	}
	l.hits[ip] = list[i:]
	return len(list) - i
}

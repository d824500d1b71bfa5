package webadmin

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

const (
	// maxLoginFailures failed logins within loginWindow, from one client or for one name,
	// lock further attempts until the oldest of them is loginWindow old.
	maxLoginFailures = 5
	loginWindow      = 15 * time.Minute
)

// throttle counts failed password checks per key (a client address or a user name) in a
// sliding window.
type throttle struct {
	limit  int
	window time.Duration

	mu        sync.Mutex
	failures  map[string][]time.Time // guarded by mu; oldest first, at most limit each
	lastSweep time.Time              // guarded by mu
}

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, failures: make(map[string][]time.Time)}
}

// attempt is a password check in progress, counted as a failure until it succeeds.
type attempt struct {
	keys []string
	at   time.Time
}

// begin starts a password check for keys at now. If any key has used up its failures it
// returns false and when the first of them frees up. Otherwise the attempt counts as a
// failure at once, so concurrent guesses cannot all slip in before the first fails; the
// caller calls forgive if the password was right.
func (t *throttle) begin(now time.Time, keys ...string) (attempt, time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) >= t.window {
		for k, l := range t.failures {
			if now.Sub(l[len(l)-1]) >= t.window {
				delete(t.failures, k)
			}
		}
		t.lastSweep = now
	}
	var retry time.Time
	for _, k := range keys {
		l := t.recent(k, now)
		if len(l) >= t.limit {
			if free := l[0].Add(t.window); free.After(retry) {
				retry = free
			}
		}
	}
	if !retry.IsZero() {
		return attempt{}, retry, false
	}
	for _, k := range keys {
		t.failures[k] = append(t.recent(k, now), now)
	}
	return attempt{keys: keys, at: now}, time.Time{}, true
}

// recent returns k's failures within the window, dropping older ones. t.mu is held.
func (t *throttle) recent(k string, now time.Time) []time.Time {
	l := t.failures[k]
	i := 0
	for i < len(l) && now.Sub(l[i]) >= t.window {
		i++
	}
	l = l[i:]
	if len(l) == 0 {
		delete(t.failures, k)
		return nil
	}
	t.failures[k] = l
	return l
}

// forgive takes back a begun attempt: the password was right, or the check never ran.
func (t *throttle) forgive(a attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range a.keys {
		l := t.failures[k]
		for i := len(l) - 1; i >= 0; i-- {
			if l[i].Equal(a.at) {
				l = append(l[:i:i], l[i+1:]...)
				break
			}
		}
		if len(l) == 0 {
			delete(t.failures, k)
		} else {
			t.failures[k] = l
		}
	}
}

// throttleKeys are the keys a password check for name from r counts against.
func throttleKeys(r *http.Request, name, domain string) []string {
	return []string{"ip " + clientNet(r), "user " + userKey(name, domain)}
}

// clientAddr is the client's IP address, for the log.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientNet is the client's address for throttling: an IPv4 address, or the /64 around an
// IPv6 one, since one IPv6 host usually has a whole /64 to pick addresses from.
func clientNet(r *http.Request) string {
	ip, err := netip.ParseAddr(clientAddr(r))
	if err != nil {
		return clientAddr(r)
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// userKey normalises a login name roughly the way the server does ("Alice",
// "alice@DOMAIN" and "alice@domain/x" are one account), so spelling a name differently
// does not buy more guesses. The Backend applies the full PRECIS rules; this needs only to
// catch the easy variants.
func userKey(name, domain string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	name, _, _ = strings.Cut(name, "/")
	if local, d, ok := strings.Cut(name, "@"); ok && d == strings.ToLower(domain) {
		name = local
	}
	return name
}

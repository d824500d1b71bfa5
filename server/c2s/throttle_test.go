package c2s

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name     string
		failures []struct{ ip, user string }
		at       time.Duration // when blocked is asked, after start
		ip, user string
		want     bool
	}{
		{name: "fresh source", ip: "192.0.2.1", want: false},
		{name: "source at its limit", failures: repeat("192.0.2.1", "", 3), ip: "192.0.2.1", want: true},
		{name: "other source unaffected", failures: repeat("192.0.2.1", "", 3), ip: "192.0.2.2", want: false},
		{name: "account at its limit from anywhere", failures: repeatUsers("alice", 2), ip: "192.0.2.9", user: "alice", want: true},
		{name: "other account unaffected", failures: repeatUsers("alice", 2), ip: "192.0.2.9", user: "bob", want: false},
		{name: "window passed", failures: repeat("192.0.2.1", "", 3), at: time.Minute, ip: "192.0.2.1", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newThrottle(3, 2, time.Minute)
			for _, f := range tc.failures {
				th.fail(f.ip, f.user, start)
			}
			if got := th.blocked(tc.ip, tc.user, start.Add(tc.at)); got != tc.want {
				t.Errorf("blocked(%s, %q) = %v, want %v", tc.ip, tc.user, got, tc.want)
			}
		})
	}
}

func repeat(ip, user string, n int) []struct{ ip, user string } {
	out := make([]struct{ ip, user string }, n)
	for i := range out {
		out[i].ip, out[i].user = ip, user
	}
	return out
}

// repeatUsers fails against one account from a different address each time.
func repeatUsers(user string, n int) []struct{ ip, user string } {
	out := make([]struct{ ip, user string }, n)
	for i := range out {
		out[i].ip, out[i].user = "198.51.100."+string(rune('1'+i)), user
	}
	return out
}

package c2s

import "sync/atomic"

// stanzaKinds are the stanza kinds counted, in the order of Stats' arrays.
var stanzaKinds = [...]string{"message", "presence", "iq"}

// counters count what every connection of a Server does, for the admin status and
// metrics. One atomic add per stanza is cheap next to encoding it.
type counters struct {
	in, out      [len(stanzaKinds)]atomic.Uint64
	authOK       atomic.Uint64
	authFailures atomic.Uint64
}

func kindIndex(local string) int {
	switch local {
	case "message":
		return 0
	case "presence":
		return 1
	case "iq":
		return 2
	}
	return -1
}

func (c *counters) count(arr *[len(stanzaKinds)]atomic.Uint64, local string) {
	if i := kindIndex(local); i >= 0 {
		arr[i].Add(1)
	}
}

// Stats is a snapshot of a Server's counters since it started.
type Stats struct {
	Connections   int               // open client connections
	StanzasIn     map[string]uint64 // by kind: message, presence, iq
	StanzasOut    map[string]uint64 // by kind, queued to clients
	AuthSuccesses uint64
	AuthFailures  uint64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:   s.Count(),
		StanzasIn:     make(map[string]uint64, len(stanzaKinds)),
		StanzasOut:    make(map[string]uint64, len(stanzaKinds)),
		AuthSuccesses: s.stats.authOK.Load(),
		AuthFailures:  s.stats.authFailures.Load(),
	}
	for i, k := range stanzaKinds {
		st.StanzasIn[k] = s.stats.in[i].Load()
		st.StanzasOut[k] = s.stats.out[i].Load()
	}
	return st
}

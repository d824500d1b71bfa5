package admin

import (
	"context"
	"sync"
	"time"
	"xmppbox/server/s2s"
)

// Status summarises the box for its operator.
type Status struct {
	Domain  string
	Version string
	Running bool // a server is attached
	Started time.Time
	Users   int
	// OnlineUsers counts accounts with at least one session; Connections counts open
	// client connections, authenticated or not.
	OnlineUsers      int
	Connections      int
	Sessions         []Session
	StanzasPerSecond float64 // received from clients, over the last minute
	StoreBytes       int64   // 0 when unknown
	CertExpiry       time.Time
	AuthFailures     uint64 // since the server started
	// Links are the server-to-server links and recent failures to link; nil when
	// federation is off.
	Links []s2s.LinkInfo
}

// Status returns the current Status. Admins only.
func (s *Service) Status(ctx context.Context) (Status, error) {
	if _, err := s.authorize(ctx, "status"); err != nil {
		return Status{}, err
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Domain: s.domain, Version: Version(), Running: s.sessions != nil, Users: len(users), Sessions: s.Sessions()}
	st.OnlineUsers = len(s.onlineCounts())
	if s.sessions != nil {
		stats := s.sessions.Stats()
		st.Started, st.Connections, st.AuthFailures = stats.Started, stats.Connections, stats.AuthFailures
		st.StanzasPerSecond = s.history.rate()
	}
	if s.storeSize != nil {
		st.StoreBytes = s.storeSize()
	}
	if s.federation != nil {
		st.Links = s.federation.Links()
	}
	if s.certExpiry != nil {
		if t, err := s.certExpiry(); err == nil {
			st.CertExpiry = t
		}
	}
	return st, nil
}

// Sample is the server's activity in one minute.
type Sample struct {
	Time        time.Time // end of the minute
	Connections int       // open client connections at that time
	Messages    uint64    // message stanzas received from clients during the minute
	Stanzas     uint64    // all stanzas received from clients during the minute
}

// historyLen is an hour of one-minute samples.
const historyLen = 60

// sampleInterval is how often Run samples the server.
const sampleInterval = time.Minute

// history keeps the last hour of samples in a ring.
type history struct {
	mu      sync.Mutex
	samples []Sample // oldest first, at most historyLen; guarded by mu
	last    ServerStats
	lastAt  time.Time
}

func newHistory() *history { return &history{} }

func total(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// add records the minute that ends at now from the counters' new values.
func (h *history) add(now time.Time, st ServerStats) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.lastAt.IsZero() {
		h.samples = append(h.samples, Sample{
			Time:        now,
			Connections: st.Connections,
			Messages:    st.StanzasIn["message"] - h.last.StanzasIn["message"],
			Stanzas:     total(st.StanzasIn) - total(h.last.StanzasIn),
		})
		if len(h.samples) > historyLen {
			h.samples = h.samples[len(h.samples)-historyLen:]
		}
	}
	h.last, h.lastAt = st, now
}

// rate is the stanzas received per second in the last sampled minute.
func (h *history) rate() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.samples) == 0 {
		return 0
	}
	return float64(h.samples[len(h.samples)-1].Stanzas) / sampleInterval.Seconds()
}

func (h *history) list() []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Sample(nil), h.samples...)
}

// History returns the last hour of samples, oldest first. Admins only.
func (s *Service) History(ctx context.Context) ([]Sample, error) {
	if _, err := s.authorize(ctx, "status history"); err != nil {
		return nil, err
	}
	return s.history.list(), nil
}

// Run samples the server's counters every minute for History until ctx is done. It
// returns at once when no server is attached.
func (s *Service) Run(ctx context.Context) {
	if s.sessions == nil {
		return
	}
	s.history.add(time.Now(), s.sessions.Stats())
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.history.add(now, s.sessions.Stats())
		}
	}
}

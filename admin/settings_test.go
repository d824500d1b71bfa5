package admin

import (
	"errors"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	f := newWebFixture(t)
	root := AsUser(t.Context(), rootJID)
	if _, ok, err := StoredSettings(t.Context(), f.settings); ok || err != nil {
		t.Errorf("StoredSettings before any change = %v, %v; want none", ok, err)
	}
	if got, err := f.s.Settings(root); err != nil || got != (Settings{Registration: RegistrationClosed, MAMRetention: 24 * time.Hour}) {
		t.Errorf("Settings = %+v, %v", got, err)
	}
	bad := []Settings{
		{Registration: "sometimes", MAMRetention: 48 * time.Hour},
		{Registration: RegistrationOpen, MAMRetention: time.Hour},
		{Registration: RegistrationOpen, MAMRetention: MaxRetention + time.Hour},
	}
	for _, st := range bad {
		if err := f.s.SetSettings(root, st); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetSettings(%+v): err = %v, want ErrInvalid", st, err)
		}
	}
	if f.settings.v != nil || f.live.mode != RegistrationClosed {
		t.Errorf("refused settings were applied: stored %s, live %+v", f.settings.v, f.live)
	}
	want := Settings{Registration: RegistrationInvite, MAMRetention: 30 * 24 * time.Hour}
	if err := f.s.SetSettings(root, want); err != nil {
		t.Fatal(err)
	}
	if f.live.mode != RegistrationInvite || f.live.retention != want.MAMRetention {
		t.Errorf("live settings = %+v, want %+v", f.live, want)
	}
	if got, ok, err := StoredSettings(t.Context(), f.settings); !ok || err != nil || got != want {
		t.Errorf("StoredSettings = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	f.settings.v = []byte(`{"registration":"maybe","mam_retention":1}`)
	if _, _, err := StoredSettings(t.Context(), f.settings); err == nil {
		t.Error("StoredSettings accepted invalid stored values")
	}
}

func TestSettingsNeedRunningServer(t *testing.T) {
	s, _ := newService(t, nil)
	if _, err := s.Settings(AsOperator(t.Context())); err == nil {
		t.Error("Settings without a server succeeded")
	}
}

func TestHistory(t *testing.T) {
	h := newHistory()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stats := func(conns int, msgs, iqs uint64) ServerStats {
		return ServerStats{Connections: conns, StanzasIn: map[string]uint64{"message": msgs, "iq": iqs}}
	}
	h.add(start, stats(1, 10, 5))
	if h.rate() != 0 || len(h.list()) != 0 {
		t.Errorf("after the first sample: rate %v, %d samples; want none yet", h.rate(), len(h.list()))
	}
	for i := 1; i <= historyLen+5; i++ {
		h.add(start.Add(time.Duration(i)*time.Minute), stats(i, 10+uint64(i)*60, 5+uint64(i)*60))
	}
	l := h.list()
	if len(l) != historyLen || l[0].Time != start.Add(6*time.Minute) || l[len(l)-1].Connections != historyLen+5 {
		t.Fatalf("history: %d samples from %v; want %d, the newest last", len(l), l[0].Time, historyLen)
	}
	if l[0].Messages != 60 || l[0].Stanzas != 120 {
		t.Errorf("sample = %+v, want 60 messages, 120 stanzas", l[0])
	}
	if h.rate() != 2 {
		t.Errorf("rate = %v stanzas/s, want 2", h.rate())
	}
}

func TestStatus(t *testing.T) {
	f := newWebFixture(t)
	f.s.storeSize = func() int64 { return 4096 }
	st, err := f.s.Status(AsUser(t.Context(), rootJID))
	if err != nil {
		t.Fatal(err)
	}
	if st.Domain != "example.org" || !st.Running || st.Users != 3 || st.OnlineUsers != 1 || st.Connections != 1 ||
		st.StoreBytes != 4096 || st.Version == "" {
		t.Errorf("Status = %+v", st)
	}
}

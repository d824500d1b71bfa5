package webadmin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/server/s2s"
)

// sampleHour is an hour of samples, one a minute, ending at now.
func sampleHour(now time.Time) []admin.Sample {
	var l []admin.Sample
	for i := 59; i >= 0; i-- {
		l = append(l, admin.Sample{Time: now.Add(-time.Duration(i) * time.Minute), Connections: 3 + i%5, Messages: uint64(i * 2)})
	}
	return l
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	e.fake.history = sampleHour(e.clock.Now())
	e.fake.addSession(e.alice+"/phone", "203.0.113.5:5222")
	r := e.adminClient().get("/")
	wantStatus(t, r, http.StatusOK, "dashboard")
	wantBody(t, r,
		"v0.test", "2 days, 2 hours", // uptime of the fake's 50 hours
		`id="stat-users">2<`, `id="stat-connections">1<`, "3.0 MiB", "2.5", "in 80 days",
		`role="img"`, `<title id="chart-connections-title">`, `<desc id="chart-messages-desc">`,
		"Connections over the last hour: 3 now, between 3 and 7.",
		"Messages over the last hour: 3540 in all, 0 in the last minute, at most 118 in one minute.",
		`<table id="history">`)
}

func TestDashboardLinks(t *testing.T) {
	e := newEnv(t)
	e.fake.links = []s2s.LinkInfo{
		{Local: "example.test", Remote: "other.test", TLSVersion: "TLS 1.3", Auth: "sasl-external", CertExpiry: e.clock.Now().Add(24 * time.Hour)},
		{Remote: "down.test", LastError: "cannot reach down.test: connection refused"},
	}
	r := e.adminClient().get("/")
	wantStatus(t, r, http.StatusOK, "dashboard")
	wantBody(t, r, `<table id="links">`, "other.test", "outgoing", "TLS 1.3, sasl-external", "down.test", "connection refused")
}

func TestDashboardNoHistory(t *testing.T) {
	e := newEnv(t)
	r := e.adminClient().get("/")
	wantStatus(t, r, http.StatusOK, "dashboard")
	if strings.Contains(r.body, "<polyline") {
		t.Error("a chart without data")
	}
}

func TestChart(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	samples := []admin.Sample{
		{Time: now.Add(-90 * time.Minute), Connections: 100}, // older than the hour: left out
		{Time: now.Add(-60 * time.Minute), Connections: 0},
		{Time: now.Add(-30 * time.Minute), Connections: 8},
		{Time: now, Connections: 4},
	}
	c := connectionCharts(samples)[0]
	if c.Empty {
		t.Fatal("chart empty")
	}
	// x from 48 to 588, y from 144 (zero) to 12 (the top, 10).
	if want := "48,144 318,38.4 588,91.2"; c.Line != want {
		t.Errorf("line %q, want %q", c.Line, want)
	}
	if c.Grid[2].Label != "10" || c.Grid[1].Label != "5" || c.Grid[0].Label != "0" {
		t.Errorf("grid %+v", c.Grid)
	}
	if want := "Connections over the last hour: 4 now, between 0 and 8."; c.Summary != want {
		t.Errorf("summary %q, want %q", c.Summary, want)
	}
	if e := connectionCharts(nil)[0]; !e.Empty {
		t.Error("chart of nothing not empty")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.5: 1, 1: 1, 3: 5, 7: 10, 10: 10, 11: 20, 180: 200, 201: 500, 4999: 5000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%g) = %g, want %g", in, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 20: "3.0 MiB", 5<<30 + 1<<29: "5.5 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		10 * time.Second:              "less than a minute",
		time.Minute:                   "1 minute",
		90 * time.Minute:              "1 hour, 30 minutes",
		2 * time.Hour:                 "2 hours",
		50 * time.Hour:                "2 days, 2 hours",
		80 * 24 * time.Hour:           "80 days",
		24*time.Hour + 59*time.Minute: "1 day",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestQR(t *testing.T) {
	q, err := newQR("xmpp:example.org?register;preauth=ABCDEFGHIJKLMNOPQRSTUVWXYZ", "label")
	if err != nil {
		t.Fatal(err)
	}
	// A version-n code has 17+4n modules a side, plus a 4-module quiet zone each side.
	if (q.Size-8-17)%4 != 0 || q.Size < 29 {
		t.Errorf("size %d is not a QR code's", q.Size)
	}
	if !strings.HasPrefix(q.Path, "M") || strings.Count(q.Path, "z") < 50 {
		t.Errorf("path %.60q", q.Path)
	}
	// The quiet zone stays light: nothing is drawn in the first four rows.
	if strings.Contains(q.Path, " 0h") || strings.Contains(q.Path, " 3h") {
		t.Error("dark modules in the quiet zone")
	}
}

package integration

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// metricValue reads one sample of the Prometheus text format, or -1 when it is missing.
func metricValue(body, sample string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", resp.StatusCode, err)
	}
	return string(body)
}

// TestMetrics scrapes /metrics on its own loopback listener before and after a client
// logs in, fails a login and sends messages.
func TestMetrics(t *testing.T) {
	srv := startServer(t, serverOpts{Env: []string{"XMPPBOX_METRICS_ADDR=127.0.0.1:0"}})
	line := srv.WaitLog(t, 10*time.Second, func(l string) bool {
		return listeningRE.MatchString(l) && logValue(l, "listener") == "metrics"
	})
	addr := logValue(line, "addr")
	before := scrape(t, addr)
	for _, s := range []string{"xmppbox_c2s_connections", "xmppbox_auth_failures_total", "go_goroutines", "xmppbox_store_bytes"} {
		if metricValue(before, s) < 0 {
			t.Errorf("/metrics lacks %s", s)
		}
	}

	srv.AddUser(t, "alice", "pw-alice")
	if _, err := tryDial(t, srv, "alice", "wrong", dialOpts{}); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	const n = 5
	for range n {
		alice.Send(t, `<message to='%s' type='chat'><body>hi</body></message>`, srv.JID("alice"))
	}
	alice.Ping(t) // the messages were read before the ping's answer

	after := scrape(t, addr)
	checks := []struct {
		sample string
		min    float64
	}{
		{"xmppbox_c2s_connections", 1},
		{"xmppbox_c2s_sessions", 1},
		{`xmppbox_stanzas_received_total{kind="message"}`, n + metricValue(before, `xmppbox_stanzas_received_total{kind="message"}`)},
		{`xmppbox_stanzas_received_total{kind="iq"}`, 1},
		{"xmppbox_auth_failures_total", 1},
		{"xmppbox_auth_successes_total", 1},
	}
	for _, c := range checks {
		if got := metricValue(after, c.sample); got < c.min {
			t.Errorf("%s = %v, want at least %v", c.sample, got, c.min)
		}
	}
}

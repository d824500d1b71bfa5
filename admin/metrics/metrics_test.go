package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/metrics"
)

type fixedStats admin.ServerStats

func (f fixedStats) Stats() admin.ServerStats { return admin.ServerStats(f) }

func TestHandler(t *testing.T) {
	src := fixedStats{
		Started: time.Unix(1700000000, 0), Connections: 3, Sessions: 2,
		StanzasIn:     map[string]uint64{"message": 5, "presence": 1, "iq": 7},
		StanzasOut:    map[string]uint64{"message": 4, "presence": 2, "iq": 7},
		AuthSuccesses: 2, AuthFailures: 9,
	}
	h := metrics.Handler(metrics.Options{Source: src, StoreSize: func() int64 { return 1 << 20 }, Version: "v1.2.3"})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{
		"xmppbox_c2s_connections 3",
		"xmppbox_c2s_sessions 2",
		`xmppbox_stanzas_received_total{kind="message"} 5`,
		`xmppbox_stanzas_sent_total{kind="iq"} 7`,
		"xmppbox_auth_failures_total 9",
		"xmppbox_auth_successes_total 2",
		"xmppbox_store_bytes 1.048576e+06",
		"xmppbox_start_time_seconds 1.7e+09",
		`xmppbox_build_info{version="v1.2.3"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(string(body), want+"\n") && !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, tt := range []struct {
		method, path string
		want         int
	}{{"GET", "/", http.StatusNotFound}, {"POST", "/metrics", http.StatusMethodNotAllowed}} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

// Package metrics serves the box's counters at /metrics in the Prometheus text format.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"xmppbox/admin"
)

// Source is what the metrics are read from, at each scrape.
type Source interface {
	Stats() admin.ServerStats
}

// Options configures Handler.
type Options struct {
	Source    Source
	StoreSize func() int64 // nil: no store size metric
	Version   string
}

// Handler returns the /metrics handler. Every scrape reads the counters afresh: nothing
// is updated on the message path except the server's own atomic counters.
func Handler(o Options) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{o: o},
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

var (
	descConnections = prometheus.NewDesc("xmppbox_c2s_connections", "Open client connections.", nil, nil)
	descSessions    = prometheus.NewDesc("xmppbox_c2s_sessions", "Bound client resources (sessions).", nil, nil)
	descIn          = prometheus.NewDesc("xmppbox_stanzas_received_total", "Stanzas received from clients, by kind.", []string{"kind"}, nil)
	descOut         = prometheus.NewDesc("xmppbox_stanzas_sent_total", "Stanzas queued to clients, by kind.", []string{"kind"}, nil)
	descAuthOK      = prometheus.NewDesc("xmppbox_auth_successes_total", "Successful client logins.", nil, nil)
	descAuthFailed  = prometheus.NewDesc("xmppbox_auth_failures_total", "Failed client logins.", nil, nil)
	descStore       = prometheus.NewDesc("xmppbox_store_bytes", "Size of the store on disk.", nil, nil)
	descStart       = prometheus.NewDesc("xmppbox_start_time_seconds", "When the server started, in Unix seconds.", nil, nil)
	descBuild       = prometheus.NewDesc("xmppbox_build_info", "The running build.", []string{"version"}, nil)
)

// collector turns one snapshot of the counters into metrics per scrape.
type collector struct{ o Options }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnections, descSessions, descIn, descOut, descAuthOK, descAuthFailed, descStart, descBuild} {
		ch <- d
	}
	if c.o.StoreSize != nil {
		ch <- descStore
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.o.Source.Stats()
	ch <- prometheus.MustNewConstMetric(descConnections, prometheus.GaugeValue, float64(st.Connections))
	ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(st.Sessions))
	for kind, n := range st.StanzasIn {
		ch <- prometheus.MustNewConstMetric(descIn, prometheus.CounterValue, float64(n), kind)
	}
	for kind, n := range st.StanzasOut {
		ch <- prometheus.MustNewConstMetric(descOut, prometheus.CounterValue, float64(n), kind)
	}
	ch <- prometheus.MustNewConstMetric(descAuthOK, prometheus.CounterValue, float64(st.AuthSuccesses))
	ch <- prometheus.MustNewConstMetric(descAuthFailed, prometheus.CounterValue, float64(st.AuthFailures))
	ch <- prometheus.MustNewConstMetric(descStart, prometheus.GaugeValue, float64(st.Started.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.o.Version)
	if c.o.StoreSize != nil {
		ch <- prometheus.MustNewConstMetric(descStore, prometheus.GaugeValue, float64(c.o.StoreSize()))
	}
}

package webadmin

import (
	"log/slog"
	"net/http"
	"strconv"

	"xmppbox/admin"
)

type dashboardData struct {
	Status   admin.Status
	Uptime   string // "" when the server is not running
	CertLeft string // "in 80 days", "" when unknown
	Stanzas  string
	Charts   []chart
	History  []admin.Sample
}

// dashboard shows the box's figures and its last hour.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, v viewer) {
	st, err := h.backend.Status(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	now := h.now()
	d := dashboardData{Status: st, Stanzas: strconv.FormatFloat(st.StanzasPerSecond, 'f', 1, 64)}
	if st.Running && !st.Started.IsZero() {
		d.Uptime = humanDuration(now.Sub(st.Started))
	}
	if !st.CertExpiry.IsZero() {
		d.CertLeft = relative(st.CertExpiry, now)
	}
	p := newPage(v, "Dashboard", "/")
	// The figures are worth showing even when the history is not to be had.
	hist, err := h.backend.History(r.Context())
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "web dashboard: no history", slog.Any("err", err))
		p.Error = "The activity of the last hour is not available: " + errorText(err)
	} else {
		d.Charts = connectionCharts(hist)
		d.History = hist
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "dashboard", p)
}

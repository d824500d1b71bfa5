package webadmin

import (
	"net/http"
	"strings"
)

// sessionsPage lists every client session of the XMPP server.
func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showSessions(w, r, v, http.StatusOK, "")
}

func (h *Handler) showSessions(w http.ResponseWriter, r *http.Request, v viewer, status int, errText string) {
	list, err := h.backend.ListSessions(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	p := newPage(v, "Sessions", "/sessions")
	p.Error = errText
	p.Data = list
	h.render(w, r, status, "sessions", p)
}

// sessionKick disconnects one client session.
func (h *Handler) sessionKick(w http.ResponseWriter, r *http.Request, v viewer) {
	full, ok := fullJIDField(r)
	if !ok {
		h.showSessions(w, r, v, http.StatusBadRequest, "The form did not say which session.")
		return
	}
	if err := h.backend.KickSession(r.Context(), full); err != nil {
		status, text := h.formFailure(r, err)
		h.showSessions(w, r, v, status, text)
		return
	}
	h.done(w, r, v, "/sessions", "Disconnected "+full+".")
}

// fullJIDField reads the full JID of a session from a form.
func fullJIDField(r *http.Request) (string, bool) {
	j := strings.TrimSpace(r.PostForm.Get("jid"))
	return j, strings.Contains(j, "/") && len(j) <= maxJIDBytes
}

// bareOf is the bare JID of a full one.
func bareOf(full string) string {
	b, _, _ := strings.Cut(full, "/")
	return b
}

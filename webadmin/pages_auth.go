package webadmin

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"xmppbox/admin"
)

// loginPage shows the login form. It carries a double-submit token: there is no session
// yet to keep one in.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, _ viewer) {
	h.showLogin(w, r, http.StatusOK, "", "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, user, errText string) {
	p := newPage(viewer{}, "Log in", "")
	p.CSRF = formToken(w, r)
	p.Form = map[string][]string{"user": {user}}
	if errText != "" {
		p.Errors = map[string]string{"login": errText}
	}
	h.render(w, r, status, "login", p)
}

// login checks a user name and password and starts a web session. Failures count against
// the client's address and the user name alike (throttle.go), and every outcome is logged.
func (h *Handler) login(w http.ResponseWriter, r *http.Request, _ viewer) {
	name := strings.TrimSpace(r.PostForm.Get("user"))
	password := r.PostForm.Get("password")
	switch {
	case name == "" || password == "":
		h.showLogin(w, r, http.StatusBadRequest, name, "Enter your user name and your password.")
		return
	case len(name) > maxJIDBytes:
		// No such account can exist, and the throttle would keep the name for a while.
		h.showLogin(w, r, http.StatusBadRequest, "", "Wrong user name or password.")
		return
	}
	remote := clientAddr(r)
	a, retry, ok := h.throttle.begin(h.now(), throttleKeys(r, name, h.domain)...)
	if !ok {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "web login throttled", slog.String("user", name), slog.String("remote", remote))
		h.showLogin(w, r, http.StatusTooManyRequests, name,
			"Too many failed logins. For safety, logging in is paused for this user name and this network; try again "+h.retryIn(w, retry)+".")
		return
	}
	u, err := h.backend.Authenticate(r.Context(), name, password)
	switch {
	case errors.Is(err, admin.ErrBadLogin):
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "web login failed", slog.String("user", name), slog.String("remote", remote))
		// The same words whichever was wrong: the form must not tell which accounts exist.
		h.showLogin(w, r, http.StatusUnauthorized, name, "Wrong user name or password.")
		return
	case err != nil:
		h.throttle.forgive(a) // not the user's fault
		status, text := h.formFailure(r, err)
		h.showLogin(w, r, status, name, text)
		return
	}
	h.throttle.forgive(a)
	// A login from a browser that has a session replaces it.
	if old, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.delete(old.Value)
	}
	s := h.sessions.create(u, h.now())
	setCookie(w, sessionCookie, s.id)
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "web login", slog.String("jid", u.JID), slog.String("remote", remote), slog.Bool("admin", u.Admin))
	http.Redirect(w, r, viewer{Admin: u.Admin}.Home(), http.StatusSeeOther)
}

// retryIn sets Retry-After for a throttled request and says when that is, in words.
func (h *Handler) retryIn(w http.ResponseWriter, retry time.Time) string {
	wait := retry.Sub(h.now()).Round(time.Second) + time.Second
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	// Whole minutes, rounded up: "in less than a minute" reads as "now".
	return "in " + humanDuration(wait.Truncate(time.Minute)+time.Minute)
}

// logout ends the web session.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, v viewer) {
	h.sessions.delete(v.session)
	clearCookie(w, sessionCookie)
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "web logout", slog.String("jid", v.JID), slog.String("remote", clientAddr(r)))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

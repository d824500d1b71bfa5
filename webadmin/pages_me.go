package webadmin

import (
	"errors"
	"log/slog"
	"net/http"

	"xmppbox/admin"
)

type meData struct {
	Sessions []admin.Session
}

// mePage is every account's own page: its password, its devices, the CA.
func (h *Handler) mePage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showMe(w, r, v, http.StatusOK, nil)
}

func (h *Handler) showMe(w http.ResponseWriter, r *http.Request, v viewer, status int, errs map[string]string) {
	list, err := h.backend.UserSessions(r.Context(), v.JID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	p := newPage(v, "My account", "/me")
	p.Errors = errs
	p.Error = errs[""]
	p.Data = meData{Sessions: list}
	h.render(w, r, status, "me", p)
}

// mePassword changes the viewer's own password. The current password is checked first,
// so a session left open on a shared computer cannot take the account over; those checks
// are throttled like logins.
func (h *Handler) mePassword(w http.ResponseWriter, r *http.Request, v viewer) {
	fail := func(status int, text string) {
		h.showMe(w, r, v, status, map[string]string{"change-password": text})
	}
	current, password := r.PostForm.Get("current"), r.PostForm.Get("password")
	if current == "" {
		fail(http.StatusBadRequest, "Enter your current password.")
		return
	}
	if msg := checkNewPassword(password, r.PostForm.Get("password2")); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	a, retry, ok := h.throttle.begin(h.now(), throttleKeys(r, v.JID, h.domain)...)
	if !ok {
		fail(http.StatusTooManyRequests, "Too many wrong passwords. Try again "+h.retryIn(w, retry)+".")
		return
	}
	_, err := h.backend.Authenticate(r.Context(), v.JID, current)
	if errors.Is(err, admin.ErrBadLogin) {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "web password change refused", slog.String("jid", v.JID), slog.String("remote", clientAddr(r)))
		fail(http.StatusForbidden, "Your current password is wrong.")
		return
	}
	h.throttle.forgive(a)
	if err == nil {
		_, err = h.backend.SetPassword(r.Context(), v.JID, password)
	}
	if err != nil {
		fail(h.formFailure(r, err))
		return
	}
	// Whoever knew the old password may have a web session too; this one stays.
	h.sessions.deleteUser(v.JID, v.session)
	h.keepSession(r, v)
	h.done(w, r, v, "/me", "Your password is changed. Your chat apps were logged out; log in there with the new password.")
}

// meKick ends one of the viewer's own client sessions.
func (h *Handler) meKick(w http.ResponseWriter, r *http.Request, v viewer) {
	full, ok := fullJIDField(r)
	if !ok || bareOf(full) != v.JID {
		h.showMe(w, r, v, http.StatusBadRequest, map[string]string{"": "That is not one of your devices."})
		return
	}
	if err := h.backend.KickSession(r.Context(), full); err != nil {
		status, text := h.formFailure(r, err)
		h.showMe(w, r, v, status, map[string]string{"": text})
		return
	}
	h.done(w, r, v, "/me", "Logged out "+full+".")
}

package webadmin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"xmppbox/admin"
)

// registrationMode is a value of Settings.Registration, with what it means.
type registrationMode struct{ Value, Label, Help string }

var registrationModes = []registrationMode{
	{admin.RegistrationClosed, "Closed", "Only administrators create accounts."},
	{admin.RegistrationInvite, "By invitation", "People with an invitation link can create an account."},
	{admin.RegistrationOpen, "Open", "Anyone who can reach the server can create an account from their chat app."},
}

// The message archive time is set in whole days, within the Backend's bounds.
const (
	minRetentionDays = int(admin.MinRetention / (24 * time.Hour))
	maxRetentionDays = int(admin.MaxRetention / (24 * time.Hour))
)

type settingsData struct {
	Registration   string
	RetentionDays  int
	UsersMayInvite bool
	Modes          []registrationMode
	MinDays        int
	MaxDays        int
}

// settingsPage shows the box's settings.
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	s, err := h.backend.Settings(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.showSettings(w, r, v, http.StatusOK, s, "")
}

func (h *Handler) showSettings(w http.ResponseWriter, r *http.Request, v viewer, status int, s admin.Settings, errText string) {
	p := newPage(v, "Settings", "/settings")
	if errText != "" {
		p.Errors = map[string]string{"settings": errText}
	}
	p.Data = settingsData{
		Registration:   s.Registration,
		RetentionDays:  int(s.MAMRetention / (24 * time.Hour)),
		UsersMayInvite: s.UsersMayInvite,
		Modes:          registrationModes,
		MinDays:        minRetentionDays,
		MaxDays:        maxRetentionDays,
	}
	h.render(w, r, status, "settings", p)
}

// settingsSave stores the settings form.
func (h *Handler) settingsSave(w http.ResponseWriter, r *http.Request, v viewer) {
	s, days, err := settingsForm(r)
	if err == nil {
		err = h.backend.SetSettings(r.Context(), s)
	}
	if err != nil {
		status, text := h.formFailure(r, err)
		// Show what was sent, so the mistake can be corrected in place.
		s.MAMRetention = time.Duration(days) * 24 * time.Hour
		h.showSettings(w, r, v, status, s, text)
		return
	}
	h.done(w, r, v, "/settings", "Saved the settings.")
}

func settingsForm(r *http.Request) (admin.Settings, int, error) {
	mode := r.PostForm.Get("registration")
	var s admin.Settings
	known := false
	for _, m := range registrationModes {
		known = known || m.Value == mode
	}
	days, derr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("retention_days")))
	s.Registration = mode
	s.UsersMayInvite = r.PostForm.Get("users_may_invite") == "yes"
	switch {
	case !known:
		return s, days, inputError("Choose who may create accounts.")
	case derr != nil || days < minRetentionDays || days > maxRetentionDays:
		return s, 0, inputErrorf("Keep messages for a whole number of days, from %d to %d.", minRetentionDays, maxRetentionDays)
	}
	s.MAMRetention = time.Duration(days) * 24 * time.Hour
	return s, days, nil
}

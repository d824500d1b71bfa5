package webadmin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
)

func TestRooms(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	wantBody(t, c.get("/rooms"), "No rooms yet.", `id="create-room"`)
	wantStatus(t, c.post("/rooms/create", url.Values{"name": {"Team"}}), http.StatusSeeOther, "create")
	r := c.get("/rooms")
	wantBody(t, r, "Created the room team@conference.example.org.", `<table id="rooms"`, `name="name" value="team"`)
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		text   string
	}{
		{"exists", "/rooms/create", url.Values{"name": {"team"}}, http.StatusConflict, "room already exists"},
		{"empty", "/rooms/create", url.Values{"name": {""}}, http.StatusBadRequest, "Enter a name for the room."},
		{"invalid", "/rooms/create", url.Values{"name": {"a b"}}, http.StatusBadRequest, "invalid room name"},
		{"unconfirmed", "/rooms/destroy", url.Values{"name": {"team"}}, http.StatusBadRequest, "Tick the box"},
		{"unknown", "/rooms/destroy", url.Values{"name": {"nope"}, "confirm": {"yes"}}, http.StatusNotFound, "no such room"},
	} {
		r := c.post(tc.path, tc.form)
		wantStatus(t, r, tc.status, tc.name)
		wantBody(t, r, tc.text)
	}
	wantStatus(t, c.post("/rooms/destroy", url.Values{"name": {"team"}, "confirm": {"yes"}}), http.StatusSeeOther, "destroy")
	wantBody(t, c.get("/rooms"), "Destroyed the room team.", "No rooms yet.")
}

func TestRoomsOff(t *testing.T) {
	e := newEnv(t)
	e.fake.roomsOff = true
	c := e.adminClient()
	r := c.get("/rooms")
	wantStatus(t, r, http.StatusOK, "rooms off")
	wantBody(t, r, `id="rooms-off"`, "Chat rooms are off")
	if strings.Contains(r.body, `id="create-room"`) {
		t.Error("a create form while rooms are off")
	}
	r = c.post("/rooms/create", url.Values{"name": {"team"}})
	wantStatus(t, r, http.StatusServiceUnavailable, "create while off")
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	r := c.get("/settings")
	wantBody(t, r, `id="reg-invite" name="registration" type="radio" value="invite" checked`, `value="30"`)
	cases := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"unknown mode", url.Values{"registration": {"sometimes"}, "retention_days": {"30"}}, http.StatusBadRequest, "Choose who may create accounts"},
		{"no mode", url.Values{"retention_days": {"30"}}, http.StatusBadRequest, "Choose who may create accounts"},
		{"negative days", url.Values{"registration": {"open"}, "retention_days": {"-1"}}, http.StatusBadRequest, "from 1 to 3650"},
		{"days not a number", url.Values{"registration": {"open"}, "retention_days": {"a week"}}, http.StatusBadRequest, "whole number of days"},
		{"too many days", url.Values{"registration": {"open"}, "retention_days": {"99999"}}, http.StatusBadRequest, "from 1 to 3650"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/settings", tc.form)
			wantStatus(t, r, tc.status, tc.name)
			wantBody(t, r, `id="settings-error"`, tc.text)
		})
	}
	if e.fake.settings.Registration != admin.RegistrationInvite {
		t.Fatalf("settings changed by a refused form: %+v", e.fake.settings)
	}
	r = c.post("/settings", url.Values{"registration": {"open"}, "retention_days": {"90"}})
	wantStatus(t, r, http.StatusSeeOther, "save")
	want := admin.Settings{Registration: admin.RegistrationOpen, MAMRetention: 90 * 24 * time.Hour}
	if e.fake.settings != want {
		t.Errorf("settings %+v, want %+v", e.fake.settings, want)
	}
	wantBody(t, c.get("/settings"), "Saved the settings.", `value="open" checked`, `value="90"`)
}

// TestSelfService: an account changes its own password only with the current one, and can
// log out its own devices and no one else's.
func TestSelfService(t *testing.T) {
	e := newEnv(t)
	e.fake.addSession(e.alice+"/phone", "203.0.113.5:5222")
	e.fake.addSession(e.boss+"/pc", "203.0.113.6:5222")
	c := e.userClient()
	other := e.userClient() // alice on another computer
	r := c.get("/me")
	wantBody(t, r, `id="my-jid">alice@example.org<`, "alice@example.org/phone", `id="change-password"`, `href="/ca.pem"`)
	if strings.Contains(r.body, "boss@example.org/pc") {
		t.Error("another account's session is listed")
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"no current", url.Values{"password": {"new-alice-pw"}, "password2": {"new-alice-pw"}}, http.StatusBadRequest, "Enter your current password."},
		{"wrong current", url.Values{"current": {"guess-guess"}, "password": {"new-alice-pw"}, "password2": {"new-alice-pw"}}, http.StatusForbidden, "Your current password is wrong."},
		{"mismatch", url.Values{"current": {alicePass}, "password": {"new-alice-pw"}, "password2": {"new-alice-pX"}}, http.StatusBadRequest, "not the same"},
		{"short", url.Values{"current": {alicePass}, "password": {"short"}, "password2": {"short"}}, http.StatusBadRequest, "too short"},
		{"too long", url.Values{"current": {alicePass}, "password": {strings.Repeat("x", 1025)}, "password2": {strings.Repeat("x", 1025)}}, http.StatusBadRequest, "too long"},
	}
	for _, tc := range cases {
		r := c.post("/me/password", tc.form)
		wantStatus(t, r, tc.status, tc.name)
		wantBody(t, r, `id="change-password-error"`, tc.text)
	}
	if e.fake.users[e.alice].password != alicePass {
		t.Fatal("password changed by a refused form")
	}
	r = c.post("/me/password", url.Values{"current": {alicePass}, "password": {"new-alice-pw"}, "password2": {"new-alice-pw"}})
	wantStatus(t, r, http.StatusSeeOther, "change")
	wantBody(t, c.get("/me"), "Your password is changed.")
	if e.fake.users[e.alice].password != "new-alice-pw" {
		t.Error("password not changed")
	}
	// The other web session, maybe the one of whoever knew the old password, is over.
	wantStatus(t, other.get("/me"), http.StatusSeeOther, "other session after the change")

	// Devices: own yes, others' no (and the backend is not even asked).
	e.fake.callLog()
	r = c.post("/me/logout-device", url.Values{"jid": {e.boss + "/pc"}})
	wantStatus(t, r, http.StatusBadRequest, "another account's device")
	noCallsBut(t, e.fake, "kick another's device", "User", "UserSessions")
	r = c.post("/me/logout-device", url.Values{"jid": {e.alice + "/phone"}})
	wantStatus(t, r, http.StatusSeeOther, "own device")
	wantBody(t, c.get("/me"), "Logged out alice@example.org/phone.", "No chat app is connected")
}

// TestSelfServiceThrottle: guessing the current password is throttled like logins.
func TestSelfServiceThrottle(t *testing.T) {
	e := newEnv(t)
	c := e.userClient()
	for range maxLoginFailures {
		c.post("/me/password", url.Values{"current": {"guess-guess"}, "password": {"new-alice-pw"}, "password2": {"new-alice-pw"}})
	}
	r := c.post("/me/password", url.Values{"current": {alicePass}, "password": {"new-alice-pw"}, "password2": {"new-alice-pw"}})
	wantStatus(t, r, http.StatusTooManyRequests, "throttled")
}

func TestCertificates(t *testing.T) {
	e := newEnv(t)
	anon := e.client()
	for _, tc := range []struct {
		path, ctype, file string
		body              []byte
	}{
		{"/ca.pem", "application/x-pem-file", "example.org-ca.pem", e.fake.ca.PEM},
		{"/ca.der", "application/pkix-cert", "example.org-ca.crt", e.fake.ca.DER},
	} {
		r := anon.get(tc.path)
		wantStatus(t, r, http.StatusOK, tc.path)
		if ct := r.header.Get("Content-Type"); ct != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, ct, tc.ctype)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+tc.file+`"` {
			t.Errorf("%s: Content-Disposition %q", tc.path, cd)
		}
		if !bytes.Equal([]byte(r.body), tc.body) {
			t.Errorf("%s: body %q", tc.path, r.body)
		}
	}
	wantStatus(t, anon.get("/certificates"), http.StatusSeeOther, "certificates without login")
	r := e.userClient().get("/certificates")
	wantStatus(t, r, http.StatusOK, "certificates")
	wantBody(t, r, `id="ca-fingerprint">`+e.fake.ca.Fingerprint, "CN=xmppbox local CA", `<svg class="qr"`,
		`href="/ca.pem"`, `href="/ca.der"`, "in 3650 days")
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/login")
	r := c.post("/login", url.Values{"user": {"boss"}, "password": {strings.Repeat("x", maxBodyBytes)}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge, "large body")
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/nope", "/users/", "/invite/"} {
		r := e.client().get(p)
		wantStatus(t, r, http.StatusNotFound, p)
		wantBody(t, r, "Page not found")
	}
}

// TestBackendFailure: an unexpected backend error is a 500 page that does not show the
// error, which goes to the log instead.
func TestBackendFailure(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	f := &failingBackend{fakeBackend: e.fake}
	h, _ := New(Options{Backend: f, Logger: e.h.log, Domain: testDomain, Now: e.clock.Now})
	h.sessions = e.h.sessions // keep the login
	e.h = h
	r := c.get("/sessions")
	wantStatus(t, r, http.StatusInternalServerError, "failing backend")
	if strings.Contains(r.body, "disk on fire") {
		t.Error("the internal error is on the page")
	}
	if !strings.Contains(e.logs.String(), "disk on fire") {
		t.Error("the internal error is not logged")
	}
}

type failingBackend struct{ *fakeBackend }

func (f *failingBackend) ListSessions(ctx context.Context) ([]admin.Session, error) {
	return nil, errors.New("disk on fire")
}

package webadmin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"xmppbox/admin"
)

// TestCookieFlags: both cookies are __Host- cookies a script cannot read and another site
// cannot make the browser send.
func TestCookieFlags(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	get := httptest.NewRequest(http.MethodGet, "https://"+testHost+"/login", nil)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, get)
	login := rec.Result().Cookies()
	if len(login) != 1 || login[0].Name != csrfCookie {
		t.Fatalf("login page cookies %v, want %s", login, csrfCookie)
	}
	c.cookies[csrfCookie] = &http.Cookie{Name: csrfCookie, Value: login[0].Value}
	c.csrf = login[0].Value
	req := httptest.NewRequest(http.MethodPost, "https://"+testHost+"/login",
		strings.NewReader(url.Values{"user": {"boss"}, "password": {bossPass}, csrfField: {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c.cookies[csrfCookie])
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	sess := rec.Result().Cookies()
	if len(sess) != 1 || sess[0].Name != sessionCookie {
		t.Fatalf("login cookies %v, want %s", sess, sessionCookie)
	}
	for _, ck := range append(login, sess...) {
		t.Run(ck.Name, func(t *testing.T) {
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %s", ck.String())
			}
			if len(ck.Value) != 43 { // 256 bits, base64url
				t.Errorf("cookie value of %d characters, want 43", len(ck.Value))
			}
			if !ck.Expires.IsZero() || ck.MaxAge != 0 {
				t.Errorf("cookie outlives the browser: %s", ck.String())
			}
		})
	}
}

// TestSessionIdleTimeout: a session unused for the idle timeout ends; one in use lasts
// until the absolute limit.
func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t)
	c := e.userClient()
	e.clock.Advance(defaultIdleTimeout - time.Minute)
	wantStatus(t, c.get("/me"), http.StatusOK, "just before the idle timeout")
	e.clock.Advance(defaultIdleTimeout)
	r := c.get("/me")
	wantStatus(t, r, http.StatusSeeOther, "after the idle timeout")
	if r.location() != "/login" {
		t.Errorf("expired session sent to %q", r.location())
	}
	wantStatus(t, c.post("/me/password", url.Values{}), http.StatusForbidden, "post after the idle timeout")
}

func TestSessionMaxAge(t *testing.T) {
	e := newEnv(t)
	c := e.userClient()
	for elapsed := time.Duration(0); elapsed < maxSessionAge-20*time.Minute; elapsed += 20 * time.Minute {
		e.clock.Advance(20 * time.Minute)
		wantStatus(t, c.get("/me"), http.StatusOK, "busy session at "+elapsed.String())
	}
	e.clock.Advance(20 * time.Minute)
	wantStatus(t, c.get("/me"), http.StatusSeeOther, "after 12 hours")
}

// TestIdleTimeoutOption: Options.IdleTimeout replaces the default.
func TestIdleTimeoutOption(t *testing.T) {
	e := newEnv(t)
	h, err := New(Options{Backend: e.fake, Logger: e.h.log, Domain: testDomain, Now: e.clock.Now, IdleTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	c := e.userClient()
	e.clock.Advance(5 * time.Minute)
	wantStatus(t, c.get("/me"), http.StatusSeeOther, "after 5 minutes")
}

func TestSessionStore(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := newSessionStore(time.Minute, time.Hour)
	a := s.create(admin.User{JID: "a@x"}, now)
	if a.id == a.csrf {
		t.Fatal("session id doubles as CSRF token")
	}
	// The sweep removes expired sessions when a new one is made.
	s.create(admin.User{JID: "b@x"}, now.Add(2*time.Minute))
	if _, ok := s.byID[a.id]; ok {
		t.Error("expired session not swept")
	}
	// One account cannot hold more than maxSessionsPerUser; the least recent goes.
	first := s.create(admin.User{JID: "c@x"}, now.Add(2*time.Minute))
	for i := range maxSessionsPerUser {
		s.create(admin.User{JID: "c@x"}, now.Add(2*time.Minute+time.Duration(i+1)*time.Second))
	}
	if _, ok := s.get(first.id, now.Add(3*time.Minute)); ok {
		t.Error("oldest session kept past the per-account limit")
	}
	if n := s.deleteUser("c@x", ""); n != maxSessionsPerUser {
		t.Errorf("deleteUser ended %d sessions, want %d", n, maxSessionsPerUser)
	}
}

// TestNew checks the options.
func TestNew(t *testing.T) {
	e := newEnv(t)
	for name, o := range map[string]Options{
		"no backend":    {Logger: e.h.log, Domain: testDomain},
		"no logger":     {Backend: e.fake, Domain: testDomain},
		"no domain":     {Backend: e.fake, Logger: e.h.log},
		"negative idle": {Backend: e.fake, Logger: e.h.log, Domain: testDomain, IdleTimeout: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPasswordChangedElsewhere: a password changed outside the page (CLI, XMPP) ends the
// web sessions opened with the old one; changing it on the page keeps that session.
func TestPasswordChangedElsewhere(t *testing.T) {
	e := newEnv(t)
	alice := e.userClient()
	wantStatus(t, alice.get("/me"), http.StatusOK, "me before")

	e.fake.mu.Lock()
	e.fake.users[e.alice].password = "changed-over-xmpp"
	e.fake.mu.Unlock()
	r := alice.get("/me")
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Errorf("after a password change elsewhere: %d %s, want a redirect to /login", r.code, r.header.Get("Location"))
	}

	alice = e.client()
	alice.login("alice", "changed-over-xmpp")
	wantStatus(t, alice.get("/me"), http.StatusOK, "me after logging in again")
	r = alice.post("/me/password", url.Values{"current": {"changed-over-xmpp"}, "password": {"new-secret-1"}, "password2": {"new-secret-1"}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("password change on the page: %d\n%s", r.code, r.body)
	}
	e.fake.mu.Lock()
	pw := e.fake.users[e.alice].password
	e.fake.mu.Unlock()
	if pw != "new-secret-1" {
		t.Fatalf("the page did not change the password")
	}
	wantStatus(t, alice.get("/me"), http.StatusOK, "me after changing the password on the page")
}

package webadmin

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCSRFRefused: every form post without the right token, or from another origin, is
// refused with 403 before the backend is asked to change anything.
func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	var posts []string
	formPage := make(map[string]string) // the page whose token a post needs
	for _, rt := range e.h.routes() {
		if method, _ := e.concrete(rt.pattern); method == http.MethodPost {
			posts = append(posts, rt.pattern)
			formPage[rt.pattern] = "/me"
			if rt.access == public {
				formPage[rt.pattern] = "/login" // the double-submit token
			}
		}
	}
	form := func() url.Values {
		return url.Values{
			"user": {"alice"}, "password": {alicePass}, "password2": {alicePass}, "current": {bossPass},
			"name": {"room"}, "jid": {e.alice + "/phone"}, "disabled": {"true"}, "admin": {"true"},
			"confirm": {"yes"}, "token": {"T"}, "valid_days": {"7"}, "uses": {"1"},
			"registration": {"open"}, "retention_days": {"30"},
			"domain": {"other.example.net"}, "component": {"irc.example.org"},
		}
	}
	cases := []struct {
		name   string
		mangle func(url.Values, string) (url.Values, map[string]string)
	}{
		{"missing token", func(f url.Values, _ string) (url.Values, map[string]string) {
			f.Del(csrfField)
			return f, nil
		}},
		{"wrong token", func(f url.Values, tok string) (url.Values, map[string]string) {
			f.Set(csrfField, tok[:len(tok)-2]+"xx")
			return f, nil
		}},
		{"empty token", func(f url.Values, _ string) (url.Values, map[string]string) {
			f.Set(csrfField, "")
			return f, nil
		}},
		{"cross-origin", func(f url.Values, tok string) (url.Values, map[string]string) {
			f.Set(csrfField, tok)
			return f, map[string]string{"Origin": "https://evil.example"}
		}},
		{"plain-http origin", func(f url.Values, tok string) (url.Values, map[string]string) {
			f.Set(csrfField, tok)
			return f, map[string]string{"Origin": "http://" + testHost}
		}},
		{"cross-site fetch", func(f url.Values, tok string) (url.Values, map[string]string) {
			f.Set(csrfField, tok)
			return f, map[string]string{"Sec-Fetch-Site": "cross-site"}
		}},
	}
	for _, pattern := range posts {
		// The control: the same post with its token is not refused, so the refusals
		// below are the token's doing. It may change things, so it has its own box.
		t.Run(pattern+"/valid token", func(t *testing.T) {
			e := newEnv(t)
			c := e.adminClient()
			_, path := e.concrete(pattern)
			c.get(formPage[pattern])
			if r := c.post(path, form()); r.code == http.StatusForbidden {
				t.Fatalf("%s with its token: 403\n%s", pattern, r.body)
			}
		})
		for _, tc := range cases {
			t.Run(pattern+"/"+tc.name, func(t *testing.T) {
				c := e.adminClient()
				_, path := e.concrete(pattern)
				c.get(formPage[pattern])
				f, hdr := tc.mangle(form(), c.csrf)
				e.fake.callLog()
				r := c.postRaw(path, f, hdr)
				wantStatus(t, r, http.StatusForbidden, pattern+" "+tc.name)
				// The web layer may look up the account of the session, nothing more.
				noCallsBut(t, e.fake, pattern, "User")
			})
		}
	}
}

// TestCSRFAccepted: the same-origin headers a browser sends pass.
func TestCSRFAccepted(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/login")
	r := c.postRaw("/login", url.Values{"user": {"boss"}, "password": {bossPass}, csrfField: {c.csrf}},
		map[string]string{"Origin": "https://" + testHost, "Sec-Fetch-Site": "same-origin"})
	wantStatus(t, r, http.StatusSeeOther, "same-origin login")
}

// TestLoginCSRFCookie: the login form's token is bound to the browser's cookie: a token
// from another browser does not work.
func TestLoginCSRFCookie(t *testing.T) {
	e := newEnv(t)
	attacker, victim := e.client(), e.client()
	attacker.get("/login")
	victim.get("/login")
	if attacker.csrf == victim.csrf {
		t.Fatal("two browsers got the same login token")
	}
	r := victim.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}, csrfField: {attacker.csrf}})
	wantStatus(t, r, http.StatusForbidden, "login with another browser's token")
}

// TestSessionTokensDiffer: each session has its own token, so one leaked page does not
// serve for another session.
func TestSessionTokensDiffer(t *testing.T) {
	e := newEnv(t)
	a, b := e.adminClient(), e.adminClient()
	if a.csrf == b.csrf {
		t.Fatal("two sessions have the same CSRF token")
	}
	r := a.post("/settings", url.Values{"registration": {"open"}, "retention_days": {"30"}, csrfField: {b.csrf}})
	wantStatus(t, r, http.StatusForbidden, "another session's token")
}

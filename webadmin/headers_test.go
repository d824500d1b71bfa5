package webadmin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"xmppbox/server/s2s"
)

// TestSecurityHeaders: every response, page or not, error or not, carries the headers.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	inv, err := e.fake.CreateInvite(actAs(t.Context(), e.boss), inviteReq(1))
	if err != nil {
		t.Fatal(err)
	}
	c := e.adminClient()
	anon := e.client()
	cases := []struct {
		name    string
		c       *client
		path    string
		noStore bool
	}{
		{"login", anon, "/login", true},
		{"static", anon, "/static/style.css", false},
		{"ca.pem", anon, "/ca.pem", true},
		{"ca.der", anon, "/ca.der", true},
		{"invite", anon, "/invite/" + inv.Token, true},
		{"invalid invite", anon, "/invite/nope", true},
		{"not found", anon, "/nope", true},
		{"redirect to login", anon, "/users", true},
		{"forbidden", e.userClient(), "/users", true},
	}
	for _, rt := range e.h.routes() {
		if method, path := e.concrete(rt.pattern); method == http.MethodGet && rt.access != public {
			cases = append(cases, struct {
				name    string
				c       *client
				path    string
				noStore bool
			}{rt.pattern, c, path, true})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.get(tc.path)
			checkHeaders(t, r, tc.noStore)
		})
	}
	t.Run("post", func(t *testing.T) {
		r := c.post("/settings", url.Values{"registration": {"open"}, "retention_days": {"0"}})
		checkHeaders(t, r, true)
	})
}

func checkHeaders(t *testing.T, r response, noStore bool) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	if noStore {
		want["Cache-Control"] = "no-store"
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// TestNoScriptNoInlineStyle: the page keeps to its own policy, so nothing would be blocked:
// no script, no style attribute or element, nothing from another host.
func TestNoScriptNoInlineStyle(t *testing.T) {
	e := newEnv(t)
	inv, _ := e.fake.CreateInvite(actAs(t.Context(), e.boss), inviteReq(1))
	e.fake.history = sampleHour(e.clock.Now())
	c := e.adminClient()
	paths := []string{"/", "/users", "/sessions", "/invites", "/rooms", "/federation", "/settings", "/certificates", "/me", "/login", "/invite/" + inv.Token}
	for _, p := range paths {
		body := strings.ToLower(c.get(p).body)
		for _, bad := range []string{"<script", "style=", "<style", "javascript:", "src=\"http", "href=\"//"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
		for _, need := range []string{`<html lang="en">`, `href="#main"`, `id="main"`, `<h1>`, `name="viewport"`} {
			if !strings.Contains(body, strings.ToLower(need)) {
				t.Errorf("%s lacks %q", p, need)
			}
		}
	}
}

// TestLabels: every visible form field has a label pointing at it.
func TestLabels(t *testing.T) {
	e := newEnv(t)
	inv, _ := e.fake.CreateInvite(actAs(t.Context(), e.boss), inviteReq(1))
	e.fake.addSession(e.alice+"/phone", "203.0.113.5:5222")
	c := e.adminClient()
	e.fake.peers["other.test"] = s2s.PeerConfig{Domain: "other.test"}
	e.fake.comps["irc.example.org"] = "0123456789abcdef0123"
	for _, p := range []string{"/users", "/invites", "/rooms", "/federation", "/settings", "/me", "/login", "/invite/" + inv.Token} {
		body := c.get(p).body
		for _, id := range inputIDs(body) {
			if !strings.Contains(body, `for="`+id+`"`) {
				t.Errorf("%s: field %q has no <label for>", p, id)
			}
		}
	}
}

// inputIDs returns the ids of the visible inputs, selects and text areas in body.
func inputIDs(body string) []string {
	var ids []string
	for _, tag := range strings.Split(body, "<")[1:] {
		if !strings.HasPrefix(tag, "input ") && !strings.HasPrefix(tag, "select ") && !strings.HasPrefix(tag, "textarea ") {
			continue
		}
		if strings.Contains(tag, `type="hidden"`) || strings.Contains(tag, " hidden>") {
			continue
		}
		_, rest, ok := strings.Cut(tag, ` id="`)
		if !ok {
			ids = append(ids, "(no id) "+tag)
			continue
		}
		id, _, _ := strings.Cut(rest, `"`)
		ids = append(ids, id)
	}
	return ids
}

// TestStatic: the style sheet is served as CSS; nothing else under /static/ is.
func TestStatic(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	r := c.get("/static/style.css")
	wantStatus(t, r, http.StatusOK, "style.css")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css Content-Type %q", ct)
	}
	wantStatus(t, c.get("/static/icon.svg"), http.StatusOK, "icon")
	for _, p := range []string{"/static/", "/static/nope.css", "/static/../render.go", "/templates/login.html"} {
		if r := c.get(p); r.code == http.StatusOK {
			t.Errorf("%s: 200", p)
		}
	}
}

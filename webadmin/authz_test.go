package webadmin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// routesFor returns the route patterns of one access level.
func routesFor(e *env, a access) []string {
	var l []string
	for _, rt := range e.h.routes() {
		if rt.access == a {
			l = append(l, rt.pattern)
		}
	}
	return l
}

// noCallsBut fails if the backend saw any call but the allowed ones. UsersMayInvite is
// always allowed: a read-only policy lookup for the menu of accounts that are not admins.
func noCallsBut(t *testing.T, f *fakeBackend, what string, allowed ...string) {
	t.Helper()
	for _, c := range f.callLog() {
		ok := c.method == "UsersMayInvite"
		for _, a := range allowed {
			ok = ok || c.method == a
		}
		if !ok {
			t.Errorf("%s: the backend was asked %s (as %q)", what, c.method, c.actor)
		}
	}
}

// TestNoSession: without a session, pages send the browser to the login form and form
// posts are refused, and the backend is not asked anything.
func TestNoSession(t *testing.T) {
	e := newEnv(t)
	routes := append(append(routesFor(e, member), routesFor(e, adminOnly)...), routesFor(e, inviter)...)
	for _, pattern := range routes {
		t.Run(pattern, func(t *testing.T) {
			c := e.client()
			c.get("/login") // a CSRF cookie and token, which do not stand in for a session
			e.fake.callLog()
			method, path := e.concrete(pattern)
			var r response
			if method == http.MethodGet {
				r = c.get(path)
				wantStatus(t, r, http.StatusSeeOther, pattern)
				if r.location() != "/login" {
					t.Errorf("redirect to %q, want /login", r.location())
				}
			} else {
				r = c.post(path, url.Values{"user": {e.alice}, "jid": {e.alice + "/phone"}, "confirm": {"yes"},
					"domain": {"other.example.net"}, "component": {"irc.example.org"}})
				wantStatus(t, r, http.StatusForbidden, pattern)
			}
			noCallsBut(t, e.fake, pattern)
		})
	}
}

// TestNonAdminRefused: an account that is not an administrator gets 403 on every admin
// route, and the web layer refuses it before asking the backend for anything but the
// account's own record.
func TestNonAdminRefused(t *testing.T) {
	e := newEnv(t)
	c := e.userClient()
	for _, pattern := range append(routesFor(e, adminOnly), routesFor(e, inviter)...) {
		t.Run(pattern, func(t *testing.T) {
			e.fake.callLog()
			method, path := e.concrete(pattern)
			var r response
			if method == http.MethodGet {
				r = c.get(path)
			} else {
				r = c.post(path, url.Values{
					"user": {e.boss}, "name": {"x"}, "password": {"long-enough-pw"}, "jid": {e.boss + "/pc"},
					"disabled": {"true"}, "admin": {"false"}, "confirm": {"yes"}, "token": {"T"},
					"valid_days": {"7"}, "uses": {"1"}, "registration": {"open"}, "retention_days": {"30"},
					"domain": {"other.example.net"}, "component": {"irc.example.org"},
				})
			}
			wantStatus(t, r, http.StatusForbidden, pattern)
			wantBody(t, r, "Not allowed", "for administrators")
			noCallsBut(t, e.fake, pattern, "User")
		})
	}
	// The pages for every account work.
	for _, path := range []string{"/me", "/certificates"} {
		wantStatus(t, c.get(path), http.StatusOK, path)
	}
}

// TestAdminAllowed: an administrator can open every page.
func TestAdminAllowed(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	for _, pattern := range append(append(routesFor(e, adminOnly), routesFor(e, member)...), routesFor(e, inviter)...) {
		method, path := e.concrete(pattern)
		if method != http.MethodGet {
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			r := c.get(path)
			wantStatus(t, r, http.StatusOK, pattern)
			if !strings.Contains(r.body, `aria-current="page"`) {
				t.Errorf("%s: no navigation entry is marked current", path)
			}
		})
	}
}

// TestRightsCheckedEachRequest: demoting or disabling an account takes effect on its next
// request, not at its next login.
func TestRightsCheckedEachRequest(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	wantStatus(t, c.get("/users"), http.StatusOK, "admin")

	e.fake.setFlags(e.boss, false, false)
	wantStatus(t, c.get("/users"), http.StatusForbidden, "after demotion")
	wantStatus(t, c.get("/me"), http.StatusOK, "own page after demotion")

	e.fake.setFlags(e.boss, true, true)
	r := c.get("/me")
	wantStatus(t, r, http.StatusSeeOther, "after disabling")
	if r.location() != "/login" {
		t.Errorf("disabled account sent to %q, want /login", r.location())
	}
	// The session is gone, not just refused: enabling the account again does not revive it.
	e.fake.setFlags(e.boss, true, false)
	wantStatus(t, c.get("/users"), http.StatusSeeOther, "after enabling again")
}

// TestNavigation: administrators see the admin sections, other accounts do not.
func TestNavigation(t *testing.T) {
	e := newEnv(t)
	a := e.adminClient().get("/me")
	wantBody(t, a, `href="/users"`, `href="/settings"`, `href="/me"`)
	u := e.userClient().get("/me")
	if strings.Contains(u.body, `href="/users"`) {
		t.Error("a non-admin's navigation links to /users")
	}
	wantBody(t, u, `href="/certificates"`, e.alice)
}

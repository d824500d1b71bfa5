package webadmin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestUsersPaging(t *testing.T) {
	e := newEnv(t)
	for i := range 118 {
		e.fake.addUser(fmt.Sprintf("u%03d", i), "password-x", false)
	}
	c := e.adminClient()
	cases := []struct {
		path       string
		first      string // the first JID on the page
		prev, next string // "" for none
		pageOf     string
	}{
		{"/users", "alice@example.org", "", "/users?page=2", "Page 1 of 3"},
		{"/users?page=2", "u048@example.org", "/users", "/users?page=3", "Page 2 of 3"},
		{"/users?page=3", "u098@example.org", "/users?page=2", "", "Page 3 of 3"},
		{"/users?page=nonsense", "alice@example.org", "", "/users?page=2", "Page 1 of 3"},
		{"/users?q=u1", "u100@example.org", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := c.get(tc.path)
			wantStatus(t, r, http.StatusOK, tc.path)
			_, rest, _ := strings.Cut(r.body, `<tbody>`)
			if !strings.Contains(rest[:300], tc.first) {
				t.Errorf("first row is not %s:\n%.300s", tc.first, rest)
			}
			check := func(id, want string) {
				has := strings.Contains(r.body, `id="`+id+`"`)
				if want == "" && has {
					t.Errorf("has a %s link", id)
				}
				if want != "" && !strings.Contains(r.body, `href="`+want+`" rel="`+id+`"`) {
					t.Errorf("no %s link to %s", id, want)
				}
			}
			check("prev", tc.prev)
			check("next", tc.next)
			if tc.pageOf != "" {
				wantBody(t, r, tc.pageOf)
			}
		})
	}
	r := c.get("/users?q=u1")
	if n := strings.Count(r.body, "<tr data-jid="); n != 18 {
		t.Errorf("search u1: %d rows, want 18", n)
	}
	wantBody(t, r, `value="u1"`, ">18<")
	// A search with a query keeps it across pages.
	r = c.get("/users?q=u0")
	wantBody(t, r, `href="/users?page=2&amp;q=u0"`)
}

func TestUserActions(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	e.fake.addUser("bob", "bob-password", false)
	bob := "bob@example.org"
	bobWeb := e.client()
	bobWeb.login("bob", "bob-password")

	steps := []struct {
		name   string
		path   string
		form   url.Values
		status int
		text   string // on the page (after a redirect: on the next page)
		check  func() bool
	}{
		{"create", "/users/create", url.Values{"name": {"carol"}, "password": {"carol-password"}}, http.StatusSeeOther,
			"Created the account carol@example.org.", func() bool { return e.fake.users["carol@example.org"] != nil }},
		{"create taken", "/users/create", url.Values{"name": {"carol"}, "password": {"carol-password"}}, http.StatusConflict,
			"user already exists", nil},
		{"create bad name", "/users/create", url.Values{"name": {"ca rol"}, "password": {"carol-password"}}, http.StatusBadRequest,
			"invalid user name", nil},
		{"create no name", "/users/create", url.Values{"name": {" "}, "password": {"carol-password"}}, http.StatusBadRequest,
			"Enter a user name.", nil},
		{"create short password", "/users/create", url.Values{"name": {"dave"}, "password": {"short"}}, http.StatusBadRequest,
			"too short", nil},
		{"reset password", "/users/password", url.Values{"user": {bob}, "password": {"new-bob-password"}}, http.StatusSeeOther,
			"Set a new password for bob@example.org.", func() bool { return e.fake.users[bob].password == "new-bob-password" }},
		{"reset password short", "/users/password", url.Values{"user": {bob}, "password": {"x"}}, http.StatusBadRequest,
			"too short", nil},
		{"reset password unknown", "/users/password", url.Values{"user": {"nobody@example.org"}, "password": {"long-password"}}, http.StatusNotFound,
			"no such user", nil},
		{"disable", "/users/disabled", url.Values{"user": {bob}, "disabled": {"true"}}, http.StatusSeeOther,
			"Disabled bob@example.org", func() bool { return e.fake.users[bob].disabled }},
		{"enable", "/users/disabled", url.Values{"user": {bob}, "disabled": {"false"}}, http.StatusSeeOther,
			"Enabled bob@example.org.", func() bool { return !e.fake.users[bob].disabled }},
		{"disable bad value", "/users/disabled", url.Values{"user": {bob}, "disabled": {"maybe"}}, http.StatusBadRequest,
			"must be true or false.", nil},
		{"disable self", "/users/disabled", url.Values{"user": {e.boss}, "disabled": {"true"}}, http.StatusBadRequest,
			"You cannot disable your own account", func() bool { return !e.fake.users[e.boss].disabled }},
		{"make admin", "/users/admin", url.Values{"user": {bob}, "admin": {"true"}}, http.StatusSeeOther,
			"bob@example.org is now an administrator.", func() bool { return e.fake.users[bob].admin }},
		{"remove admin", "/users/admin", url.Values{"user": {bob}, "admin": {"false"}}, http.StatusSeeOther,
			"bob@example.org is no longer an administrator.", func() bool { return !e.fake.users[bob].admin }},
		{"remove own admin", "/users/admin", url.Values{"user": {e.boss}, "admin": {"false"}}, http.StatusBadRequest,
			"You cannot remove administrator rights from your own account", func() bool { return e.fake.users[e.boss].admin }},
		{"delete unconfirmed", "/users/delete", url.Values{"user": {bob}}, http.StatusBadRequest,
			"Tick the box", func() bool { return e.fake.users[bob] != nil }},
		{"delete self", "/users/delete", url.Values{"user": {e.boss}, "confirm": {"yes"}}, http.StatusBadRequest,
			"You cannot delete your own account", func() bool { return e.fake.users[e.boss] != nil }},
		{"delete no user", "/users/delete", url.Values{"confirm": {"yes"}}, http.StatusBadRequest,
			"did not say which user", nil},
		{"delete", "/users/delete", url.Values{"user": {bob}, "confirm": {"yes"}, "q": {"b"}, "page": {"1"}}, http.StatusSeeOther,
			"Deleted bob@example.org.", func() bool { return e.fake.users[bob] == nil }},
	}
	for _, s := range steps {
		r := c.post(s.path, s.form)
		if r.code != s.status {
			t.Fatalf("%s: status %d, want %d\n%s", s.name, r.code, s.status, r.body)
		}
		if r.code == http.StatusSeeOther {
			r = c.get(r.location())
			wantBody(t, r, `id="flash">`+strings.ReplaceAll(s.text, "'", "&#39;"))
		} else {
			wantBody(t, r, "error\"", s.text)
		}
		if s.check != nil && !s.check() {
			t.Errorf("%s: not done", s.name)
		}
	}
	// The password reset ended bob's web session.
	wantStatus(t, bobWeb.get("/me"), http.StatusSeeOther, "bob after the reset")
}

// TestUserListReturn: a form on page 2 of a search returns there.
func TestUserListReturn(t *testing.T) {
	e := newEnv(t)
	for i := range 60 {
		e.fake.addUser(fmt.Sprintf("u%03d", i), "password-x", false)
	}
	c := e.adminClient()
	c.get("/users?q=u&page=2")
	r := c.post("/users/disabled", url.Values{"user": {"u055@example.org"}, "disabled": {"true"}, "q": {"u"}, "page": {"2"}})
	if r.location() != "/users?page=2&q=u" {
		t.Errorf("returned to %q", r.location())
	}
	r = c.get(r.location())
	wantBody(t, r, `<input type="hidden" name="q" value="u">`, `<input type="hidden" name="page" value="2">`)
}

func TestSessionsPage(t *testing.T) {
	e := newEnv(t)
	e.fake.addSession(e.alice+"/phone", "203.0.113.5:5222")
	e.fake.addSession(e.boss+"/pc", "203.0.113.6:5222")
	c := e.adminClient()
	r := c.get("/sessions")
	wantBody(t, r, `<table id="sessions"`, "alice@example.org/phone", "203.0.113.5:5222", "boss@example.org/pc")
	r = c.post("/sessions/kick", url.Values{"jid": {e.alice + "/phone"}})
	wantStatus(t, r, http.StatusSeeOther, "kick")
	r = c.get("/sessions")
	wantBody(t, r, "Disconnected alice@example.org/phone.")
	if strings.Contains(r.body, "<th scope=\"row\" class=\"jid\">alice@example.org/phone") {
		t.Error("kicked session still listed")
	}
	r = c.post("/sessions/kick", url.Values{"jid": {e.alice + "/phone"}})
	wantStatus(t, r, http.StatusNotFound, "kick again")
	r = c.post("/sessions/kick", url.Values{"jid": {"no-resource@example.org"}})
	wantStatus(t, r, http.StatusBadRequest, "bare JID")
}

package webadmin

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
)

func inviteReq(uses int) admin.InviteRequest {
	return admin.InviteRequest{ValidFor: 7 * 24 * time.Hour, Uses: uses}
}

var inviteLinkRE = regexp.MustCompile(`id="invite-link" href="([^"]+)"`)

// TestInviteFlow: an administrator makes an invitation, and someone without an account
// opens its link and creates an account with it.
func TestInviteFlow(t *testing.T) {
	e := newEnv(t)
	boss := e.adminClient()
	boss.get("/invites")
	r := boss.post("/invites/create", url.Values{"valid_days": {"7"}, "uses": {"1"}, "add_inviter": {"yes"}})
	wantStatus(t, r, http.StatusOK, "create invite")
	m := inviteLinkRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invite-link on the page:\n%s", r.body)
	}
	link := m[1]
	if !strings.HasPrefix(link, "https://"+testHost+"/invite/") {
		t.Fatalf("invite link %q is not on this host", link)
	}
	wantBody(t, r, `<svg class="qr"`, `id="invites"`)
	token := strings.TrimPrefix(link, "https://"+testHost+"/invite/")
	inv := e.fake.invites[token]
	if inv.CreatedBy != e.boss || !inv.AddInviter || inv.Uses != 1 || !inv.Expires.Equal(e.clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("invitation made: %+v", inv)
	}

	guest := e.client()
	guest.remote = "203.0.113.50:1111"
	path := "/invite/" + token
	r = guest.get(path)
	wantStatus(t, r, http.StatusOK, "landing page")
	wantBody(t, r, `href="xmpp:example.org?register;preauth=`+token+`"`, `<svg class="qr"`,
		`id="invite-register"`, "Conversations", "Monal", "Gajim", "boss@example.org")

	steps := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"passwords differ", url.Values{"user": {"carol"}, "password": {"carol-pass-1"}, "password2": {"carol-pass-2"}}, http.StatusBadRequest, "not the same"},
		{"password short", url.Values{"user": {"carol"}, "password": {"short"}, "password2": {"short"}}, http.StatusBadRequest, "too short"},
		{"no name", url.Values{"user": {""}, "password": {"carol-password"}, "password2": {"carol-password"}}, http.StatusBadRequest, "Choose a user name"},
		{"name with domain", url.Values{"user": {"carol@evil.example"}, "password": {"carol-password"}, "password2": {"carol-password"}}, http.StatusBadRequest, "without @"},
		{"invalid name", url.Values{"user": {"ca rol"}, "password": {"carol-password"}, "password2": {"carol-password"}}, http.StatusBadRequest, "invalid user name"},
		{"name taken", url.Values{"user": {"alice"}, "password": {"carol-password"}, "password2": {"carol-password"}}, http.StatusConflict, "The user name alice is taken"},
	}
	for _, s := range steps {
		r := guest.post(path, s.form)
		wantStatus(t, r, s.status, s.name)
		wantBody(t, r, `id="invite-register-error"`, s.text)
		if s.form.Get("user") != "" && !strings.Contains(r.body, `value="`+s.form.Get("user")+`"`) {
			t.Errorf("%s: the name typed is not kept in the form", s.name)
		}
	}
	r = guest.post(path, url.Values{"user": {"carol"}, "password": {"carol-password"}, "password2": {"carol-password"}})
	wantStatus(t, r, http.StatusOK, "redeem")
	wantBody(t, r, `id="new-jid">carol@example.org<`, `href="/ca.der"`, `href="/ca.pem"`)
	if _, err := e.fake.Authenticate(t.Context(), "carol", "carol-password"); err != nil {
		t.Errorf("the new account cannot log in: %v", err)
	}

	// Used up: the link is dead, for reading and for posting.
	r = guest.get(path)
	wantStatus(t, r, http.StatusNotFound, "used invitation")
	wantBody(t, r, "This invitation is not valid any more")
	r = guest.post(path, url.Values{"user": {"dave"}, "password": {"dave-password"}, "password2": {"dave-password"}})
	wantStatus(t, r, http.StatusNotFound, "posting to a used invitation")
}

func TestInvitePresetName(t *testing.T) {
	e := newEnv(t)
	inv, err := e.fake.CreateInvite(actAs(t.Context(), e.boss), admin.InviteRequest{ValidFor: time.Hour, Uses: 1, Username: "erin"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	r := c.get("/invite/" + inv.Token)
	wantBody(t, r, `id="reg-user" name="user" type="text" value="erin" readonly`)
	// The name sent does not matter: the invitation says which.
	r = c.post("/invite/"+inv.Token, url.Values{"user": {"mallory"}, "password": {"erin-password"}, "password2": {"erin-password"}})
	wantStatus(t, r, http.StatusOK, "redeem preset")
	wantBody(t, r, `id="new-jid">erin@example.org<`)
}

func TestInviteInvalid(t *testing.T) {
	e := newEnv(t)
	inv, _ := e.fake.CreateInvite(actAs(t.Context(), e.boss), admin.InviteRequest{ValidFor: time.Hour, Uses: 1})
	revoked, _ := e.fake.CreateInvite(actAs(t.Context(), e.boss), admin.InviteRequest{ValidFor: 48 * time.Hour, Uses: 1})
	boss := e.adminClient()
	boss.get("/invites")
	wantStatus(t, boss.post("/invites/revoke", url.Values{"token": {revoked.Token}}), http.StatusSeeOther, "revoke")
	wantBody(t, boss.get("/invites"), "Revoked the invitation")
	wantStatus(t, boss.post("/invites/revoke", url.Values{"token": {revoked.Token}}), http.StatusNotFound, "revoke twice")
	e.clock.Advance(2 * time.Hour)
	c := e.client()
	for name, path := range map[string]string{
		"unknown": "/invite/NOSUCHTOKEN",
		"expired": "/invite/" + inv.Token,
		"revoked": "/invite/" + revoked.Token,
		"long":    "/invite/" + strings.Repeat("A", 300),
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusNotFound, name)
		wantBody(t, r, "This invitation is not valid any more")
	}
}

func TestInviteCreateValidation(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	cases := []struct {
		name string
		form url.Values
		text string
	}{
		{"validity not offered", url.Values{"valid_days": {"3"}, "uses": {"1"}}, "1, 7 or 30 days"},
		{"no uses", url.Values{"valid_days": {"7"}, "uses": {"0"}}, "from 1 to 100"},
		{"too many uses", url.Values{"valid_days": {"7"}, "uses": {"101"}}, "from 1 to 100"},
		{"uses not a number", url.Values{"valid_days": {"7"}, "uses": {"many"}}, "from 1 to 100"},
		{"bad preset name", url.Values{"valid_days": {"7"}, "uses": {"1"}, "username": {"a b"}}, "invalid user name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/invites/create", tc.form)
			wantStatus(t, r, http.StatusBadRequest, tc.name)
			wantBody(t, r, `id="create-invite-error"`, tc.text)
			if strings.Contains(r.body, `id="invite-link"`) {
				t.Error("a failed create shows an invite link")
			}
		})
	}
	if n := len(e.fake.invites); n != 0 {
		t.Errorf("%d invitations made", n)
	}
}

// TestUsersInvite: with the setting on, an account that is not an administrator finds
// Invitations in its menu, invites one person (the form has no number of uses or user
// name) and sees only its own invitations.
func TestUsersInvite(t *testing.T) {
	e := newEnv(t)
	alice := e.userClient()
	if r := alice.get("/me"); strings.Contains(r.body, `href="/invites"`) {
		t.Error("menu offers Invitations while users may not invite")
	}
	wantStatus(t, alice.get("/invites"), http.StatusForbidden, "invites with the setting off")

	boss := e.adminClient()
	boss.get("/settings")
	r := boss.post("/settings", url.Values{"registration": {"closed"}, "retention_days": {"30"}, "users_may_invite": {"yes"}})
	wantStatus(t, r, http.StatusSeeOther, "save settings")
	bossInv := boss.post("/invites/create", url.Values{"valid_days": {"30"}, "uses": {"3"}})
	wantStatus(t, bossInv, http.StatusOK, "the admin's invitation")

	page := alice.get("/invites")
	wantStatus(t, page, http.StatusOK, "invites with the setting on")
	if !strings.Contains(page.body, `href="/invites"`) || strings.Contains(page.body, `id="invite-uses"`) || strings.Contains(page.body, `value="30"`) {
		t.Errorf("a user's invitation page should have the menu entry and neither uses nor 30 days:\n%s", page.body)
	}
	r = alice.post("/invites/create", url.Values{"valid_days": {"7"}, "uses": {"50"}, "username": {"mallory"}, "add_inviter": {"yes"}})
	wantStatus(t, r, http.StatusOK, "alice's invitation")
	wantBody(t, r, `id="invite-link"`)
	if n := strings.Count(r.body, "/invite/"); n < 1 {
		t.Errorf("no invitation link shown")
	}
	e.fake.mu.Lock()
	var mine, all int
	for _, inv := range e.fake.invites {
		all++
		if inv.CreatedBy == e.alice {
			mine++
			if inv.Uses != 1 || inv.Username != "" || !inv.AddInviter {
				t.Errorf("alice's invitation %+v: want one use, no user name, adding her", inv)
			}
		}
	}
	e.fake.mu.Unlock()
	if mine != 1 || all != 2 {
		t.Errorf("%d invitations by alice of %d, want 1 of 2", mine, all)
	}
	if r := alice.post("/invites/create", url.Values{"valid_days": {"30"}}); r.code == http.StatusOK && strings.Contains(r.body, `id="invite-link"`) {
		t.Error("a user made a 30-day invitation")
	}
}

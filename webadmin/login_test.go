package webadmin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	cases := []struct {
		name, user, password string
		status               int
		to                   string // redirect on success
		text                 string // on the page on failure
	}{
		{"admin", "boss", bossPass, http.StatusSeeOther, "/", ""},
		{"admin by JID", "Boss@example.org", bossPass, http.StatusSeeOther, "/", ""},
		{"user", "alice", alicePass, http.StatusSeeOther, "/me", ""},
		{"wrong password", "alice", "nope-nope", http.StatusUnauthorized, "", "Wrong user name or password."},
		{"unknown user", "mallory", alicePass, http.StatusUnauthorized, "", "Wrong user name or password."},
		{"empty", "", "", http.StatusBadRequest, "", "Enter your user name and your password."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client()
			c.get("/login")
			r := c.post("/login", url.Values{"user": {tc.user}, "password": {tc.password}})
			wantStatus(t, r, tc.status, "login")
			if tc.to != "" && r.location() != tc.to {
				t.Errorf("redirect to %q, want %q", r.location(), tc.to)
			}
			if tc.text != "" {
				wantBody(t, r, tc.text, `id="login-error"`)
			}
		})
	}
}

// TestLoginDisabled: a disabled account cannot log in, and is told no more than anyone.
func TestLoginDisabled(t *testing.T) {
	e := newEnv(t)
	e.fake.setFlags(e.alice, false, true)
	c := e.client()
	c.get("/login")
	r := c.post("/login", url.Values{"user": {"alice"}, "password": {alicePass}})
	wantStatus(t, r, http.StatusUnauthorized, "disabled login")
	wantBody(t, r, "Wrong user name or password.")
}

// TestLoginAudit: logins, failed or not, are logged with the client's address and the
// name, and the password is not.
func TestLoginAudit(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/login")
	c.post("/login", url.Values{"user": {"alice"}, "password": {"secret-wrong"}})
	c.post("/login", url.Values{"user": {"alice"}, "password": {alicePass}})
	logs := e.logs.String()
	for _, want := range []string{
		`msg="web login failed" user=alice remote=192.0.2.10`,
		`msg="web login" jid=alice@example.org remote=192.0.2.10 admin=false`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "secret-wrong") || strings.Contains(logs, alicePass) {
		t.Errorf("a password reached the log:\n%s", logs)
	}
}

// TestLoginThrottle: after 5 failures in 15 minutes from one address, or for one name,
// logins are refused with 429 whatever the password, until the window has passed.
func TestLoginThrottle(t *testing.T) {
	fail := func(c *client, user string) response {
		return c.post("/login", url.Values{"user": {user}, "password": {"wrong-password"}})
	}
	t.Run("per user", func(t *testing.T) {
		e := newEnv(t)
		for i := range maxLoginFailures {
			c := e.client()
			c.remote = "192.0.2." + strconv.Itoa(20+i) + ":1234" // a new address each time
			c.get("/login")
			wantStatus(t, fail(c, "alice"), http.StatusUnauthorized, "failure "+strconv.Itoa(i+1))
		}
		c := e.client()
		c.remote = "203.0.113.99:1234"
		c.get("/login")
		e.fake.callLog()
		// Other spellings of the name count for the same account.
		for _, name := range []string{"alice", "ALICE", "alice@example.org", "alice@example.org/web"} {
			r := c.post("/login", url.Values{"user": {name}, "password": {alicePass}})
			wantStatus(t, r, http.StatusTooManyRequests, "right password for "+name+" while throttled")
			wantBody(t, r, "Too many failed logins")
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 || s > 15*60+1 {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
		noCallsBut(t, e.fake, "throttled login")
		// Another account is not affected.
		wantStatus(t, c.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}}), http.StatusSeeOther, "other user")

		e.clock.Advance(loginWindow)
		c = e.client()
		c.get("/login")
		wantStatus(t, c.post("/login", url.Values{"user": {"alice"}, "password": {alicePass}}), http.StatusSeeOther, "after the window")
	})
	t.Run("per address", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		c.get("/login")
		for i := range maxLoginFailures {
			fail(c, "nobody"+strconv.Itoa(i))
			e.clock.Advance(time.Minute)
		}
		r := c.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}})
		wantStatus(t, r, http.StatusTooManyRequests, "same address, other user")
		// The oldest failure leaves the window first.
		e.clock.Advance(loginWindow - 5*time.Minute)
		wantStatus(t, c.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}}), http.StatusSeeOther, "after the oldest failure expired")
	})
	t.Run("IPv6 /64", func(t *testing.T) {
		e := newEnv(t)
		for i := range maxLoginFailures {
			c := e.client()
			c.remote = "[2001:db8:1:2::" + strconv.Itoa(i+1) + "]:443"
			c.get("/login")
			fail(c, "nobody"+strconv.Itoa(i))
		}
		c := e.client()
		c.remote = "[2001:db8:1:2:ffff::1]:443"
		c.get("/login")
		wantStatus(t, c.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}}), http.StatusTooManyRequests, "same /64")
		c.remote = "[2001:db8:1:3::1]:443"
		wantStatus(t, c.post("/login", url.Values{"user": {"boss"}, "password": {bossPass}}), http.StatusSeeOther, "other /64")
	})
	t.Run("successes do not count", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		for range 2 * maxLoginFailures {
			c.get("/login")
			wantStatus(t, c.post("/login", url.Values{"user": {"alice"}, "password": {alicePass}}), http.StatusSeeOther, "login")
		}
	})
}

func TestThrottleForgive(t *testing.T) {
	th := newThrottle(2, time.Minute)
	now := time.Unix(1000, 0)
	a, _, ok := th.begin(now, "k")
	if !ok {
		t.Fatal("first attempt refused")
	}
	if _, _, ok := th.begin(now, "k"); !ok {
		t.Fatal("second attempt refused")
	}
	if _, retry, ok := th.begin(now, "k"); ok || !retry.Equal(now.Add(time.Minute)) {
		t.Fatalf("third attempt: ok=%v retry=%v", ok, retry)
	}
	th.forgive(a)
	if _, _, ok := th.begin(now, "k"); !ok {
		t.Fatal("attempt after forgive refused")
	}
	// The sweep forgets keys that are quiet for a window.
	th.begin(now.Add(2*time.Minute), "other")
	th.mu.Lock()
	n := len(th.failures)
	th.mu.Unlock()
	if n != 1 {
		t.Errorf("%d keys after the sweep, want 1", n)
	}
}

func TestUserKey(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":                 "alice",
		" alice@Example.org ":   "alice",
		"alice@example.org/web": "alice",
		"alice@other.example":   "alice@other.example",
	} {
		if got := userKey(in, testDomain); got != want {
			t.Errorf("userKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLogout ends the session on the server, not only in the browser.
func TestLogout(t *testing.T) {
	e := newEnv(t)
	c := e.userClient()
	stolen := c.cookies[sessionCookie].Value
	r := c.post("/logout", nil)
	wantStatus(t, r, http.StatusSeeOther, "logout")
	if _, ok := c.cookies[sessionCookie]; ok {
		t.Error("the session cookie was not cleared")
	}
	c.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: stolen}
	wantStatus(t, c.get("/me"), http.StatusSeeOther, "old cookie after logout")
	if !strings.Contains(e.logs.String(), `msg="web logout" jid=alice@example.org`) {
		t.Error("logout not logged")
	}
}

package webadmin

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestOverTLS drives the page with a real HTTP client over TLS, as a browser would: the
// __Host- cookies go back and forth, and the redirects after login and forms land.
func TestOverTLS(t *testing.T) {
	e := newEnv(t)
	srv := newTLSServer(t, e.h)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := srv.Client()
	hc.Jar = jar

	get := func(path string) (int, string) {
		t.Helper()
		res, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	tokenRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	post := func(path string, form url.Values, page string) (int, string, *http.Response) {
		t.Helper()
		form.Set("csrf", tokenRE.FindStringSubmatch(page)[1])
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res
	}

	code, page := get("/users")
	if code != http.StatusOK || !strings.Contains(page, `id="login"`) {
		t.Fatalf("/users without login: %d, not the login form", code)
	}
	code, page, res := post("/login", url.Values{"user": {"boss"}, "password": {bossPass}}, page)
	if code != http.StatusOK || res.Request.URL.Path != "/" || !strings.Contains(page, "Dashboard") {
		t.Fatalf("after login: %d at %s", code, res.Request.URL.Path)
	}
	code, page = get("/invites")
	if code != http.StatusOK {
		t.Fatalf("/invites: %d", code)
	}
	code, page, _ = post("/invites/create", url.Values{"valid_days": {"1"}, "uses": {"2"}}, page)
	m := inviteLinkRE.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("create invite: %d, link %v", code, m)
	}
	code, page, res = post("/logout", url.Values{}, page)
	if code != http.StatusOK || res.Request.URL.Path != "/login" {
		t.Fatalf("after logout: %d at %s", code, res.Request.URL.Path)
	}
	if code, page := get("/users"); code != http.StatusOK || !strings.Contains(page, `id="login"`) {
		t.Fatalf("/users after logout: %d, not the login form", code)
	}
}

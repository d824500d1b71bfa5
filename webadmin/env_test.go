package webadmin

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testDomain = "example.org"
	testHost   = "box.example.org"
	bossPass   = "boss-password"
	alicePass  = "alice-password"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer collects log output from handlers that may run on other goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a Handler over a fakeBackend with two accounts: boss, an administrator, and
// alice.
type env struct {
	t     *testing.T
	fake  *fakeBackend
	h     *Handler
	clock *clock
	logs  *lockedBuffer
	boss  string // bare JIDs
	alice string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFakeBackend(testDomain, c.Now)
	logs := &lockedBuffer{}
	h, err := New(Options{
		Backend: f,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Domain:  testDomain,
		Now:     c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, fake: f, h: h, clock: c, logs: logs}
	e.boss = f.addUser("boss", bossPass, true)
	e.alice = f.addUser("alice", alicePass, false)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("handler log:\n%s", logs.String())
		}
	})
	return e
}

// client is a browser stand-in: it keeps cookies, remembers the last CSRF token a page
// showed, and sends requests straight to the Handler as if over TLS to testHost.
type client struct {
	e       *env
	cookies map[string]*http.Cookie
	csrf    string // from the last page with a form
	remote  string // RemoteAddr
}

func (e *env) client() *client {
	return &client{e: e, cookies: make(map[string]*http.Cookie), remote: "192.0.2.10:50000"}
}

// response is what the client got.
type response struct {
	code   int
	header http.Header
	body   string
}

func (r response) location() string { return r.header.Get("Location") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) response {
	c.e.t.Helper()
	req.RemoteAddr = c.remote
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.e.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	body := rec.Body.String()
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return response{code: rec.Code, header: rec.Header(), body: body}
}

func (c *client) get(path string) response {
	c.e.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, "https://"+testHost+path, nil))
}

// post sends form with the last CSRF token the client saw, unless form has a csrf field.
func (c *client) post(path string, form url.Values) response {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has(csrfField) {
		form.Set(csrfField, c.csrf)
	}
	return c.postRaw(path, form, nil)
}

// postRaw sends form as it is, with extra headers.
func (c *client) postRaw(path string, form url.Values, hdr map[string]string) response {
	c.e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "https://"+testHost+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// login logs in through the form and fails the test if that does not work.
func (c *client) login(user, password string) {
	c.e.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"user": {user}, "password": {password}})
	if r.code != http.StatusSeeOther {
		c.e.t.Fatalf("login as %s: status %d, want 303\n%s", user, r.code, r.body)
	}
	// Fetch a page so the client holds the session's CSRF token.
	c.get(r.location())
}

// adminClient and userClient are logged in as boss and alice.
func (e *env) adminClient() *client {
	c := e.client()
	c.login("boss", bossPass)
	return c
}

func (e *env) userClient() *client {
	c := e.client()
	c.remote = "198.51.100.7:40000"
	c.login("alice", alicePass)
	return c
}

// concrete turns a route pattern into a request path.
func (e *env) concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	path = strings.ReplaceAll(path, "{name}", "style.css")
	path = strings.ReplaceAll(path, "{token}", "NOSUCHTOKEN")
	return method, path
}

func wantStatus(t *testing.T, r response, want int, what string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.code, want, r.body)
	}
}

func wantBody(t *testing.T, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("page lacks %q:\n%s", w, r.body)
		}
	}
}

// newTLSServer serves h over TLS on a loopback port until the test ends.
func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

package integration

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which scripts/test installs.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one browser test: page loads on loopback take milliseconds, but a
// cold chromium start on a small CI machine takes seconds.
const browserTimeout = 90 * time.Second

// stepTimeout bounds one browser action, so a page that never shows what a step waits for
// fails that step with the page's content while the browser is still usable.
const stepTimeout = 20 * time.Second

// webAddr waits for the web page's HTTPS listener and returns its address.
func webAddr(t *testing.T, srv *Server) string {
	t.Helper()
	line := srv.WaitLog(t, 10*time.Second, func(l string) bool {
		return listeningRE.MatchString(l) && logValue(l, "listener") == "https"
	})
	return logValue(line, "addr")
}

// leafPin verifies the web page's certificate against the box's CA, as a browser that
// imported it would, and returns the SHA-256 of its public key in the form chromium's
// --ignore-certificate-errors-spki-list takes: the browser then trusts exactly that key.
func leafPin(t *testing.T, srv *Server, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: srv.Domain, RootCAs: srv.CAPool, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatalf("TLS to the web page with the box's CA: %v", err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// newBrowser starts a headless chromium that resolves the box's domain to 127.0.0.1 and
// trusts the box's certificate. It skips the test when chromium is missing, unless
// XMPPBOX_REQUIRE_BROWSER=1 (scripts/test installs chromium and sets it).
func newBrowser(t *testing.T, srv *Server, addr string) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("XMPPBOX_REQUIRE_BROWSER") == "1" {
			t.Fatalf("chromium is required: %v", err)
		}
		t.Skipf("chromium not installed: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("host-resolver-rules", "MAP "+srv.Domain+" 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafPin(t, srv, addr)),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	// The first action starts the browser and ties it to the context it runs with: that
	// must be bctx, not one of browse's per-step contexts.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// screenshot saves the page as NAME.png in the test's artifact directory (go test
// -artifacts keeps it), and in XMPPBOX_SCREENSHOTS when set (docs/screenshots for the
// README).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.ArtifactDir()}
	if d := os.Getenv("XMPPBOX_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		err := chromedp.Do(sctx, a)
		cancel()
		if err != nil {
			url, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s, step %d: %v\nat %s:\n%s", what, i+1, err, url, body)
		}
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestWebAdminInviteFlow is the whole day-one story in a real browser: the admin logs in,
// creates an account and an invitation that adds the admin to the invitee's contacts; the
// invitee opens the link, creates an account on the landing page, and logs in with an
// XMPP client, finding the admin in the roster; the admin sees the new user listed.
func TestWebAdminInviteFlow(t *testing.T) {
	srv := startServer(t, serverOpts{})
	addr := webAddr(t, srv)
	_, port, _ := strings.Cut(addr, ":")
	base := "https://" + srv.Domain + ":" + port
	ctx := newBrowser(t, srv, addr)

	browse(t, ctx, "log in as the admin",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login-user"), adminName),
		chromedp.SendKeys(chromedp.ID("login-password"), adminPassword),
		chromedp.Submit(chromedp.ID("login-password")),
		chromedp.WaitVisible(chromedp.ID("stat-users")),
	)
	if got := text(t, ctx, "#stat-users"); strings.TrimSpace(got) != "1" {
		t.Errorf("dashboard user count = %q, want 1", got)
	}
	screenshot(t, ctx, "dashboard")

	browse(t, ctx, "create an account",
		chromedp.Navigate(base+"/users"),
		chromedp.WaitVisible(chromedp.ID("create-user")),
		chromedp.SendKeys(chromedp.ID("create-name"), "carol"),
		chromedp.SendKeys(chromedp.ID("create-password"), "carol-secret-1"),
		chromedp.Submit(chromedp.ID("create-password")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if got := text(t, ctx, "#users"); !strings.Contains(got, srv.JID("carol")) {
		t.Errorf("users table after creating carol: %q", got)
	}
	dial(t, srv, "carol", "carol-secret-1", dialOpts{}).Close(t)

	browse(t, ctx, "create an invitation",
		chromedp.Navigate(base+"/invites"),
		chromedp.WaitVisible(chromedp.ID("create-invite")),
		chromedp.Click(chromedp.ID("invite-add-inviter")),
		chromedp.Submit(chromedp.ID("invite-uses")),
		chromedp.WaitVisible(chromedp.ID("invite-link")),
	)
	screenshot(t, ctx, "invites")
	link := text(t, ctx, "#invite-link")
	if !strings.HasPrefix(link, base+"/invite/") {
		t.Fatalf("invitation link %q, want %s/invite/TOKEN", link, base)
	}

	// The invitee's own browser: no admin cookie.
	guest := newBrowser(t, srv, addr)
	browse(t, guest, "open the invitation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("invite-register")),
	)
	screenshot(t, guest, "invite")
	// Invitations are mostly opened on phones: the page must fit a 360-pixel screen
	// without sideways scrolling.
	browse(t, guest, "phone viewport", chromedp.EmulateViewport(360, 740), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("invite-register")))
	width, err := chromedp.Run(guest, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if err != nil || width > 360 {
		t.Errorf("invitation page on a phone: %d pixels wide (%v), want at most 360", width, err)
	}
	screenshot(t, guest, "invite-phone")
	browse(t, guest, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	browse(t, guest, "register through the invitation",
		chromedp.SendKeys(chromedp.ID("reg-user"), "Dave"),
		chromedp.SendKeys(chromedp.ID("reg-password"), "dave-secret-1"),
		chromedp.SendKeys(chromedp.ID("reg-password2"), "dave-secret-1"),
		chromedp.Submit(chromedp.ID("reg-password2")),
		chromedp.WaitVisible(chromedp.ID("new-jid")),
	)
	if got := strings.TrimSpace(text(t, guest, "#new-jid")); got != srv.JID("dave") {
		t.Errorf("new account = %q, want %s", got, srv.JID("dave"))
	}
	// A used invitation does not open again.
	browse(t, guest, "reopen the used invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main")))
	if got := text(t, guest, "main"); !strings.Contains(got, "not valid") {
		t.Errorf("used invitation page: %q", got)
	}

	browse(t, ctx, "find the new user",
		chromedp.Navigate(base+"/users?q=dave"),
		chromedp.WaitVisible(chromedp.ID("users")),
	)
	if got := text(t, ctx, "#users"); !strings.Contains(got, srv.JID("dave")) {
		t.Errorf("users table searching dave: %q", got)
	}

	dave := dial(t, srv, "dave", "dave-secret-1", dialOpts{})
	roster := dave.IQ(t, `<iq type='get' id='%s'><query xmlns='jabber:iq:roster'/></iq>`)
	found := false
	for _, it := range roster.Child("jabber:iq:roster", "query").All("jabber:iq:roster", "item") {
		found = found || (it.Get("jid") == srv.JID(adminName) && it.Get("subscription") == "both")
	}
	if !found {
		t.Errorf("dave's roster lacks the inviting admin with subscription both: %s", roster)
	}
	// And they chat, nobody having typed a command.
	boss := dial(t, srv, adminName, adminPassword, dialOpts{})
	boss.Presence(t)
	dave.Send(t, `<message to='%s' type='chat' id='hello'><body>thanks for the invitation</body></message>`, srv.JID(adminName))
	boss.WaitFor(t, "dave's message", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.ChildText(nsClient, "body") == "thanks for the invitation"
	})

	browse(t, ctx, "see dave online",
		chromedp.Navigate(base+"/sessions"),
		chromedp.WaitVisible(chromedp.ID("sessions")),
	)
	if got := text(t, ctx, "#sessions"); !strings.Contains(got, srv.JID("dave")) {
		t.Errorf("sessions page lacks dave: %q", got)
	}
	browse(t, ctx, "log out",
		chromedp.Submit(chromedp.CSS("#logout button")),
		chromedp.WaitVisible(chromedp.ID("login")),
	)
}

// TestWebAdminGateway: the admin adds a gateway (component) on the Federation page, and a
// component logs in with the secret the page showed once.
func TestWebAdminGateway(t *testing.T) {
	srv := startServer(t, serverOpts{})
	addr := webAddr(t, srv)
	_, port, _ := strings.Cut(addr, ":")
	base := "https://" + srv.Domain + ":" + port
	ctx := newBrowser(t, srv, addr)
	gw := "irc." + srv.Domain

	browse(t, ctx, "log in and add a gateway",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login-user"), adminName),
		chromedp.SendKeys(chromedp.ID("login-password"), adminPassword),
		chromedp.Submit(chromedp.ID("login-password")),
		chromedp.WaitVisible(chromedp.ID("stat-users")),
		chromedp.Navigate(base+"/federation"),
		chromedp.WaitVisible(chromedp.ID("add-component")),
		chromedp.SendKeys(chromedp.ID("component-domain"), gw),
		chromedp.Submit(chromedp.ID("component-domain")),
		chromedp.WaitVisible(chromedp.ID("component-secret")),
	)
	screenshot(t, ctx, "federation")
	secret := strings.TrimSpace(text(t, ctx, "#component-secret-value"))
	if len(secret) < 16 {
		t.Fatalf("secret shown: %q", secret)
	}
	comp := dialComponent(t, srv, gw, secret)
	comp.Close(t)

	browse(t, ctx, "the gateway is listed", chromedp.Navigate(base+"/federation"), chromedp.WaitVisible(chromedp.ID("components")))
	if got := text(t, ctx, "#components"); !strings.Contains(got, gw) {
		t.Errorf("components table: %q", got)
	}
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.getElementById('component-secret') !== null")); err != nil || shown {
		t.Errorf("the secret is shown again (%v)", err)
	}
}

package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	nsCarbons = "urn:xmpp:carbons:2"
	nsForward = "urn:xmpp:forward:0"
)

// TestCarbons: alice has three resources, "one" and "two" with carbons enabled (XEP-0280)
// and "three" without. A message from bob to alice/one is copied to alice/two as
// <received/>, a message from alice/one to bob as <sent/>; <private/> and <no-copy/>
// messages are not copied; alice/three gets no copy of anything.
func TestCarbons(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	one := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "one"})
	two := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "two"})
	three := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "three"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	for _, c := range []*Client{one, two, three, bob} {
		c.Presence(t)
	}

	info := one.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, srv.Domain)
	if !discoHas(info, nsCarbons) {
		t.Fatalf("server disco#info %s lacks %s", info, nsCarbons)
	}
	for _, c := range []*Client{one, two} {
		if res := c.IQ(t, `<iq type='set' id='%s'><enable xmlns='urn:xmpp:carbons:2'/></iq>`); res.Get("type") != "result" {
			t.Fatalf("%s: enable carbons: %s", c.JID, res)
		}
	}
	alice := srv.JID("alice")

	t.Run("received", func(t *testing.T) {
		bob.Send(t, `<message to='%s' type='chat' id='in-1'><body>to one only</body></message>`, one.JID)
		one.WaitFor(t, "bob's message", isMessageWithBody("to one only"))
		c := two.WaitFor(t, "a <received/> copy", isCarbon("received", "to one only"))
		checkCarbon(t, c, alice, two.JID.String(), "chat")
		inner := carbonInner(c, "received")
		if inner.Get("from") != bob.JID.String() || inner.Get("to") != one.JID.String() {
			t.Errorf("forwarded %s, want from %s to %s", inner, bob.JID, one.JID)
		}
	})
	t.Run("sent", func(t *testing.T) {
		one.Send(t, `<message to='%s' type='chat' id='out-1'><body>from one</body></message>`, bob.JID.Bare())
		bob.WaitFor(t, "alice's message", isMessageWithBody("from one"))
		c := two.WaitFor(t, "a <sent/> copy", isCarbon("sent", "from one"))
		checkCarbon(t, c, alice, two.JID.String(), "chat")
		inner := carbonInner(c, "sent")
		if inner.Get("from") != one.JID.String() || inner.Get("to") != bob.JID.Bare().String() {
			t.Errorf("forwarded %s, want from %s to %s", inner, one.JID, bob.JID.Bare())
		}
	})
	t.Run("private and no-copy", func(t *testing.T) {
		one.Send(t, `<message to='%s' type='chat'><body>private out</body><private xmlns='urn:xmpp:carbons:2'/><no-copy xmlns='urn:xmpp:hints'/></message>`, bob.JID)
		bob.Send(t, `<message to='%s' type='chat'><body>private in</body><private xmlns='urn:xmpp:carbons:2'/></message>`, one.JID)
		bob.Send(t, `<message to='%s' type='chat'><body>no-copy in</body><no-copy xmlns='urn:xmpp:hints'/></message>`, one.JID)
		// A copied message after them: copies reach alice/two in order, so once this one is
		// there, a copy of the others would be too.
		bob.Send(t, `<message to='%s' type='chat'><body>marker</body></message>`, one.JID)
		two.WaitFor(t, "the copy of the marker", isCarbon("received", "marker"))
		for _, body := range []string{"private out", "private in", "no-copy in"} {
			if n := two.count(isCarbon("", body)); n != 0 {
				t.Errorf("alice/two got %d copies of %q", n, body)
			}
		}
		in := one.WaitFor(t, "the private message", isMessageWithBody("private in"))
		if in.Child(nsCarbons, "private") != nil {
			t.Errorf("alice/one got %s: <private/> must be removed on delivery (XEP-0280 §8)", in)
		}
		bob.WaitFor(t, "alice's private message", isMessageWithBody("private out"))
	})
	t.Run("resource without carbons", func(t *testing.T) {
		// Everything above was handled when bob's and alice/one's pings come back; then
		// alice/three's own ping flushes what was queued for it.
		bob.Ping(t)
		one.Ping(t)
		three.Ping(t)
		if n := three.count(func(e *Elem) bool { return e.Child(nsCarbons, "sent") != nil || e.Child(nsCarbons, "received") != nil }); n != 0 {
			t.Errorf("alice/three, without carbons, got %d copies:\n%s", n, three.received())
		}
		if n := three.count(isMessageWithBody("to one only")); n != 0 {
			t.Errorf("alice/three got bob's message to alice/one")
		}
	})
	t.Run("disable", func(t *testing.T) {
		if res := two.IQ(t, `<iq type='set' id='%s'><disable xmlns='urn:xmpp:carbons:2'/></iq>`); res.Get("type") != "result" {
			t.Fatalf("disable carbons: %s", res)
		}
		bob.Send(t, `<message to='%s' type='chat'><body>after disable</body></message>`, one.JID)
		one.WaitFor(t, "bob's message", isMessageWithBody("after disable"))
		bob.Ping(t)
		two.Ping(t)
		if n := two.count(isCarbon("", "after disable")); n != 0 {
			t.Errorf("alice/two got a copy after disabling carbons")
		}
	})
}

// isCarbon matches a carbon copy (<sent/> or <received/>; dir "" for either) whose
// forwarded message has the given body.
func isCarbon(dir, body string) func(*Elem) bool {
	return func(e *Elem) bool {
		for _, d := range []string{"sent", "received"} {
			if dir != "" && d != dir {
				continue
			}
			if inner := carbonInner(e, d); inner != nil && strings.TrimSpace(inner.ChildText(nsClient, "body")) == body {
				return true
			}
		}
		return false
	}
}

// carbonInner returns the forwarded message of a carbon copy, or nil.
func carbonInner(e *Elem, dir string) *Elem {
	if !e.Is(nsClient, "message") {
		return nil
	}
	return e.Child(nsCarbons, dir).Child(nsForward, "forwarded").Child(nsClient, "message")
}

// checkCarbon checks the wrapper's addresses and type (XEP-0280 §6, §7). The wrapper
// comes from the account's bare JID, which mellium shows as an empty 'from' (it blanks a
// 'from' equal to the session's own bare JID, session.go), so an empty one is accepted.
func checkCarbon(t *testing.T, c *Elem, from, to, typ string) {
	t.Helper()
	if f := c.Get("from"); (f != from && f != "") || c.Get("to") != to || c.Get("type") != typ {
		t.Errorf("copy %s, want from %s to %s type %s", c, from, to, typ)
	}
}

// discoHas reports whether a disco#info result lists feature.
func discoHas(res *Elem, feature string) bool {
	for _, f := range res.Child(nsDiscoInf, "query").All(nsDiscoInf, "feature") {
		if f.Get("var") == feature {
			return true
		}
	}
	return false
}

// TestCarbonsSlixmpp: slixmpp's xep_0280 plugin, logged in as alice next to a mellium
// client, finds carbons in the server's disco#info, enables them and gets a <received/>
// copy of bob's message to the other resource and a <sent/> copy of that resource's
// replies; the plugin only reports copies that come from alice's own bare JID.
func TestCarbonsSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	web := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "web"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	web.Presence(t)
	bob.Presence(t)

	lines, _, wait := startSlixmppScript(t, srv, "slixmpp_carbons.py", "alice", "alice-pw-1")
	lines.wait(t, "FEATURE "+nsCarbons, 1)
	lines.wait(t, "READY", 1)

	bob.Send(t, `<message to='%s' type='chat'><body>hello web</body></message>`, web.JID)
	web.WaitFor(t, "bob's message", isMessageWithBody("hello web"))
	lines.wait(t, "RECEIVED "+bob.JID.String()+" "+web.JID.String()+" hello web", 1)

	for _, body := range []string{"hi bob", "done"} {
		web.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, bob.JID.Bare(), body)
		bob.WaitFor(t, "alice's message", isMessageWithBody(body))
	}
	lines.wait(t, "SENT "+web.JID.String()+" "+bob.JID.Bare().String()+" hi bob", 1)
	if err := wait(); err != nil {
		t.Fatalf("slixmpp: %v", err)
	}
}

// startSlixmppScript starts testdata/SCRIPT CA_FILE JID PASSWORD HOST PORT EXTRA... against
// the c2s (STARTTLS) listener and returns its stdout lines as they come, its stdin, and a
// function that waits for its exit (up to clientTimeout) and returns its error. The
// process is killed when the test ends.
func startSlixmppScript(t *testing.T, srv *Server, script, user, password string, extra ...string) (*lineWatcher, io.Writer, func() error) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*clientTimeout)
	cmd := exec.CommandContext(ctx, python, append([]string{path, srv.CAFile, srv.JID(user), password, host, port}, extra...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// An os.Pipe rather than StdoutPipe: Wait must not close the pipe under the reader,
	// and the exit is reported only once the reader is done, so nothing logs through t
	// after the test.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	cmd.Stderr = logWriter{t}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		cancel()
		t.Fatalf("start %s: %v", script, err)
	}
	lines := &lineWatcher{more: make(chan struct{}, 1)}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			t.Logf("%s: %s", script, sc.Text())
			lines.mu.Lock()
			lines.lines = append(lines.lines, sc.Text())
			lines.mu.Unlock()
			select {
			case lines.more <- struct{}{}:
			default:
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		<-read
		done <- err
	}()
	t.Cleanup(func() { cancel(); done <- <-done })
	wait := func() error {
		select {
		case err := <-done:
			done <- err // for the cleanup
			return err
		case <-time.After(clientTimeout):
			return fmt.Errorf("%s did not exit within %v", script, clientTimeout)
		}
	}
	return lines, stdin, wait
}

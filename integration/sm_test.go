package integration

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cutProxy forwards TCP connections to a target and can cut them all at once, like a
// phone losing its network.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.accept()
	return p
}

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

// cut closes every proxied connection, both sides.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// lineWatcher reads a process's stdout and lets the test wait for lines.
type lineWatcher struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func watchLines(t *testing.T, r io.Reader) *lineWatcher {
	w := &lineWatcher{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			t.Logf("slixmpp: %s", sc.Text())
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// waitCount waits until exactly-or-more n lines equal line.
func (w *lineWatcher) wait(t *testing.T, line string, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if w.count(line) >= n {
			return
		}
		select {
		case <-w.more:
		case <-deadline:
			t.Fatalf("timed out waiting for %d× %q", n, line)
		}
	}
}

func (w *lineWatcher) count(line string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.lines {
		if l == line {
			n++
		}
	}
	return n
}

func startSlixmppSM(t *testing.T, srv *Server, addr, user, password string) (*lineWatcher, *exec.Cmd) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_sm.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, python, script, srv.CAFile, srv.JID(user), password, host, port)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting slixmpp: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return watchLines(t, stdout), cmd
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("slixmpp stderr: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestStreamManagementResume: slixmpp with XEP-0198 loses its TCP connection in the middle
// of a conversation, reconnects and resumes; the message sent while it was gone arrives
// exactly once, and so does every message before and after.
func TestStreamManagementResume(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	proxy := newCutProxy(t, srv.C2S)
	bob, _ := startSlixmppSM(t, srv, proxy.ln.Addr().String(), "bob", "bob-pw-1")
	bob.wait(t, "READY", 1)
	bob.wait(t, "SM ENABLED", 1)
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)

	send := func(body string) {
		alice.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, srv.JID("bob"), body)
	}
	send("before")
	bob.wait(t, "MSG before", 1)

	proxy.cut()
	bob.wait(t, "DISCONNECTED", 1)
	// The server learns of the cut from the closed socket and detaches the session.
	srv.WaitLog(t, 10*time.Second, func(l string) bool { return strings.Contains(l, "stream detached") })
	send("while away")
	bob.wait(t, "RESUMED", 1)
	bob.wait(t, "MSG while away", 1)
	send("after")
	bob.wait(t, "MSG after", 1)
	send("quit")
	bob.wait(t, "MSG quit", 1)
	for _, body := range []string{"before", "while away", "after"} {
		if n := bob.count("MSG " + body); n != 1 {
			t.Errorf("bob got %q %d times, want exactly once", body, n)
		}
	}
}

// TestStreamManagementNotResumed: a client with stream management vanishes for good; what
// the server could not get acknowledged is not lost but stored offline once the resumption
// window closes, and the next login gets it.
func TestStreamManagementNotResumed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{"limits.resume_timeout": `"1s"`}})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	bob, cmd := startSlixmppSM(t, srv, srv.C2S, "bob", "bob-pw-1")
	bob.wait(t, "SM ENABLED", 1)
	bob.wait(t, "READY", 1)
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.WaitLog(t, 10*time.Second, func(l string) bool { return strings.Contains(l, "stream detached") })
	alice.Send(t, `<message to='%s' type='chat'><body>into the void</body></message>`, srv.JID("bob"))
	srv.WaitLog(t, 10*time.Second, func(l string) bool { return strings.Contains(l, "stream management session expired") })

	again := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	again.Presence(t)
	m := again.WaitFor(t, "the unacknowledged message, from offline storage", isMessageWithBody("into the void"))
	if m.Child("urn:xmpp:delay", "delay") == nil {
		t.Errorf("offline message has no XEP-0203 delay: %s", m)
	}
}

package integration

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// transportTimeout bounds each step of the transport test: a daemon getting ready, an IRC
// line or an XMPP stanza arriving through the gateway.
const transportTimeout = 30 * time.Second

const nsMUC = "http://jabber.org/protocol/muc"

// TestBiboumiIRC runs a real transport: Debian's biboumi (the XMPP-IRC gateway) connects
// to xmppbox as the component irc.DOMAIN, an XMPP user joins an IRC channel on a local
// ngircd through it, and a plain IRC client in the test talks with her both ways.
func TestBiboumiIRC(t *testing.T) {
	t.Parallel()
	biboumi, ngircd := transportTool(t, "biboumi"), transportTool(t, "ngircd")
	srv := startServer(t, serverOpts{})
	ircDomain := "irc." + srv.Domain
	const secret = "biboumi-secret-0123456789"
	srv.AddComponent(t, ircDomain, secret)
	srv.AddUser(t, "alice", "alice-pw")

	ircPort := startNgircd(t, ngircd)
	startBiboumi(t, biboumi, srv, ircDomain, secret)
	srv.WaitLog(t, transportTimeout, func(l string) bool {
		return strings.Contains(l, "component connected") && logValue(l, "domain") == ircDomain
	})

	alice := dial(t, srv, "alice", "alice-pw", dialOpts{Resource: "laptop"})
	alice.Presence(t)

	// biboumi tries 6697 and 6670 with TLS and then 6667; our ngircd listens elsewhere.
	// Each user sets the ports of an IRC server with the gateway's ad-hoc command
	// "configure" on the server's JID (biboumi's user documentation, "Ad-hoc commands").
	ircServer := "127.0.0.1@" + ircDomain
	configureIRCServer(t, alice, ircServer, ircPort)

	bob := dialIRC(t, ircPort, "ircbob")
	bob.send("JOIN #test")
	bob.waitFor(t, "ircbob's join", func(l ircLine) bool { return l.command == "366" }) // end of NAMES

	room := "#test%127.0.0.1@" + ircDomain
	alice.Send(t, `<presence to='%s/alice'><x xmlns='%s'/></presence>`, room, nsMUC)
	alice.WaitFor(t, "her own presence in the channel", func(e *Elem) bool {
		if !e.Is(nsClient, "presence") || e.Get("from") != room+"/alice" || e.Get("type") == "error" {
			return false
		}
		for _, st := range e.Child(nsMUC+"#user", "x").All(nsMUC+"#user", "status") {
			if st.Get("code") == "110" {
				return true
			}
		}
		return false
	})
	bob.waitFor(t, "alice joining on IRC", func(l ircLine) bool {
		return l.command == "JOIN" && strings.HasPrefix(l.prefix, "alice!") && l.param(0) == "#test"
	})

	// XMPP to IRC.
	alice.Send(t, `<message type='groupchat' to='%s' id='g1'><body>hello from xmpp</body></message>`, room)
	bob.waitFor(t, "alice's message on IRC", func(l ircLine) bool {
		return l.command == "PRIVMSG" && strings.HasPrefix(l.prefix, "alice!") && l.param(0) == "#test" && l.param(1) == "hello from xmpp"
	})

	// IRC to XMPP.
	bob.send("PRIVMSG #test :hello from irc")
	m := alice.WaitFor(t, "ircbob's message in the room", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("type") == "groupchat" && e.ChildText(nsClient, "body") == "hello from irc"
	})
	if m.Get("from") != room+"/ircbob" {
		t.Errorf("the channel message came from %q, want %s/ircbob", m.Get("from"), room)
	}

	// A private IRC message reaches alice from the nick's JID at the gateway.
	bob.send("PRIVMSG alice :psst")
	p := alice.WaitFor(t, "ircbob's private message", isMessageWithBody("psst"))
	if from := p.Get("from"); !strings.HasSuffix(from, "@"+ircDomain) && !strings.Contains(from, "@"+ircDomain+"/") {
		t.Errorf("the private message came from %q, want an address at %s", from, ircDomain)
	}
}

// transportTool returns the path of a transport test's program. When it is missing the
// test is skipped, unless XMPPBOX_REQUIRE_TRANSPORTS=1 (scripts/test, which installs the
// Debian packages biboumi and ngircd) makes that a failure.
func transportTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	// ngircd is in /usr/sbin, which a user's PATH may lack.
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install biboumi ngircd (scripts/test does)", name)
	if os.Getenv("XMPPBOX_REQUIRE_TRANSPORTS") == "1" {
		t.Fatal(msg + "; XMPPBOX_REQUIRE_TRANSPORTS=1 requires it")
	}
	t.Skip(msg)
	return ""
}

// startNgircd runs ngircd in the foreground on a free loopback port, with its own
// configuration in a temp dir, and returns the port once it listens. ngircd exits when
// another process took the port meanwhile; then it tries another.
func startNgircd(t *testing.T, path string) int {
	t.Helper()
	dir := t.TempDir()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		conf := filepath.Join(dir, fmt.Sprintf("ngircd-%d.conf", attempt))
		// Ident and DNS lookups would only slow the test down; PAM would ask the system.
		// Without a ServerUID, ngircd run as root switches to "nobody" by itself.
		cfg := fmt.Sprintf(`[Global]
	Name = irc.test
	Info = xmppbox transport test
	AdminInfo1 = xmppbox
	AdminInfo2 = test
	AdminEMail = test@irc.test
	Listen = 127.0.0.1
	Ports = %d
	MotdPhrase = welcome
[Limits]
	MaxConnectionsIP = 0
[Options]
	PAM = no
	Ident = no
	DNS = no
`, port)
		if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		p := startTool(t, "ngircd", exec.Command(path, "-n", "-f", conf))
		_, err := p.log.wait(time.Now().Add(transportTimeout), func(l string) bool {
			return strings.Contains(l, "Now listening on") && strings.Contains(l, ":"+strconv.Itoa(port))
		})
		switch {
		case err == nil:
			return port
		case !errors.Is(err, errExited) || attempt == 3:
			t.Fatalf("ngircd did not listen on port %d: %v", port, err)
		}
	}
}

// startBiboumi runs biboumi as the component domain of srv. Everything it writes (its
// sqlite database, the policy files it looks for) stays in a temp dir; it logs to stdout.
func startBiboumi(t *testing.T, path string, srv *Server, domain, secret string) {
	t.Helper()
	dir := t.TempDir()
	host, port, err := net.SplitHostPort(srv.componentAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "biboumi.cfg")
	// identd_port=0: biboumi's identd would want port 113.
	cfg := strings.Join([]string{
		"hostname=" + domain,
		"password=" + secret,
		"xmpp_server_ip=" + host,
		"port=" + port,
		"db_name=" + filepath.Join(dir, "biboumi.sqlite"),
		"policy_directory=" + dir,
		"identd_port=0",
		"log_level=0",
		"log_file=",
		"realname_customization=true",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, conf)
	cmd.Dir = dir
	// No BIBOUMI_* from the environment may override the file; HOME and the XDG
	// directories point into the temp dir in case it looks there.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BIBOUMI_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	startTool(t, "biboumi", cmd)
}

// configureIRCServer sets the ports biboumi uses for ircServer (name@gateway) for c's
// account: plain text on port, no TLS ports. It is the gateway's XEP-0050 command
// "configure": execute, then submit the form.
func configureIRCServer(t *testing.T, c *Client, ircServer string, port int) {
	t.Helper()
	const nsCommands = "http://jabber.org/protocol/commands"
	res := c.IQ(t, `<iq type='set' id='%s' to='%s'><command xmlns='`+nsCommands+`' node='configure' action='execute'/></iq>`, ircServer)
	cmd := res.Child(nsCommands, "command")
	if res.Get("type") != "result" || cmd == nil || cmd.Get("sessionid") == "" || cmd.Child("jabber:x:data", "x") == nil {
		t.Fatalf("configure %s: %s, want a form", ircServer, res)
	}
	res = c.IQ(t, `<iq type='set' id='%s' to='%s'><command xmlns='`+nsCommands+`' node='configure' sessionid='%s' action='complete'>`+
		`<x xmlns='jabber:x:data' type='submit'>`+
		`<field var='ports'><value>%d</value></field>`+
		`<field var='tls_ports'/>`+
		`</x></command></iq>`, ircServer, xmlEscape(cmd.Get("sessionid")), port)
	if res.Get("type") != "result" || res.Child(nsCommands, "command").Get("status") != "completed" {
		t.Fatalf("submitting the configuration of %s: %s", ircServer, res)
	}
}

// startTool starts cmd (a daemon a test needs) with its output in t.Log, and stops it with
// SIGTERM when the test ends (SIGKILL after stopTimeout).
func startTool(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p, err := runProcess(t, name, cmd)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		// How the daemon ends (signal, exit status) is not this test's concern; that it
		// ends is.
		if err := p.terminate(stopTimeout); err != nil {
			t.Logf("%s: %v", name, err)
		}
	})
	return p
}

// ircClient is a plain IRC client (RFC 2812): it registers a nick, answers PINGs, and
// keeps every line it receives for waitFor.
type ircClient struct {
	conn net.Conn
	t    *testing.T

	mu      sync.Mutex
	lines   []ircLine     // guarded by mu
	changed chan struct{} // closed and replaced on each new line; guarded by mu
	err     error         // the read error that ended the connection; guarded by mu
}

// ircLine is one parsed IRC message.
type ircLine struct {
	prefix, command string
	params          []string
}

func (l ircLine) param(i int) string {
	if i < len(l.params) {
		return l.params[i]
	}
	return ""
}

func parseIRC(s string) ircLine {
	var l ircLine
	if strings.HasPrefix(s, ":") {
		l.prefix, s, _ = strings.Cut(s[1:], " ")
	}
	for s != "" {
		if strings.HasPrefix(s, ":") {
			l.params = append(l.params, s[1:])
			break
		}
		var p string
		p, s, _ = strings.Cut(s, " ")
		if l.command == "" {
			l.command = p
		} else if p != "" {
			l.params = append(l.params, p)
		}
	}
	return l
}

// dialIRC connects to the IRC server on port and registers nick; it returns once the
// server welcomed it (001).
func dialIRC(t *testing.T, port int, nick string) *ircClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), transportTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c := &ircClient{conn: conn, t: t, changed: make(chan struct{})}
	t.Cleanup(func() {
		c.send("QUIT :bye")
		conn.Close()
	})
	go c.read()
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	c.waitFor(t, "the welcome", func(l ircLine) bool { return l.command == "001" })
	return c
}

func (c *ircClient) read() {
	sc := bufio.NewScanner(c.conn)
	for sc.Scan() {
		raw := strings.TrimRight(sc.Text(), "\r")
		c.t.Logf("irc <- %s", raw)
		l := parseIRC(raw)
		if l.command == "PING" {
			c.send("PONG :" + l.param(0))
		}
		c.mu.Lock()
		c.lines = append(c.lines, l)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.err = sc.Err()
	if c.err == nil {
		c.err = io.EOF
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *ircClient) send(line string) {
	c.t.Logf("irc -> %s", line)
	c.conn.SetWriteDeadline(time.Now().Add(transportTimeout))
	io.WriteString(c.conn, line+"\r\n") // a failure shows as the read side ending
}

// waitFor returns the first line received (since the connection started) for which match
// is true, waiting up to transportTimeout. Each line is returned at most once.
func (c *ircClient) waitFor(t *testing.T, what string, match func(ircLine) bool) ircLine {
	t.Helper()
	timer := time.NewTimer(transportTimeout)
	defer timer.Stop()
	for next := 0; ; {
		c.mu.Lock()
		for ; next < len(c.lines); next++ {
			if l := c.lines[next]; l.command != "" && match(l) {
				c.lines[next].command = "" // taken
				c.mu.Unlock()
				return l
			}
		}
		changed, err := c.changed, c.err
		c.mu.Unlock()
		if err != nil {
			t.Fatalf("irc: waiting for %s: connection ended: %v", what, err)
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("irc: no %s within %v", what, transportTimeout)
		}
	}
}

package integration

import (
	"bufio"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRawTranscripts replays every testdata/*.xml transcript against one server, each on its
// own connection. A transcript is a list of lines (scansion-like: "the client sends / the
// server answers"):
//
//	# comment
//	C: <xml...>   the client sends these bytes, after substitutions (below)
//	S: <elem/>    the server's next top-level element contains this one (same name, these
//	              attributes and text, these children in any order); " || " separates
//	              alternatives. The default namespace is jabber:client and the stream: prefix
//	              is declared.
//	TLS           the connection switches to TLS (after <proceed/>), trusting only the box's CA
//	RESET         the server starts a new stream here (after SASL <success/>)
//	HEADER        the server has sent its stream header on the current stream
//	CLOSED        the server sends </stream:stream> and closes the connection
//
// Substitutions: {domain}; {stream} (a client stream header to the domain); {s2sstream} (a
// server stream header from peer.example);
// {repeat:N:text} (text N times); {plain:user:password} (a base64 SASL PLAIN response).
// The account alice (password alice-pw-1) exists.
func TestRawTranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata/")
	}
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".xml"), func(t *testing.T) {
			runTranscript(t, srv, file)
		})
	}
}

// TestRawS2STranscripts replays testdata/s2s/*.xml against the s2s listener, playing a
// server that is not a configured peer ({s2sstream}: a jabber:server header from
// peer.example): what it may do before authenticating, and what it is refused.
func TestRawS2STranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "s2s", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in testdata/s2s/ (%v)", err)
	}
	srv := startServer(t, serverOpts{})
	addr := s2sAddr(t, srv)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".xml"), func(t *testing.T) {
			runTranscriptAt(t, srv, file, addr)
		})
	}
}

func runTranscript(t *testing.T, srv *Server, file string) {
	runTranscriptAt(t, srv, file, srv.C2S)
}

func runTranscriptAt(t *testing.T, srv *Server, file, addr string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := dialRawAt(t, srv, addr)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := file + ":" + strconv.Itoa(lineNo)
		switch {
		case strings.HasPrefix(line, "C:"):
			c.Write(substitute(t, srv, strings.TrimSpace(line[2:])))
		case strings.HasPrefix(line, "S:"):
			var wants []*Elem
			for _, alt := range strings.Split(strings.TrimSpace(line[2:]), " || ") {
				w, err := parseElem(substitute(t, srv, alt))
				if err != nil {
					t.Fatalf("%s: bad expectation: %v", where, err)
				}
				wants = append(wants, w)
			}
			got, err := c.Next(stanzaWait)
			if err != nil {
				t.Fatalf("%s: expected %s, got error: %v", where, line[2:], err)
			}
			ok := false
			for _, w := range wants {
				ok = ok || matches(w, got)
			}
			if !ok {
				t.Fatalf("%s: expected %s\ngot %s", where, strings.TrimSpace(line[2:]), got)
			}
		case line == "TLS":
			c.StartTLS()
		case line == "RESET":
			c.reset()
		case line == "HEADER":
			if c.header == nil {
				t.Fatalf("%s: the server sent no stream header", where)
			}
		case line == "CLOSED":
			c.ExpectClosed()
		default:
			t.Fatalf("%s: unknown directive %q", where, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

var substRE = regexp.MustCompile(`\{(domain|stream|s2sstream|repeat:\d+:[^}]*|plain:[^:}]+:[^}]*)\}`)

func substitute(t *testing.T, srv *Server, s string) string {
	return substRE.ReplaceAllStringFunc(s, func(m string) string {
		body := m[1 : len(m)-1]
		switch {
		case body == "domain":
			return srv.Domain
		case body == "stream":
			return streamHeader(srv.Domain)
		case body == "s2sstream":
			return "<?xml version='1.0'?><stream:stream from='peer.example' to='" + srv.Domain +
				"' xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
		case strings.HasPrefix(body, "repeat:"):
			parts := strings.SplitN(body, ":", 3)
			n, err := strconv.Atoi(parts[1])
			if err != nil {
				t.Fatalf("bad %s: %v", m, err)
			}
			return strings.Repeat(parts[2], n)
		default: // plain:user:password
			parts := strings.SplitN(body, ":", 3)
			return base64.StdEncoding.EncodeToString([]byte("\x00" + parts[1] + "\x00" + parts[2]))
		}
	})
}

// TestServerPingDeadClient: the server pings a silent client and drops it when the ping
// goes unanswered (testdata/keepalive/dead-client.xml).
func TestServerPingDeadClient(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{
		"limits.ping_interval": `"1s"`,
		"limits.ping_timeout":  `"1s"`,
	}})
	srv.AddUser(t, "alice", "alice-pw-1")
	runTranscript(t, srv, filepath.Join("testdata", "keepalive", "dead-client.xml"))
}

// TestServerPingLiveClient: a client that answers the server's pings stays connected
// through several ping intervals.
func TestServerPingLiveClient(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{
		"limits.ping_interval": `"1s"`,
		"limits.ping_timeout":  `"1s"`,
	}})
	srv.AddUser(t, "alice", "alice-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)
	isPing := func(e *Elem) bool { return e.Is(nsClient, "iq") && e.Child("urn:xmpp:ping", "ping") != nil }
	// mellium answers each ping (service-unavailable is an answer too): three pings in a
	// row mean the connection survived two ping timeouts.
	for i := 0; i < 3; i++ {
		alice.WaitFor(t, "a ping from the server", isPing)
	}
	alice.Ping(t)
}

package component_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/component"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// TestFromComponent: what a connected component sends, and what becomes of it.
func TestFromComponent(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name string
		send string
		// Exactly one of these is set.
		wantService   string // 'from' of the stanza svc.example.test receives
		wantAlice     string // 'from' of the stanza alice@example.test/phone receives
		wantReply     string // error condition of the stanza error the component gets back
		wantStreamErr string // stream error condition
	}{
		{name: "to a service", send: `<iq type='get' id='q1' from='user@gw.example.test/x' to='svc.example.test'><query xmlns='urn:test'/></iq>`,
			wantService: "user@gw.example.test/x"},
		{name: "to a local user", send: `<message type='chat' from='bob%irc@gw.example.test' to='alice@example.test/phone'><body>hi</body></message>`,
			wantAlice: "bob%irc@gw.example.test"},
		{name: "client namespace accepted", send: `<message xmlns='jabber:client' from='gw.example.test' to='alice@example.test/phone'><body>hi</body></message>`,
			wantAlice: "gw.example.test"},
		{name: "missing from stamped", send: `<message to='alice@example.test/phone'><body>hi</body></message>`,
			wantAlice: "gw.example.test"},
		{name: "missing to", send: `<message from='gw.example.test' id='m2'><body>hi</body></message>`,
			wantReply: stanza.BadRequest},
		{name: "unknown remote domain", send: `<message from='gw.example.test' to='x@nowhere.test' id='m3'><body>hi</body></message>`,
			wantReply: stanza.RemoteServerNotFound},
		{name: "wrong from", send: `<message from='alice@example.test' to='alice@example.test/phone'><body>hi</body></message>`,
			wantStreamErr: stanza.InvalidFrom},
		{name: "from a subdomain", send: `<message from='a.gw.example.test' to='alice@example.test/phone'/>`,
			wantStreamErr: stanza.InvalidFrom},
		{name: "malformed from", send: `<message from='@gw.example.test' to='alice@example.test/phone'/>`,
			wantStreamErr: stanza.InvalidFrom},
		{name: "not a stanza", send: `<handshake/>`, wantStreamErr: stanza.UnsupportedStanzaType},
		{name: "foreign namespace", send: `<message xmlns='jabber:server' from='gw.example.test' to='alice@example.test'/>`,
			wantStreamErr: stanza.UnsupportedStanzaType},
		{name: "stanza too big", send: `<message from='gw.example.test' to='alice@example.test/phone'><body>` + big + `</body></message>`,
			wantStreamErr: stanza.StreamPolicyViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, component.Limits{MaxStanzaBytes: 1024})
			alice := f.bindChan(t, "alice@example.test/phone")
			p := f.connect(t, gwDomain, gwSecret)
			p.write(tt.send)
			switch {
			case tt.wantService != "":
				select {
				case st := <-f.svc:
					if st.Get("from") != tt.wantService || st.Name.Space != stanza.NSClient {
						t.Errorf("service got %s, want a jabber:client stanza from %s", st, tt.wantService)
					}
				case <-time.After(wait):
					t.Fatal("nothing reached the service")
				}
			case tt.wantAlice != "":
				st := waitFor(t, alice)
				body := st.Child(stanza.NSClient, "body")
				if st.Get("from") != tt.wantAlice || st.Name.Space != stanza.NSClient || (body == nil && len(st.Children) > 0) {
					t.Errorf("alice got %s, want a jabber:client message from %s with its body in jabber:client", st, tt.wantAlice)
				}
			case tt.wantReply != "":
				el := p.next()
				if el.Name.Space != component.NS || el.Get("type") != "error" || errorCondition(el) != tt.wantReply {
					t.Errorf("component got %s, want a %s error in %s", el, tt.wantReply, component.NS)
				}
			default:
				if got := p.streamError(); got != tt.wantStreamErr {
					t.Errorf("stream error %q, want %q", got, tt.wantStreamErr)
				}
			}
		})
	}
}

// TestToComponent: what the router has for the component's domain goes down its stream
// in jabber:component:accept, unchanged otherwise.
func TestToComponent(t *testing.T) {
	f := newFixture(t, component.Limits{})
	p := f.connect(t, gwDomain, gwSecret)
	send, _ := f.Client(t, "alice@example.test/phone")
	send(`<message type='chat' to='bob%irc@gw.example.test' id='m1'><body>hello &amp; bye</body><x xmlns='urn:test'><y/></x></message>`)
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "presence", "from", "alice@example.test/phone", "to", "#chan%irc@gw.example.test/alice"))
	// A subdomain of the component's domain is not the component's.
	send(`<message to='x@sub.gw.example.test' id='m2'><body>lost</body></message>`)

	msg := p.next()
	if msg.Name.Space != component.NS || msg.Name.Local != "message" || msg.Get("from") != "alice@example.test/phone" ||
		msg.Get("to") != "bob%irc@gw.example.test" || msg.Get("id") != "m1" {
		t.Errorf("component got %s, want alice's message in %s", msg, component.NS)
	}
	if b := msg.Child(component.NS, "body"); b == nil || b.Text() != "hello & bye" {
		t.Errorf("body not in %s or changed: %s", component.NS, msg)
	}
	if x := msg.Child("urn:test", "x"); x == nil || x.Child("urn:test", "y") == nil {
		t.Errorf("payload namespace lost: %s", msg)
	}
	if pr := p.next(); pr.Name.Local != "presence" || pr.Get("to") != "#chan%irc@gw.example.test/alice" {
		t.Errorf("component got %s, want the directed presence", pr)
	}
	// The subdomain's message bounced; a ping to the component afterwards shows nothing
	// else was queued for it.
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "iq", "type", "get", "id", "p1", "from", "alice@example.test/phone", "to", gwDomain).
		Append(stanza.New("urn:xmpp:ping", "ping")))
	if el := p.next(); el.Get("id") != "p1" {
		t.Errorf("component got %s, want only the ping after the presence", el)
	}
}

// TestRawEncoding: the bytes a component reads carry no jabber:client declaration, so a
// component that matches names with their namespace (biboumi does) sees its own.
func TestRawEncoding(t *testing.T) {
	f := newFixture(t, component.Limits{})
	p := f.connect(t, gwDomain, gwSecret)
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "from", "alice@example.test/a", "to", gwDomain).
		Append(stanza.New(stanza.NSClient, "body").AppendText("hi")))
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "from", "alice@example.test/a", "to", gwDomain, "id", "end"))
	var raw bytes.Buffer
	buf := make([]byte, 4096)
	for !bytes.Contains(raw.Bytes(), []byte("id='end'")) {
		n, err := p.nc.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (so far %q)", err, raw.String())
		}
		raw.Write(buf[:n])
	}
	if want := "<message from='alice@example.test/a' to='gw.example.test'><body>hi</body></message>"; !strings.Contains(raw.String(), want) {
		t.Errorf("stream %q lacks %q", raw.String(), want)
	}
}

// TestNotConnected: a configured component that is not connected never swallows a request.
func TestNotConnected(t *testing.T) {
	f := newFixture(t, component.Limits{})
	if err := f.secrets.AddComponent(t.Context(), "off.example.test", gwSecret); err != nil {
		t.Fatal(err)
	}
	_, alice := f.Client(t, "alice@example.test/phone")
	route := func(kind, typ string) {
		st := stanza.New(stanza.NSClient, kind, "type", typ, "id", kind+typ, "from", "alice@example.test/phone", "to", "bot@off.example.test")
		if kind == "iq" && (typ == "get" || typ == "set") {
			st.Append(stanza.New("urn:xmpp:ping", "ping"))
		}
		f.Router.Route(t.Context(), st)
	}
	tests := []struct {
		kind, typ string
		want      string // error condition alice gets; "" for nothing
	}{
		{"iq", "get", stanza.ServiceUnavailable},
		{"iq", "set", stanza.ServiceUnavailable},
		{"message", "chat", stanza.ServiceUnavailable},
		{"message", "", stanza.ServiceUnavailable},
		{"iq", "result", ""},
		{"iq", "error", ""},
		{"message", "error", ""},
		{"presence", "", ""},
		{"presence", "subscribe", ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.typ, func(t *testing.T) {
			route(tt.kind, tt.typ) // routing is synchronous: any bounce has been queued now
			got := alice.Take()
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("alice got %v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Get("type") != "error" || modtest.ErrorCondition(got[0]) != tt.want ||
				got[0].Get("from") != "bot@off.example.test" || got[0].Child(stanza.NSClient, "error").Get("type") != "wait" {
				t.Errorf("alice got %v, want one wait/%s error from the component's address", got, tt.want)
			}
		})
	}
	// A domain nobody configured is not the component listener's: it goes on to
	// federation, and here, without any, bounces as unreachable.
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "id", "x", "from", "alice@example.test/phone", "to", "bot@elsewhere.test"))
	if got := alice.Take(); len(got) != 1 || modtest.ErrorCondition(got[0]) != stanza.RemoteServerNotFound {
		t.Errorf("message to an unconfigured domain: alice got %v, want remote-server-not-found", got)
	}
}

func TestDirectory(t *testing.T) {
	f := newFixture(t, component.Limits{})
	domains := func() []string {
		var out []string
		for _, s := range f.Router.Services() {
			out = append(out, s.Domain)
		}
		return out
	}
	if got := domains(); slices.Contains(got, gwDomain) {
		t.Errorf("services %v list a component that is not connected", got)
	}
	f.connect(t, gwDomain, gwSecret)
	if got := domains(); !slices.Equal(got, []string{"svc.example.test", gwDomain}) {
		t.Errorf("services %v, want the service then the connected component", got)
	}
	if got := f.srv.Connected(); !slices.Equal(got, []string{gwDomain}) {
		t.Errorf("Connected() = %v", got)
	}
}

func TestDisconnect(t *testing.T) {
	f := newFixture(t, component.Limits{})
	p := f.connect(t, gwDomain, gwSecret)
	_, alice := f.Client(t, "alice@example.test/phone")
	if f.srv.Disconnect("other.example.test") {
		t.Error("Disconnect of a domain never connected reported true")
	}
	if !f.srv.Disconnect(gwDomain) {
		t.Fatal("Disconnect reported no connection")
	}
	// From now on the component is as good as gone: requests bounce.
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "id", "m", "from", "alice@example.test/phone", "to", gwDomain))
	if got := alice.Take(); len(got) != 1 || modtest.ErrorCondition(got[0]) != stanza.ServiceUnavailable {
		t.Errorf("message after Disconnect: alice got %v, want service-unavailable", got)
	}
	if got := p.streamError(); got != stanza.StreamNotAuthorized {
		t.Errorf("stream error %q, want not-authorized", got)
	}
}

func TestShutdown(t *testing.T) {
	f := newFixture(t, component.Limits{})
	p := f.connect(t, gwDomain, gwSecret)
	f.stop(t)
	if got := p.streamError(); got != stanza.SystemShutdown {
		t.Errorf("stream error %q, want system-shutdown", got)
	}
}

// TestQueueFull: a component that does not read is cut off, and what it cannot take
// bounces instead of piling up.
func TestQueueFull(t *testing.T) {
	f := newFixture(t, component.Limits{MaxQueueBytes: 8 << 10, WriteTimeout: 500 * time.Millisecond})
	f.connect(t, gwDomain, gwSecret) // and never read again
	_, alice := f.Client(t, "alice@example.test/phone")
	body := strings.Repeat("y", 1000)
	deadline := time.Now().Add(wait)
	for i := 0; ; i++ {
		f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "from", "alice@example.test/phone", "to", gwDomain).
			Append(stanza.New(stanza.NSClient, "body").AppendText(body)))
		if got := alice.Take(); len(got) > 0 {
			if modtest.ErrorCondition(got[0]) != stanza.ServiceUnavailable {
				t.Errorf("bounce %s, want service-unavailable", got[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d messages to a component that does not read, nothing bounced", i)
		}
	}
}

// chanConn is a client connection that hands what it is sent to a channel, so a test
// can wait for a stanza that arrives from another goroutine.
type chanConn chan *stanza.Element

func (c chanConn) Send(el *stanza.Element) error {
	c <- el.Copy()
	return nil
}
func (chanConn) Close(*stanza.StreamError) {}
func (chanConn) RemoteAddr() string        { return "test" }

// bindChan binds full with a chanConn.
func (f *fixture) bindChan(t *testing.T, full string) chanConn {
	t.Helper()
	c := make(chanConn, 16)
	f.Router.Bind(session.NewResource(jid.MustParse(full), c))
	return c
}

// waitFor returns the first stanza c receives, waiting up to wait.
func waitFor(t *testing.T, c chanConn) *stanza.Element {
	t.Helper()
	select {
	case st := <-c:
		return st
	case <-time.After(wait):
		t.Fatal("the client received nothing")
		return nil
	}
}

func errorCondition(el *stanza.Element) string {
	e := el.Child(el.Name.Space, "error")
	if e == nil {
		return ""
	}
	for _, c := range e.ChildElements() {
		if c.Name.Space == stanza.NSStanzas && c.Name.Local != "text" {
			return c.Name.Local
		}
	}
	return ""
}

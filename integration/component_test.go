package integration

import (
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
)

// nsComponent is the content namespace of component streams (XEP-0114).
const nsComponent = "jabber:component:accept"

const nsDiscoItems = "http://jabber.org/protocol/disco#items"

// componentAddr returns where the server accepts components, from its "listening" line.
func (s *Server) componentAddr(t *testing.T) string {
	t.Helper()
	line := s.WaitLog(t, readyTimeout, func(l string) bool {
		return listeningRE.MatchString(l) && logValue(l, "listener") == "component"
	})
	return logValue(line, "addr")
}

// AddComponent runs `xmppbox component add DOMAIN --secret-stdin` and fails the test if it
// fails.
func (s *Server) AddComponent(t *testing.T, domain, secret string) {
	t.Helper()
	if _, _, err := s.CLI(t, secret+"\n", "component", "add", domain, "--secret-stdin"); err != nil {
		t.Fatalf("xmppbox component add %s: %v", domain, err)
	}
}

// tryDialComponent connects a mellium.im/xmpp/component session for domain. The returned
// Client keeps what the component receives (in jabber:component:accept) for WaitFor;
// it answers nothing by itself.
func tryDialComponent(t *testing.T, srv *Server, domain, secret string) (*Client, error) {
	t.Helper()
	ctx := melliumContext(dialTimeout)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.componentAddr(t))
	if err != nil {
		return nil, err
	}
	addr := jid.MustParse(domain)
	sess, err := component.NewSession(ctx, addr, []byte(secret), conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{t: t, JID: addr, Sess: sess, changed: make(chan struct{}), done: make(chan struct{})}
	t.Logf("%s: component connected", domain)
	go c.serve()
	t.Cleanup(c.shutdown)
	return c, nil
}

func dialComponent(t *testing.T, srv *Server, domain, secret string) *Client {
	t.Helper()
	c, err := tryDialComponent(t, srv, domain, secret)
	if err != nil {
		t.Fatalf("component %s: %v", domain, err)
	}
	return c
}

func TestComponentHandshake(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	gw := "gw." + srv.Domain
	const secret = "gateway-secret-0123456789"
	srv.AddComponent(t, gw, secret)

	tests := []struct {
		name, domain, secret string
		wantErr              string // stream error condition; "" for success
	}{
		{"good secret", gw, secret, ""},
		{"bad secret", gw, secret + "x", "not-authorized"},
		{"unknown domain", "other." + srv.Domain, secret, "not-authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tryDialComponent(t, srv, tt.domain, tt.secret)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				c.Close(t)
				return
			}
			if got := streamErrorCondition(err); got != tt.wantErr {
				t.Fatalf("handshake: err = %v, want a %s stream error", err, tt.wantErr)
			}
			srv.WaitLog(t, stanzaWait, func(l string) bool {
				return strings.Contains(l, "component handshake failed") && logValue(l, "domain") == tt.domain
			})
		})
	}
	// A second connection for a connected domain is refused; the first one stays.
	first := dialComponent(t, srv, gw, secret)
	if _, err := tryDialComponent(t, srv, gw, secret); streamErrorCondition(err) != "conflict" {
		t.Errorf("second connection: err = %v, want a conflict stream error", err)
	}
	// The server answers the first one's ping: it still serves the domain.
	first.Send(t, `<iq type='get' id='alive' from='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, gw, srv.Domain)
	first.WaitFor(t, "the server's answer", func(e *Elem) bool {
		return e.Is(nsComponent, "iq") && e.Get("id") == "alive" && e.Get("type") == "result"
	})
}

// TestComponentRouting: a client and a component reach each other with messages, IQs
// and presence, and what the component sends arrives as it sent it (XEP-0100 gateways
// rely on subscriptions passing through).
func TestComponentRouting(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	gw := "gw." + srv.Domain
	const secret = "gateway-secret-0123456789"
	srv.AddComponent(t, gw, secret)
	srv.AddUser(t, "alice", "alice-pw")
	comp := dialComponent(t, srv, gw, secret)
	alice := dial(t, srv, "alice", "alice-pw", dialOpts{Resource: "phone"})
	alice.Presence(t)

	// Client to component: the component's contact "bob" at the gateway.
	alice.Send(t, `<message type='chat' to='bob@%s' id='m1'><body>hello gateway</body></message>`, gw)
	m := comp.WaitFor(t, "alice's message", func(e *Elem) bool { return e.Is(nsComponent, "message") && e.Get("id") == "m1" })
	if m.Get("from") != alice.JID.String() || m.ChildText(nsComponent, "body") != "hello gateway" {
		t.Errorf("component got %s, want alice's message with its body in %s", m, nsComponent)
	}

	// Component to client.
	comp.Send(t, `<message type='chat' from='bob@%s/irc' to='%s'><body>hello alice</body></message>`, gw, alice.JID)
	got := alice.WaitFor(t, "bob's message", isMessageWithBody("hello alice"))
	if got.Get("from") != "bob@"+gw+"/irc" {
		t.Errorf("alice got %s, want it from bob@%s/irc", got, gw)
	}

	// An IQ to the component is answered by it.
	alice.Send(t, `<iq type='get' id='ping1' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, gw)
	q := comp.WaitFor(t, "the ping", func(e *Elem) bool { return e.Is(nsComponent, "iq") && e.Get("id") == "ping1" })
	comp.Send(t, `<iq type='result' id='ping1' from='%s' to='%s'/>`, gw, q.Get("from"))
	alice.WaitFor(t, "the ping's result", func(e *Elem) bool {
		return e.Is(nsClient, "iq") && e.Get("id") == "ping1" && e.Get("type") == "result" && e.Get("from") == gw
	})

	// A gateway asks to see alice's presence (XEP-0100 §4.1.1): the request reaches her as sent.
	comp.Send(t, `<presence type='subscribe' from='%s' to='%s'/>`, gw, srv.JID("alice"))
	alice.WaitFor(t, "the gateway's subscription request", func(e *Elem) bool {
		return e.Is(nsClient, "presence") && e.Get("type") == "subscribe" && e.Get("from") == gw
	})
	// Directed presence to the gateway reaches it.
	alice.Send(t, `<presence to='bob@%s'/>`, gw)
	comp.WaitFor(t, "alice's directed presence", func(e *Elem) bool {
		return e.Is(nsComponent, "presence") && e.Get("to") == "bob@"+gw && e.Get("from") == alice.JID.String()
	})

	// The component may not speak for another domain: its stream ends.
	comp.Send(t, `<message from='mallory@%s' to='%s'><body>spoofed</body></message>`, srv.Domain, alice.JID)
	ended, err := comp.WaitEnd(stanzaWait)
	if !ended || streamErrorCondition(err) != "invalid-from" {
		t.Errorf("after a spoofed from: ended %v, err %v; want an invalid-from stream error", ended, err)
	}
	// The component's stream ended while the server read the spoofed message, so anything
	// delivered from it was queued for alice before her ping's answer.
	alice.Ping(t)
	if _, err := alice.waitFor(0, isMessageWithBody("spoofed")); err == nil {
		t.Error("the spoofed message was delivered")
	}
}

// TestComponentDisco: connected components are listed in the server's disco#items; one
// that is configured but not connected is not, and requests to it bounce. Deleting a
// component ends its stream.
func TestComponentDisco(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	gw, off := "gw."+srv.Domain, "off."+srv.Domain
	const secret = "gateway-secret-0123456789"
	srv.AddComponent(t, gw, secret)
	srv.AddComponent(t, off, secret)
	srv.AddUser(t, "alice", "alice-pw")
	alice := dial(t, srv, "alice", "alice-pw", dialOpts{})
	items := func() []string {
		res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='`+nsDiscoItems+`'/></iq>`, srv.Domain)
		var out []string
		for _, it := range res.Child(nsDiscoItems, "query").All(nsDiscoItems, "item") {
			out = append(out, it.Get("jid"))
		}
		return out
	}
	comp := dialComponent(t, srv, gw, secret)
	list := items()
	if !slices.Contains(list, gw) || slices.Contains(list, off) {
		t.Errorf("disco#items %v: want %s listed and %s not", list, gw, off)
	}
	out, _, err := srv.CLI(t, "", "component", "list")
	if err != nil || !regexp.MustCompile(`(?m)^gw\.\S+ +yes$`).MatchString(out) || !regexp.MustCompile(`(?m)^off\.\S+ +no$`).MatchString(out) {
		t.Errorf("component list: %q (%v); want gw connected, off not", out, err)
	}

	res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, off)
	if res.Get("type") != "error" || res.ErrorCondition() != "service-unavailable" {
		t.Errorf("ping to a component that is not connected: %s, want service-unavailable", res)
	}

	if _, _, err := srv.CLI(t, "", "component", "del", gw); err != nil {
		t.Fatal(err)
	}
	ended, err := comp.WaitEnd(stanzaWait)
	if !ended || streamErrorCondition(err) != "not-authorized" {
		t.Errorf("after component del: ended %v, err %v; want a not-authorized stream error", ended, err)
	}
	if list := items(); slices.Contains(list, gw) {
		t.Errorf("disco#items %v still lists the deleted component", list)
	}
}

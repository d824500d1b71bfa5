package integration

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"
)

// dialTimeout bounds connect + TLS + SASL + bind.
const dialTimeout = 15 * time.Second

// dialOpts changes how dial logs in. The zero value is STARTTLS on the c2s listener, SCRAM-SHA-256,
// a server-generated resource and the server's CA as the only root.
type dialOpts struct {
	Resource  string           // requested resource; "" lets the server generate one
	DirectTLS bool             // XEP-0368 direct TLS on the c2s-tls listener instead of STARTTLS
	Mechs     []sasl.Mechanism // offered mechanisms, in preference order; default SCRAM-SHA-256
	RootCAs   *x509.CertPool   // trusted roots; default the server's CA
	// DiscoFeatures, when set, are what the client answers to disco#info queries (the
	// server asks them to verify entity capabilities, XEP-0115); otherwise mellium answers
	// service-unavailable.
	DiscoFeatures []string
}

// Client is a logged-in mellium.im/xmpp session. A goroutine serves the session and keeps every
// stanza it receives; tests wait for the ones they expect with WaitFor. Methods take the
// calling (sub)test's t, so that a failure stops the right goroutine. Roster pushes are
// answered with a result as RFC 6121 §2.1.6 asks; other IQ requests get mellium's default
// service-unavailable.
type Client struct {
	t    *testing.T
	JID  jid.JID // the bound full JID
	Sess *xmpp.Session

	mu       sync.Mutex
	stanzas  []*Elem       // every stanza received; guarded by mu
	taken    []bool        // stanzas[i] was returned by WaitFor; guarded by mu
	changed  chan struct{} // closed and replaced on each new stanza or on the end; guarded by mu
	done     chan struct{} // closed when Serve returned
	serveErr error         // Serve's result, valid after done is closed
	closed   bool          // Close was called; guarded by mu

	discoFeatures []string // see dialOpts.DiscoFeatures
}

// dial logs user in and fails the test if that fails. The session is closed when the test ends.
func dial(t *testing.T, srv *Server, user, password string, opts dialOpts) *Client {
	t.Helper()
	c, err := tryDial(t, srv, user, password, opts)
	if err != nil {
		t.Fatalf("log in as %s: %v", user, err)
	}
	return c
}

// tryDial logs user in and returns the error instead of failing the test.
func tryDial(t *testing.T, srv *Server, user, password string, opts dialOpts) (*Client, error) {
	t.Helper()
	ctx := melliumContext(dialTimeout)

	addr := srv.JID(user)
	if opts.Resource != "" {
		addr += "/" + opts.Resource
	}
	origin, err := jid.Parse(addr)
	if err != nil {
		return nil, err
	}
	roots := opts.RootCAs
	if roots == nil {
		roots = srv.CAPool
	}
	mechs := opts.Mechs
	if len(mechs) == 0 {
		mechs = []sasl.Mechanism{sasl.ScramSha256}
	}
	// Trust only the given roots and check the certificate against the XMPP domain, not
	// against the 127.0.0.1 we connect to.
	cfg := &tls.Config{ServerName: srv.Domain, RootCAs: roots, MinVersion: tls.VersionTLS12}

	var conn net.Conn
	features := []xmpp.StreamFeature{xmpp.SASL("", password, mechs...), bindResource(opts.Resource)}
	if opts.DirectTLS {
		cfg.NextProtos = []string{"xmpp-client"} // XEP-0368 ALPN
		d := &tls.Dialer{Config: cfg}
		conn, err = d.DialContext(ctx, "tcp", srv.C2STLS)
		if err != nil {
			return nil, fmt.Errorf("direct TLS to %s: %w", srv.C2STLS, err)
		}
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", srv.C2S)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", srv.C2S, err)
		}
		features = append([]xmpp.StreamFeature{xmpp.StartTLS(cfg)}, features...)
	}
	sess, err := xmpp.NewClientSession(ctx, origin, conn, features...)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{
		t:             t,
		JID:           sess.LocalAddr(),
		Sess:          sess,
		changed:       make(chan struct{}),
		done:          make(chan struct{}),
		discoFeatures: opts.DiscoFeatures,
	}
	t.Logf("%s: logged in (direct TLS %v, TLS version %#x, ALPN %q)", c.JID, opts.DirectTLS,
		sess.ConnectionState().Version, sess.ConnectionState().NegotiatedProtocol)
	go c.serve()
	t.Cleanup(c.shutdown)
	return c, nil
}

func (c *Client) serve() {
	err := c.Sess.Serve(xmpp.HandlerFunc(c.handle))
	c.mu.Lock()
	c.serveErr = err
	closed := c.closed
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	if !closed {
		c.t.Logf("%s: session ended: %v", c.JID, err)
	}
	close(c.done)
}

// handle keeps one incoming stanza. The start token is put back in front of the rest of the
// element before decoding: on Go 1.26 DecodeElement(&v, start) on the handler's reader fails
// with "unexpected end element" (LIBRARIES.md §6).
func (c *Client) handle(rw xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), rw))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	el, err := readElem(d, tok.(xml.StartElement))
	if err != nil {
		return err
	}
	if err := c.answer(rw, el); err != nil {
		return err
	}
	c.keep(el)
	return nil
}

// answer replies to the requests a real client answers: roster pushes (RFC 6121 §2.1.6)
// and, with DiscoFeatures, disco#info.
func (c *Client) answer(rw xmlstream.TokenReadEncoder, el *Elem) error {
	if !el.Is(nsClient, "iq") {
		return nil
	}
	var reply string
	switch {
	case el.Get("type") == "set" && el.Child(nsRoster, "query") != nil:
		reply = fmt.Sprintf(`<iq type='result' id='%s'/>`, xmlEscape(el.Get("id")))
	case el.Get("type") == "get" && c.discoFeatures != nil && el.Child(nsDiscoInf, "query") != nil:
		var b strings.Builder
		b.WriteString(`<identity category='client' type='pc' name='xmppbox test'/>`)
		for _, f := range c.discoFeatures {
			b.WriteString(`<feature var='` + f + `'/>`)
		}
		reply = fmt.Sprintf(`<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s'>%s</query></iq>`,
			xmlEscape(el.Get("id")), xmlEscape(el.Get("from")), nsDiscoInf, xmlEscape(el.Child(nsDiscoInf, "query").Get("node")), b.String())
	default:
		return nil
	}
	_, err := xmlstream.Copy(rw, tokens(reply))
	return err
}

// keep records a received stanza for WaitFor.
func (c *Client) keep(el *Elem) {
	c.t.Logf("%s <- %s", c.JID, el)
	c.mu.Lock()
	c.stanzas = append(c.stanzas, el)
	c.taken = append(c.taken, false)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Send writes one stanza given as XML (fmt.Sprintf with args). Top-level elements without a
// namespace are in jabber:client.
func (c *Client) Send(t *testing.T, format string, args ...any) {
	t.Helper()
	raw := fmt.Sprintf(format, args...)
	ctx := melliumContext(stanzaWait)
	t.Logf("%s -> %s", c.JID, raw)
	if err := c.Sess.Send(ctx, tokens(raw)); err != nil {
		t.Fatalf("%s: send %s: %v", c.JID, raw, err)
	}
}

// IQ sends an IQ (format must contain id='%s' as its first verb, filled with a fresh id) and
// returns the response with that id, of type result or error.
func (c *Client) IQ(t *testing.T, format string, args ...any) *Elem {
	t.Helper()
	id := randomID()
	c.Send(t, format, append([]any{id}, args...)...)
	return c.WaitFor(t, "response to IQ "+id, func(e *Elem) bool {
		typ := e.Get("type")
		return e.Is(nsClient, "iq") && e.Get("id") == id && (typ == "result" || typ == "error")
	})
}

// Ping sends a XEP-0199 ping to the server and waits for the answer. Because the server
// handles one stream's stanzas in order, it is also a barrier: everything this client sent
// before has been handled when Ping returns.
func (c *Client) Ping(t *testing.T) {
	t.Helper()
	res := c.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, c.JID.Domainpart())
	if res.Get("type") != "result" {
		t.Fatalf("%s: ping: %s", c.JID, res)
	}
}

// Presence sends initial (available) presence.
func (c *Client) Presence(t *testing.T) {
	t.Helper()
	c.Send(t, `<presence/>`)
}

// WaitFor returns the first received stanza, not returned before, for which match is true,
// waiting up to stanzaWait. Stanzas received before the call count: there is no race between
// an action and the wait for its result.
func (c *Client) WaitFor(t *testing.T, what string, match func(*Elem) bool) *Elem {
	t.Helper()
	el, err := c.waitFor(stanzaWait, match)
	if err != nil {
		t.Fatalf("%s: waiting for %s: %v\nreceived:\n%s", c.JID, what, err, c.received())
	}
	return el
}

func (c *Client) waitFor(timeout time.Duration, match func(*Elem) bool) (*Elem, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	next := 0
	for {
		c.mu.Lock()
		for ; next < len(c.stanzas); next++ {
			if !c.taken[next] && match(c.stanzas[next]) {
				c.taken[next] = true
				el := c.stanzas[next]
				c.mu.Unlock()
				return el, nil
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-c.done:
			// Stanzas may have been added just before the end; look once more.
			c.mu.Lock()
			n := len(c.stanzas)
			c.mu.Unlock()
			if next < n {
				continue
			}
			return nil, fmt.Errorf("session ended: %v", c.serveErr)
		case <-changed:
		case <-timer.C:
			return nil, fmt.Errorf("nothing matching within %v", timeout)
		}
	}
}

func (c *Client) received() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, s := range c.stanzas {
		b.WriteString("  " + s.String() + "\n")
	}
	return b.String()
}

// WaitEnd waits until the server ends the session and returns Serve's error (a
// stream.Error for a stream error).
func (c *Client) WaitEnd(timeout time.Duration) (ended bool, err error) {
	select {
	case <-c.done:
		return true, c.serveErr
	case <-time.After(timeout):
		return false, nil
	}
}

// Close ends the stream cleanly and waits for the server to close its side.
func (c *Client) Close(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if err := c.Sess.Close(); err != nil {
		t.Errorf("%s: close: %v", c.JID, err)
	}
	select {
	case <-c.done:
	case <-time.After(stanzaWait):
		t.Errorf("%s: the server did not close the stream within %v of </stream:stream>", c.JID, stanzaWait)
		c.Sess.Conn().Close()
		<-c.done
	}
}

// shutdown is the test cleanup: close without judging, and make sure the serving goroutine
// has stopped before the test ends (it logs through t).
func (c *Client) shutdown() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case <-c.done:
		return
	default:
	}
	c.Sess.Close()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		c.Sess.Conn().Close()
		<-c.done
	}
}

// bindResource is resource binding (RFC 6120 §7) as a client stream feature. mellium's own
// xmpp.BindResource cannot ask for a resource in v0.22.0: its request carries the empty JID
// where the resource belongs (bindPayload.TokenReader writes bp.JID), so the server always
// generates one. An empty resource asks the server to generate one.
func bindResource(resource string) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: nsBind, Local: "bind"},
		Necessary:  xmpp.Authn,
		Prohibited: xmpp.Ready,
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, any, error) {
			return true, nil, d.Skip()
		},
		Negotiate: func(ctx context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			id := randomID()
			req := "<iq type='set' id='" + id + "'><bind xmlns='" + nsBind + "'/></iq>"
			if resource != "" {
				req = "<iq type='set' id='" + id + "'><bind xmlns='" + nsBind + "'><resource>" +
					xmlEscape(resource) + "</resource></bind></iq>"
			}
			w := s.TokenWriter()
			defer w.Close()
			if _, err := xmlstream.Copy(w, tokens(req)); err != nil {
				return 0, nil, err
			}
			if err := w.Flush(); err != nil {
				return 0, nil, err
			}
			r := s.TokenReader()
			defer r.Close()
			d := xml.NewTokenDecoder(r)
			tok, err := d.Token()
			if err != nil {
				return 0, nil, err
			}
			start, ok := tok.(xml.StartElement)
			if !ok {
				return 0, nil, fmt.Errorf("bind: unexpected %T", tok)
			}
			res, err := readElem(d, start)
			if err != nil {
				return 0, nil, err
			}
			if !res.Is(nsClient, "iq") || res.Get("id") != id || res.Get("type") != "result" {
				return 0, nil, fmt.Errorf("bind: answer %s", res)
			}
			j, err := jid.Parse(res.Child(nsBind, "bind").ChildText(nsBind, "jid"))
			if err != nil {
				return 0, nil, fmt.Errorf("bind: answer %s: %w", res, err)
			}
			s.UpdateAddr(j)
			return xmpp.Ready, nil, nil
		},
	}
}

// streamErrorCondition returns the condition of a stream error returned by Serve, or "".
func streamErrorCondition(err error) string {
	var se stream.Error
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// saslCondition returns the SASL failure condition (RFC 6120 §6.5) in err, or "". mellium
// returns failures as a type from an internal package with a Condition field, so it is
// read by reflection.
func saslCondition(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			continue
		}
		f := v.FieldByName("Condition")
		if !f.IsValid() || !f.CanInterface() {
			continue
		}
		if s, ok := f.Interface().(fmt.Stringer); ok {
			return s.String()
		}
	}
	return ""
}

// tokens turns XML text into a token stream for Session.Send. Namespace declarations are
// dropped because mellium's encoder writes the xmlns of every named element itself.
func tokens(raw string) xml.TokenReader {
	d := xml.NewDecoder(strings.NewReader(raw))
	var toks []xml.Token
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		tok = xml.CopyToken(tok)
		if se, ok := tok.(xml.StartElement); ok {
			attrs := se.Attr[:0]
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				attrs = append(attrs, a)
			}
			se.Attr = attrs
			tok = se
		}
		toks = append(toks, tok)
	}
	return &sliceReader{toks: toks}
}

type sliceReader struct{ toks []xml.Token }

func (r *sliceReader) Token() (xml.Token, error) {
	if len(r.toks) == 0 {
		return nil, io.EOF
	}
	t := r.toks[0]
	r.toks = r.toks[1:]
	return t, nil
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Predicates for WaitFor.

// isMessageWithBody matches a message whose body is body, ignoring surrounding whitespace
// (command-line clients may keep the newline of their input).
func isMessageWithBody(body string) func(*Elem) bool {
	return func(e *Elem) bool {
		b := e.Child(nsClient, "body")
		return e.Is(nsClient, "message") && e.Get("type") != "error" && b != nil && strings.TrimSpace(b.Text) == body
	}
}

// isPresenceFrom matches a presence of type typ ("" is available) whose from is the bare
// JID bare or one of its full JIDs.
func isPresenceFrom(bare, typ string) func(*Elem) bool {
	return func(e *Elem) bool {
		from := e.Get("from")
		return e.Is(nsClient, "presence") && e.Get("type") == typ &&
			(from == bare || strings.HasPrefix(from, bare+"/"))
	}
}

// isRosterPush matches a roster push for contact whose item satisfies check.
func isRosterPush(contact string, check func(item *Elem) bool) func(*Elem) bool {
	return func(e *Elem) bool {
		if !e.Is(nsClient, "iq") || e.Get("type") != "set" {
			return false
		}
		item := e.Child(nsRoster, "query").Child(nsRoster, "item")
		return item != nil && item.Get("jid") == contact && (check == nil || check(item))
	}
}

// onlineUsers creates accounts with password "pw-NAME", logs each in and sends initial
// presence; the clients come back in the order of names.
func onlineUsers(t *testing.T, srv *Server, names ...string) []*Client {
	t.Helper()
	clients := make([]*Client, len(names))
	for i, name := range names {
		srv.AddUser(t, name, "pw-"+name)
		clients[i] = dial(t, srv, name, "pw-"+name, dialOpts{})
		clients[i].Presence(t)
	}
	return clients
}

// melliumContext is a context that ends d from now and is not cancelled before. mellium
// watches a call's context in a goroutine that also waits for the call to return; when the
// context is cancelled right after the call, that goroutine may see both at once, pick the
// cancellation, and set the connection's deadline into the past under the next call (a
// write "i/o timeout" on loopback). Ending only at the deadline leaves it no such race.
func melliumContext(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	time.AfterFunc(d, cancel)
	return ctx
}

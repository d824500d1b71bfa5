package pep_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/pep"
	"xmppbox/server/mod/pep/peptest"
	"xmppbox/server/mod/presence"
	"xmppbox/server/mod/private"
	"xmppbox/server/mod/private/privatetest"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const (
	nsDiscoInfo = "http://jabber.org/protocol/disco#info"
	nsDelay     = "urn:xmpp:delay"

	domain = modtest.Domain
	alice  = "alice@example.test"
	bob    = "bob@example.test"
	carol  = "carol@example.test"
	dave   = "dave@example.test"
)

// env is a router with the real roster and presence modules and the PEP module on a
// MemStore: stanzas go in through Router.Outbound as from a client, and what each
// resource is sent is recorded by its fakeConn. Everything runs synchronously.
type env struct {
	t       *testing.T
	r       *router.Router
	rosters *rostertest.MemStore
	store   *peptest.MemStore
	pep     *pep.Module
}

func newEnv(t *testing.T) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, rosters: rostertest.NewMemStore(), store: peptest.NewMemStore()}
	e.r = router.New(jid.MustParse(domain), session.NewRegistry(),
		modtest.Users{alice: true, bob: true, carol: true, dave: true}, log)
	rm := roster.New(e.rosters, e.r, log)
	priv := private.New(privatetest.NewMemStore(), 0, log)
	e.pep = pep.New(e.store, e.r, e.rosters, pep.Options{MaxItems: 20, Private: priv}, log)
	for _, m := range []interface{ Register(*router.Router) }{rm, presence.New(e.r, rm, log), priv, e.pep} {
		m.Register(e.r)
	}
	return e
}

// subscribe makes owner's roster say contact has the given subscription and group.
func (e *env) subscribe(owner, contact, subscription string, groups ...string) {
	e.t.Helper()
	if _, err := e.rosters.PutItem(context.Background(), owner, roster.Item{JID: contact, Subscription: subscription, Groups: groups}); err != nil {
		e.t.Fatal(err)
	}
}

// both gives two accounts a mutual presence subscription.
func (e *env) both(a, b string) {
	e.subscribe(a, b, "both")
	e.subscribe(b, a, "both")
}

// client is one bound resource.
type client struct {
	e     *env
	res   *session.Resource
	conn  *modtest.Conn
	full  string
	taken map[int]bool // indexes in conn.Received() that take returned
}

// login binds bare/resource; it sends no presence.
func (e *env) login(bare, resource string) *client {
	full := jid.MustParse(bare + "/" + resource)
	c := &client{e: e, conn: &modtest.Conn{}, full: full.String(), taken: map[int]bool{}}
	c.res = session.NewResource(full, c.conn)
	e.r.Bind(c.res)
	return c
}

// online logs in and sends available presence advertising features (nil: no caps), and
// answers the server's disco#info query for them.
func (e *env) online(bare, resource string, features ...string) *client {
	c := e.login(bare, resource)
	c.presence(0, features...)
	return c
}

// send parses a stanza (jabber:client default namespace), stamps 'from' and hands it to
// the router as a client's.
func (c *client) send(format string, args ...any) {
	c.e.t.Helper()
	st, err := xmlstream.Parse([]byte(fmt.Sprintf(format, args...)))
	if err != nil {
		c.e.t.Fatalf("bad test stanza: %v", err)
	}
	st.Set("from", c.full)
	c.e.r.Outbound(context.Background(), c.res, st)
}

// iq sends an IQ with id 'q' and returns the response.
func (c *client) iq(format string, args ...any) *stanza.Element {
	c.e.t.Helper()
	c.send(format, args...)
	resp := c.take(func(el *stanza.Element) bool {
		return el.Name.Local == "iq" && el.Get("id") == "q" && (el.Get("type") == "result" || el.Get("type") == "error")
	})
	if resp == nil {
		c.e.t.Fatalf("%s: no response to %s", c.full, fmt.Sprintf(format, args...))
	}
	return resp
}

// presence sends available presence with caps for features, and answers the disco#info
// query the server sends for an unknown ver.
func (c *client) presence(priority int, features ...string) {
	c.e.t.Helper()
	caps := ""
	if features != nil {
		caps = fmt.Sprintf("<c xmlns='%s' hash='sha-1' node='https://test.example/client' ver='%s'/>", pep.NSCaps, verOf(features))
	}
	c.send("<presence><priority>%d</priority>%s</presence>", priority, caps)
	if features != nil {
		c.answerDisco(features)
	}
}

// answerDisco answers a pending disco#info query, if there is one, with features.
func (c *client) answerDisco(features []string) bool {
	c.e.t.Helper()
	q := c.take(func(el *stanza.Element) bool {
		return el.Name.Local == "iq" && el.Get("type") == "get" && el.Child(nsDiscoInfo, "query") != nil
	})
	if q == nil {
		return false
	}
	var b strings.Builder
	for _, f := range features {
		fmt.Fprintf(&b, "<feature var='%s'/>", f)
	}
	c.send("<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s'><identity category='client' type='pc' name='test'/>%s</query></iq>",
		q.Get("id"), q.Get("from"), nsDiscoInfo, q.Child(nsDiscoInfo, "query").Get("node"), b.String())
	return true
}

// take returns the first stanza received and not taken yet for which match is true.
func (c *client) take(match func(*stanza.Element) bool) *stanza.Element {
	for i, el := range c.conn.Received() {
		if !c.taken[i] && match(el) {
			c.taken[i] = true
			return el
		}
	}
	return nil
}

// events takes every pubsub event received for node and returns the IDs of the items
// (and "-ID" for retracts, "delete"/"purge" for those events) in arrival order.
func (c *client) events(node string) []string {
	var out []string
	for {
		msg := c.take(func(el *stanza.Element) bool {
			ev := el.Child(pep.NSEvent, "event")
			return el.Name.Local == "message" && ev != nil && eventNode(ev) == node
		})
		if msg == nil {
			return out
		}
		ev := msg.Child(pep.NSEvent, "event")
		for _, ch := range ev.ChildElements() {
			switch ch.Name.Local {
			case "items":
				for _, it := range ch.ChildElements() {
					if it.Name.Local == "retract" {
						out = append(out, "-"+it.Get("id"))
					} else {
						out = append(out, it.Get("id"))
					}
				}
			default:
				out = append(out, ch.Name.Local)
			}
		}
	}
}

func eventNode(ev *stanza.Element) string {
	if ch := ev.FirstChild(); ch != nil {
		return ch.Get("node")
	}
	return ""
}

// verOf is the XEP-0115 §5.1 sha-1 ver of a client/pc "test" with features, computed
// here independently of the module's code.
func verOf(features []string) string {
	sorted := slices.Clone(features)
	slices.Sort(sorted)
	s := "client/pc//test<"
	for _, f := range sorted {
		s += f + "<"
	}
	sum := sha1.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// errorOf returns the defined condition and the pubsub#errors condition of an IQ error.
func errorOf(resp *stanza.Element) (condition, app string) {
	e := resp.Child(stanza.NSClient, "error")
	if resp.Get("type") != "error" || e == nil {
		return "", ""
	}
	for _, ch := range e.ChildElements() {
		switch ch.Name.Space {
		case stanza.NSStanzas:
			if ch.Name.Local != "text" {
				condition = ch.Name.Local
			}
		case pep.NSErrors:
			app = ch.Name.Local
		}
	}
	return condition, app
}

// publishXML is a publish of <entry xmlns='urn:test'>text</entry> with an optional id and
// publish-options (field var, value pairs).
func publishXML(node, id, text string, options ...string) string {
	idAttr := ""
	if id != "" {
		idAttr = fmt.Sprintf(" id='%s'", id)
	}
	po := ""
	if len(options) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s</value></field>", pep.NSPublishOptions)
		for i := 0; i < len(options); i += 2 {
			fmt.Fprintf(&b, "<field var='%s'><value>%s</value></field>", options[i], options[i+1])
		}
		b.WriteString("</x></publish-options>")
		po = b.String()
	}
	return fmt.Sprintf("<iq type='set' id='q'><pubsub xmlns='%s'><publish node='%s'><item%s><entry xmlns='urn:test'>%s</entry></item></publish>%s</pubsub></iq>",
		pep.NS, node, idAttr, text, po)
}

// itemsOf returns the item IDs and payload texts of an items result.
func itemsOf(t *testing.T, resp *stanza.Element) (ids, texts []string) {
	t.Helper()
	if resp.Get("type") != "result" {
		t.Fatalf("items request failed: %s", resp)
	}
	items := resp.Child(pep.NS, "pubsub").Child(pep.NS, "items")
	for _, it := range items.ChildElements() {
		ids = append(ids, it.Get("id"))
		if p := it.Child("urn:test", "entry"); p != nil {
			texts = append(texts, p.Text())
		}
	}
	return ids, texts
}

func (c *client) items(owner, node string, attrs string) *stanza.Element {
	return c.iq("<iq type='get' id='q' to='%s'><pubsub xmlns='%s'><items node='%s' %s/></pubsub></iq>", owner, pep.NS, node, attrs)
}

var testNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// request sends a ready-made IQ with id 'q' and returns the response.
func (c *client) request(raw string) *stanza.Element {
	c.e.t.Helper()
	return c.iq("%s", raw)
}

package register_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/register"
	"xmppbox/server/mod/register/registertest"
	"xmppbox/server/router"
	"xmppbox/server/sasl"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const domain = "example.test"

// accounts is an in-memory register.Accounts, and the router's account directory.
type accounts struct {
	mu sync.Mutex
	m  map[string]sasl.Credentials // guarded by mu
}

func (a *accounts) CreateAccount(_ context.Context, j string, c sasl.Credentials) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.m[j]; ok {
		return fmt.Errorf("%s: %w", j, fs.ErrExist)
	}
	a.m[j] = c
	return nil
}

func (a *accounts) SetCredentials(_ context.Context, j string, c sasl.Credentials) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.m[j]; !ok {
		return fmt.Errorf("%s: %w", j, fs.ErrNotExist)
	}
	a.m[j] = c
	return nil
}

func (a *accounts) DeleteAccount(_ context.Context, j string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.m[j]; !ok {
		return fmt.Errorf("%s: %w", j, fs.ErrNotExist)
	}
	delete(a.m, j)
	return nil
}

func (a *accounts) UserExists(_ context.Context, j string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.m[j]
	return ok, nil
}

// password reports whether j exists and has password pw.
func (a *accounts) password(j, pw string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.m[j]
	return ok && c.VerifyPassword(pw)
}

func (a *accounts) exists(j string) bool {
	ok, _ := a.UserExists(context.Background(), j)
	return ok
}

// conn records what a resource is sent and how it is closed, in order.
type conn struct {
	mu     sync.Mutex
	events []string // "send XML" or "close CONDITION"; guarded by mu
}

func (c *conn) Send(el *stanza.Element) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "send "+el.String())
	return nil
}

func (c *conn) Close(se *stanza.StreamError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "close "+se.Condition)
}

func (c *conn) RemoteAddr() string { return "192.0.2.9:1234" }

func (c *conn) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

type fixture struct {
	r        *router.Router
	m        *register.Module
	accounts *accounts
	invites  *registertest.MemInvites
	conns    map[string]*conn
}

func newFixture(t *testing.T, opts register.Options) *fixture {
	t.Helper()
	f := &fixture{
		accounts: &accounts{m: make(map[string]sasl.Credentials)},
		invites:  registertest.NewMemInvites(),
		conns:    make(map[string]*conn),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.r = router.New(jid.MustParse(domain), session.NewRegistry(), f.accounts, log)
	f.m = register.New(f.accounts, f.invites, f.r, opts, log)
	f.m.Register(f.r)
	return f
}

// user creates an account with password pw.
func (f *fixture) user(t *testing.T, bare, pw string) {
	t.Helper()
	c, err := sasl.NewCredentials(pw, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.accounts.CreateAccount(t.Context(), bare, c); err != nil {
		t.Fatal(err)
	}
}

// online binds a resource for full.
func (f *fixture) online(full string) *session.Resource {
	c := &conn{}
	f.conns[full] = c
	res := session.NewResource(jid.MustParse(full), c)
	f.r.Bind(res)
	return res
}

// send has res send raw as c2s would: 'from' stamped, then the router.
func (f *fixture) send(t *testing.T, res *session.Resource, raw string) {
	t.Helper()
	el := parse(t, raw)
	el.Set("from", res.Full())
	f.r.Outbound(t.Context(), res, el)
}

func parse(t *testing.T, raw string) *stanza.Element {
	t.Helper()
	el, err := xmlstream.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return el
}

func (f *fixture) invite(t *testing.T, inv register.Invite) {
	t.Helper()
	if inv.Uses == 0 {
		inv.Uses = 1
	}
	if err := f.invites.CreateInvite(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
}

// condition returns the error condition of an IQ reply, "" for a result.
func condition(t *testing.T, reply *stanza.Element) string {
	t.Helper()
	if reply == nil {
		t.Fatal("no reply")
	}
	switch reply.Get("type") {
	case "result":
		return ""
	case "error":
		if e := reply.Child(stanza.NSClient, "error"); e != nil {
			for _, c := range e.ChildElements() {
				if c.Name.Space == stanza.NSStanzas && c.Name.Local != "text" {
					return c.Name.Local
				}
			}
		}
	}
	t.Fatalf("not an IQ response: %s", reply)
	return ""
}

func registerIQ(user, pw string) string {
	return "<iq xmlns='jabber:client' type='set' id='r1'><query xmlns='jabber:iq:register'><username>" +
		user + "</username><password>" + pw + "</password></query></iq>"
}

const (
	getIQ    = `<iq xmlns='jabber:client' type='get' id='g1'><query xmlns='jabber:iq:register'/></iq>`
	removeIQ = `<iq xmlns='jabber:client' type='set' id='rm1'><query xmlns='jabber:iq:register'><remove/></query></iq>`
)

func preauthIQ(token string) string {
	return "<iq xmlns='jabber:client' type='set' id='p1' to='" + domain + "'><preauth xmlns='urn:xmpp:pars:0' token='" + token + "'/></iq>"
}

// handle passes raw to s and fails unless it was handled with a reply.
func handle(t *testing.T, s *register.Stream, raw string) *stanza.Element {
	t.Helper()
	reply, ok := s.Handle(t.Context(), parse(t, raw))
	if !ok || reply == nil {
		t.Fatalf("Handle(%s) = %v, %v; want a reply", raw, reply, ok)
	}
	if reply.Get("to") != "" {
		t.Errorf("reply to an unauthenticated client has to=%q", reply.Get("to"))
	}
	if strings.Contains(reply.String(), "<password>") {
		t.Errorf("reply echoes the password: %s", reply)
	}
	return reply
}

func featureNames(s *register.Stream) []string {
	var names []string
	for _, f := range s.Features() {
		names = append(names, f.Name.Space+" "+f.Name.Local)
	}
	return names
}

func TestDisabled(t *testing.T) {
	f := newFixture(t, register.Options{})
	f.invite(t, register.Invite{Token: "tok"})
	s := f.m.Open("192.0.2.1")
	if names := featureNames(s); len(names) != 0 {
		t.Errorf("features offered while registration is off: %v", names)
	}
	for _, raw := range []string{getIQ, registerIQ("bill", "Calliope"), preauthIQ("tok")} {
		if c := condition(t, handle(t, s, raw)); c != stanza.ServiceUnavailable {
			t.Errorf("%s: %q, want service-unavailable (XEP-0077 §3.1)", raw, c)
		}
	}
	if f.accounts.exists("bill@" + domain) {
		t.Error("an account was created while registration is off")
	}
	if _, err := f.invites.Invite(t.Context(), "tok"); err != nil {
		t.Errorf("the invitation was used while registration is off: %v", err)
	}
}

func TestNotOurs(t *testing.T) {
	s := newFixture(t, register.Options{Enabled: true}).m.Open("192.0.2.1")
	for _, raw := range []string{
		`<message xmlns='jabber:client' to='a@example.test'><body>hi</body></message>`,
		`<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>`,
		`<iq xmlns='jabber:client' type='get' id='1'/>`,
		`<query xmlns='jabber:iq:register'/>`,
	} {
		if reply, ok := s.Handle(t.Context(), parse(t, raw)); ok || reply != nil {
			t.Errorf("Handle(%s) = %v, %v; want not handled", raw, reply, ok)
		}
	}
	if reply, ok := s.Handle(t.Context(), parse(t, `<iq xmlns='jabber:client' type='result' id='1'><query xmlns='jabber:iq:register'/></iq>`)); !ok || reply != nil {
		t.Errorf("an IQ result: Handle = %v, %v; want handled without a reply", reply, ok)
	}
}

func TestOpenRegistration(t *testing.T) {
	f := newFixture(t, register.Options{Enabled: true})
	f.user(t, "taken@"+domain, "pw")
	s := f.m.Open("192.0.2.1")
	if names := featureNames(s); len(names) != 2 || names[0] != register.NSFeature+" register" || names[1] != register.NSToken+" register" {
		t.Errorf("features = %v, want iq-register and ibr-token", names)
	}
	form := handle(t, s, getIQ).Child(register.NS, "query")
	if form == nil || form.Child(register.NS, "username") == nil || form.Child(register.NS, "password") == nil {
		t.Fatalf("registration form without username and password: %v", form)
	}
	steps := []struct {
		name, iq, want string
	}{
		{"no id", `<iq xmlns='jabber:client' type='set'><query xmlns='jabber:iq:register'><username>a</username><password>b</password></query></iq>`, stanza.BadRequest},
		{"empty password", registerIQ("bill", ""), stanza.NotAcceptable},
		{"no username", `<iq xmlns='jabber:client' type='set' id='r'><query xmlns='jabber:iq:register'><password>x</password></query></iq>`, stanza.NotAcceptable},
		{"space in username", registerIQ("bill the bard", "Calliope"), stanza.NotAcceptable},
		{"other domain", registerIQ("bill@other.test", "Calliope"), stanza.NotAcceptable},
		{"with resource", registerIQ("bill@"+domain+"/globe", "Calliope"), stanza.NotAcceptable},
		{"taken, other case", registerIQ("Taken", "Calliope"), stanza.Conflict},
		{"remove before login", removeIQ, stanza.UnexpectedRequest},
		{"preauth get", `<iq xmlns='jabber:client' type='get' id='p'><preauth xmlns='urn:xmpp:pars:0' token='x'/></iq>`, stanza.BadRequest},
		{"registers, name normalised", registerIQ("Bill", "Calliope"), ""},
		{"second account on the stream", registerIQ("bill2", "Calliope"), stanza.NotAcceptable},
	}
	for _, st := range steps {
		if c := condition(t, handle(t, s, st.iq)); c != st.want {
			t.Errorf("%s: %q, want %q", st.name, c, st.want)
		}
	}
	if !f.accounts.password("bill@"+domain, "Calliope") {
		t.Error("bill@example.test was not created with password Calliope")
	}
	if f.accounts.exists("bill2@" + domain) {
		t.Error("a second account was created on one stream")
	}
	if !f.accounts.password("taken@"+domain, "pw") {
		t.Error("registering a taken name changed the existing account")
	}

	// A bare JID of this domain as user name, and a data form (XEP-0004) instead of fields.
	s2 := f.m.Open("192.0.2.2")
	if c := condition(t, handle(t, s2, registerIQ("carol@"+domain, "pw2"))); c != "" {
		t.Errorf("registering carol@%s: %q", domain, c)
	}
	s3 := f.m.Open("192.0.2.3")
	formIQ := `<iq xmlns='jabber:client' type='set' id='f1'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>
		<field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>
		<field var='username'><value>dave</value></field><field var='password'><value>pw3</value></field></x></query></iq>`
	if c := condition(t, handle(t, s3, formIQ)); c != "" {
		t.Errorf("registering with a data form: %q", c)
	}
	if !f.accounts.password("carol@"+domain, "pw2") || !f.accounts.password("dave@"+domain, "pw3") {
		t.Error("carol or dave was not created")
	}
}

func TestRegistrationThrottle(t *testing.T) {
	f := newFixture(t, register.Options{Enabled: true, PerIPPerHour: 2})
	f.invite(t, register.Invite{Token: "tok"})
	f.user(t, "taken@"+domain, "pw")
	const ip = "192.0.2.1"
	steps := []struct {
		name, ip, iq, want string
		preauth            string
	}{
		{"first", ip, registerIQ("a1", "pw"), "", ""},
		{"a conflict counts too", ip, registerIQ("taken", "pw"), stanza.Conflict, ""},
		{"third is refused", ip, registerIQ("a3", "pw"), stanza.NotAcceptable, ""},
		{"another address", "192.0.2.2", registerIQ("b1", "pw"), "", ""},
		{"an invitation is not throttled", ip, registerIQ("a4", "pw"), "", "tok"},
	}
	for _, st := range steps {
		s := f.m.Open(st.ip)
		if st.preauth != "" {
			if c := condition(t, handle(t, s, preauthIQ(st.preauth))); c != "" {
				t.Fatalf("%s: preauth: %q", st.name, c)
			}
		}
		reply := handle(t, s, st.iq)
		if c := condition(t, reply); c != st.want {
			t.Errorf("%s: %q, want %q", st.name, c, st.want)
		}
		if st.name == "third is refused" && reply.Child(stanza.NSClient, "error").Get("type") != stanza.Wait {
			t.Errorf("throttled: error type %q, want wait", reply.Child(stanza.NSClient, "error").Get("type"))
		}
	}
	if f.accounts.exists("a3@" + domain) {
		t.Error("the throttled account was created")
	}
}

func TestInviteOnly(t *testing.T) {
	f := newFixture(t, register.Options{Enabled: true, InviteOnly: true})
	f.invite(t, register.Invite{Token: "good", Expires: time.Now().Add(time.Hour)})
	f.invite(t, register.Invite{Token: "old", Expires: time.Now().Add(-time.Second)})
	f.invite(t, register.Invite{Token: "forjuliet", Username: "juliet"})
	f.invite(t, register.Invite{Token: "twice", Uses: 2})

	s := f.m.Open("192.0.2.1")
	if names := featureNames(s); len(names) != 2 {
		t.Errorf("features = %v, want iq-register and ibr-token", names)
	}
	form := handle(t, s, getIQ).Child(register.NS, "query")
	if form.Child(register.NS, "username") != nil || form.Child(register.NS, "instructions") == nil {
		t.Errorf("without an invitation the form must only explain (XEP-0077 §5): %s", form)
	}
	steps := []struct{ name, iq, want string }{
		{"without invitation", registerIQ("bill", "pw"), stanza.NotAllowed},
		{"unknown token", preauthIQ("nope"), stanza.ItemNotFound},
		{"expired token", preauthIQ("old"), stanza.ItemNotFound},
		{"still without", registerIQ("bill", "pw"), stanza.NotAllowed},
		{"good token", preauthIQ("good"), ""},
		{"registers", registerIQ("bill", "pw"), ""},
	}
	for _, st := range steps {
		if c := condition(t, handle(t, s, st.iq)); c != st.want {
			t.Errorf("%s: %q, want %q", st.name, c, st.want)
		}
	}
	if !f.accounts.password("bill@"+domain, "pw") {
		t.Error("bill was not created")
	}
	if _, err := f.invites.Invite(t.Context(), "good"); err == nil {
		t.Error("the single-use invitation is still there after its registration")
	}
	if c := condition(t, handle(t, f.m.Open("192.0.2.1"), preauthIQ("good"))); c != stanza.ItemNotFound {
		t.Errorf("a used token: %q, want item-not-found", c)
	}

	t.Run("preset user name", func(t *testing.T) {
		s := f.m.Open("192.0.2.1")
		handle(t, s, preauthIQ("forjuliet"))
		if u := handle(t, s, getIQ).Child(register.NS, "query").Child(register.NS, "username"); u == nil || u.Text() != "juliet" {
			t.Errorf("form username = %v, want juliet filled in", u)
		}
		if c := condition(t, handle(t, s, registerIQ("romeo", "pw"))); c != stanza.NotAcceptable {
			t.Errorf("another name: %q, want not-acceptable", c)
		}
		if c := condition(t, handle(t, s, registerIQ("Juliet", "pw"))); c != "" {
			t.Errorf("the preset name: %q", c)
		}
	})

	t.Run("a failed registration keeps the token", func(t *testing.T) {
		s := f.m.Open("192.0.2.1")
		handle(t, s, preauthIQ("twice"))
		if c := condition(t, handle(t, s, registerIQ("bill", "pw"))); c != stanza.Conflict {
			t.Fatalf("taken name: %q", c)
		}
		if inv, err := f.invites.Invite(t.Context(), "twice"); err != nil || inv.Uses != 2 {
			t.Errorf("after a failed registration, invite = %+v, %v; want 2 uses left (XEP-0445 §4)", inv, err)
		}
	})

	t.Run("two streams race for the last use", func(t *testing.T) {
		f.invite(t, register.Invite{Token: "race"})
		a, b := f.m.Open("192.0.2.1"), f.m.Open("192.0.2.2")
		handle(t, a, preauthIQ("race"))
		handle(t, b, preauthIQ("race"))
		if c := condition(t, handle(t, a, registerIQ("first", "pw"))); c != "" {
			t.Fatalf("first: %q", c)
		}
		if c := condition(t, handle(t, b, registerIQ("second", "pw"))); c != stanza.ItemNotFound {
			t.Errorf("second on a used-up token: %q, want item-not-found", c)
		}
		if f.accounts.exists("second@" + domain) {
			t.Error("the account of the registration that lost the token was not rolled back")
		}
	})
}

func TestRegisteredQuery(t *testing.T) {
	f := newFixture(t, register.Options{})
	f.user(t, "alice@"+domain, "pw")
	res := f.online("alice@" + domain + "/phone")
	for _, to := range []string{"", " to='" + domain + "'"} {
		f.send(t, res, "<iq xmlns='jabber:client' type='get' id='q1'"+to+"><query xmlns='jabber:iq:register'/></iq>")
	}
	got := f.conns[res.Full()].got()
	for _, e := range got {
		if !strings.Contains(e, "<registered/><username>alice</username>") {
			t.Errorf("answer %s, want <registered/> and the user name", e)
		}
	}
	if len(got) != 2 {
		t.Errorf("got %d answers, want 2: %v", len(got), got)
	}
	if !slices.Contains(f.r.Features(), register.NS) {
		t.Errorf("disco features %v lack %s", f.r.Features(), register.NS)
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t, register.Options{})
	f.user(t, "alice@"+domain, "old")
	f.user(t, "bob@"+domain, "bobs")
	phone := f.online("alice@" + domain + "/phone")
	laptop := f.online("alice@" + domain + "/laptop")
	bob := f.online("bob@" + domain + "/desk")

	change := func(to, user, pw string) string {
		return "<iq xmlns='jabber:client' type='set' id='c1'" + to + "><query xmlns='jabber:iq:register'>" + user +
			"<password>" + pw + "</password></query></iq>"
	}
	steps := []struct {
		name, iq, want string
	}{
		{"someone else's name", change(" to='"+domain+"'", "<username>bob</username>", "stolen"), stanza.Forbidden},
		{"empty password", change(" to='"+domain+"'", "<username>alice</username>", ""), stanza.BadRequest},
		{"changed", change(" to='"+domain+"'", "<username>alice</username>", "new1"), ""},
		{"no 'to', no name", change("", "", "new2"), ""},
	}
	for _, st := range steps {
		f.send(t, phone, st.iq)
		got := f.conns[phone.Full()].got()
		last := got[len(got)-1]
		reply := parse(t, strings.TrimPrefix(last, "send "))
		if c := condition(t, reply); c != st.want {
			t.Errorf("%s: %q, want %q (%s)", st.name, c, st.want, last)
		}
		if strings.Contains(last, "<password>") {
			t.Errorf("%s: the answer carries the password back: %s", st.name, last)
		}
	}
	if !f.accounts.password("alice@"+domain, "new2") {
		t.Error("alice's password is not new2")
	}
	if !f.accounts.password("bob@"+domain, "bobs") {
		t.Error("bob's password changed")
	}
	for _, e := range f.conns[phone.Full()].got() {
		if strings.HasPrefix(e, "close") {
			t.Errorf("the requesting session was closed: %v", f.conns[phone.Full()].got())
		}
	}
	if got := f.conns[laptop.Full()].got(); len(got) == 0 || got[0] != "close not-authorized" {
		t.Errorf("alice's other session got %v, want it closed with not-authorized", got)
	}
	if got := f.conns[bob.Full()].got(); len(got) != 0 {
		t.Errorf("bob's session got %v", got)
	}
}

func TestRemove(t *testing.T) {
	f := newFixture(t, register.Options{})
	f.user(t, "alice@"+domain, "pw")
	f.user(t, "bob@"+domain, "pw")
	phone := f.online("alice@" + domain + "/phone")
	laptop := f.online("alice@" + domain + "/laptop")
	bob := f.online("bob@" + domain + "/desk")

	// Not for the server: addressed to bob, the router refuses a private namespace; to
	// another domain, it goes there.
	f.send(t, phone, `<iq xmlns='jabber:client' type='set' id='x1' to='bob@example.test'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	f.send(t, phone, `<iq xmlns='jabber:client' type='set' id='x2' to='other.test'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	// <remove/> with company (XEP-0077 §3.2).
	f.send(t, phone, `<iq xmlns='jabber:client' type='set' id='x3' to='example.test'><query xmlns='jabber:iq:register'><remove/><username>alice</username></query></iq>`)
	got := f.conns[phone.Full()].got()
	wantConds := []string{stanza.Forbidden, stanza.RemoteServerNotFound, stanza.BadRequest}
	if len(got) != len(wantConds) {
		t.Fatalf("answers %v, want %d errors", got, len(wantConds))
	}
	for i, want := range wantConds {
		if c := condition(t, parse(t, strings.TrimPrefix(got[i], "send "))); c != want {
			t.Errorf("answer %d: %q, want %q", i, c, want)
		}
	}
	if !f.accounts.exists("alice@"+domain) || !f.accounts.exists("bob@"+domain) {
		t.Fatal("an account was removed by a refused request")
	}

	f.send(t, phone, removeIQ)
	if f.accounts.exists("alice@" + domain) {
		t.Error("alice still exists")
	}
	got = f.conns[phone.Full()].got()[len(wantConds):]
	if len(got) != 2 || !strings.Contains(got[0], "type='result'") || !strings.Contains(got[0], "id='rm1'") || got[1] != "close not-authorized" {
		t.Errorf("the requester got %v, want the result, then the stream closed with not-authorized", got)
	}
	if got := f.conns[laptop.Full()].got(); len(got) != 1 || got[0] != "close not-authorized" {
		t.Errorf("alice's other session got %v, want it closed", got)
	}
	if got := f.conns[bob.Full()].got(); len(got) != 0 || !f.accounts.exists("bob@"+domain) {
		t.Errorf("bob was touched: %v", got)
	}

	// The sessions end when their connections close; a request still in flight finds
	// the account gone.
	f.send(t, laptop, removeIQ)
	got = f.conns[laptop.Full()].got()
	if c := condition(t, parse(t, strings.TrimPrefix(got[len(got)-1], "send "))); c != stanza.RegistrationRequired {
		t.Errorf("removing a removed account: %q, want registration-required", c)
	}
}

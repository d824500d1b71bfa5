package mam_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const (
	alice      = "alice@example.test"
	aliceDesk  = "alice@example.test/desk"
	alicePhone = "alice@example.test/phone"
	bob        = "bob@example.test"
	bobLaptop  = "bob@example.test/laptop"
	carol      = "carol@example.test"
	carolPad   = "carol@example.test/pad"
)

// fixture is a router with the mam module over a MemStore, and alice (two resources),
// bob and carol online.
type fixture struct {
	r       *router.Router
	m       *mam.Module
	store   *mamtest.MemStore
	rosters *rostertest.MemStore
	res     map[string]*session.Resource
	conns   map[string]*modtest.Conn
	offline []string
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{
		store:   mamtest.NewMemStore(),
		rosters: rostertest.NewMemStore(),
		res:     map[string]*session.Resource{},
		conns:   map[string]*modtest.Conn{},
	}
	f.r = router.New(jid.MustParse("example.test"), session.NewRegistry(), modtest.Users{alice: true, bob: true, carol: true, "dave@example.test": true}, log)
	f.r.HandlePresence(func(context.Context, router.Presence) {}, func(context.Context, router.Presence) {})
	f.r.HandleOffline(func(_ context.Context, to jid.JID, _ *stanza.Element) error {
		f.offline = append(f.offline, to.String())
		return nil
	})
	f.m = mam.New(mam.Config{Archive: f.store, Rosters: f.rosters, Logger: log})
	f.m.Register(f.r)
	for _, full := range []string{aliceDesk, alicePhone, bobLaptop, carolPad} {
		c := &modtest.Conn{}
		res := session.NewResource(jid.MustParse(full), c)
		f.r.Bind(res)
		res.SetPresence(stanza.New(stanza.NSClient, "presence"), 0)
		f.res[full], f.conns[full] = res, c
	}
	return f
}

// send has the client at full send raw (jabber:client), as c2s would hand it over.
func (f *fixture) send(t *testing.T, full, raw string) {
	t.Helper()
	el, err := xmlstream.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	el.Set("from", full)
	f.r.Outbound(t.Context(), f.res[full], el)
}

// chat sends a chat message with body from full to 'to' and returns what each resource got.
func (f *fixture) chat(t *testing.T, full, to, body string) {
	t.Helper()
	f.send(t, full, fmt.Sprintf(`<message to='%s' type='chat' id='%s'><body>%s</body></message>`, to, body, body))
}

// iq has full send an IQ and returns the response and the stanzas that came before it.
func (f *fixture) iq(t *testing.T, full, raw string) (resp *stanza.Element, before []*stanza.Element) {
	t.Helper()
	f.conns[full].Take()
	f.send(t, full, raw)
	got := f.conns[full].Take()
	if len(got) == 0 || got[len(got)-1].Name.Local != "iq" {
		t.Fatalf("no IQ response to %s; got %v", raw, got)
	}
	return got[len(got)-1], got[:len(got)-1]
}

func (f *fixture) archive(t *testing.T, owner string) []mam.Record {
	t.Helper()
	p, err := f.store.Query(t.Context(), owner, mam.Query{Max: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func stanzaIDs(el *stanza.Element) []string {
	var out []string
	for _, c := range el.ChildElements() {
		if c.Name.Space == mam.NSStanzaID && c.Name.Local == "stanza-id" {
			out = append(out, c.Get("by")+" "+c.Get("id"))
		}
	}
	return out
}

func body(el *stanza.Element) string {
	if b := el.Child(stanza.NSClient, "body"); b != nil {
		return b.Text()
	}
	return ""
}

func TestArchivesBothCopies(t *testing.T) {
	f := newFixture(t)
	f.chat(t, aliceDesk, bob, "hi")
	got := f.conns[bobLaptop].Take()
	if len(got) != 1 {
		t.Fatalf("bob got %d stanzas, want 1", len(got))
	}
	a, b := f.archive(t, alice), f.archive(t, bob)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("archives: alice %d, bob %d records; want 1 each", len(a), len(b))
	}
	if a[0].With != bob || b[0].With != aliceDesk {
		t.Errorf("With: alice's %q, bob's %q; want %q, %q", a[0].With, b[0].With, bob, aliceDesk)
	}
	if ids := stanzaIDs(got[0]); len(ids) != 1 || ids[0] != bob+" "+b[0].ID {
		t.Errorf("delivered stanza-ids %v, want [%s %s]", ids, bob, b[0].ID)
	}
	for _, r := range []mam.Record{a[0], b[0]} {
		st, err := xmlstream.Parse(r.Stanza)
		if err != nil {
			t.Fatal(err)
		}
		if body(st) != "hi" || st.Get("from") != aliceDesk || st.Get("to") != bob || len(stanzaIDs(st)) != 0 {
			t.Errorf("stored %s", r.Stanza)
		}
	}
	// The sender's other resource got nothing from this module, and the sender's copy
	// carries no ID of bob's archive back.
	if got := f.conns[alicePhone].Take(); len(got) != 0 {
		t.Errorf("alice's phone got %v", got)
	}
}

func TestWhatIsArchived(t *testing.T) {
	tests := []struct {
		name string
		raw  string // from alice's desk to bob
		want bool
	}{
		{"Chat", `<message to='bob@example.test' type='chat'><body>x</body></message>`, true},
		{"Normal", `<message to='bob@example.test'><body>x</body></message>`, true},
		{"NormalExplicit", `<message to='bob@example.test' type='normal'><body>x</body></message>`, true},
		{"ToFullJID", `<message to='bob@example.test/laptop' type='chat'><body>x</body></message>`, true},
		{"BodyAndChatState", `<message to='bob@example.test' type='chat'><body>x</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, true},
		{"ChatStateOnly", `<message to='bob@example.test' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, false},
		{"Receipt", `<message to='bob@example.test' type='chat'><received xmlns='urn:xmpp:receipts' id='a1'/></message>`, false},
		{"Headline", `<message to='bob@example.test' type='headline'><body>x</body></message>`, false},
		{"Groupchat", `<message to='bob@example.test' type='groupchat'><body>x</body></message>`, false},
		{"NoStoreHint", `<message to='bob@example.test' type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`, false},
		{"NoPermanentStoreHint", `<message to='bob@example.test' type='chat'><body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>`, false},
		{"StoreHintWins", `<message to='bob@example.test' type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/><store xmlns='urn:xmpp:hints'/></message>`, true},
		{"StoreHintWithoutBody", `<message to='bob@example.test' type='chat'><store xmlns='urn:xmpp:hints'/><x xmlns='urn:example'/></message>`, true},
		{"BodyInOtherNamespace", `<message to='bob@example.test' type='chat'><body xmlns='urn:example'>x</body></message>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.send(t, aliceDesk, tt.raw)
			na, nb := len(f.archive(t, alice)), len(f.archive(t, bob))
			want := 0
			if tt.want {
				want = 1
			}
			if na != want || nb != want {
				t.Errorf("archived for alice %d, for bob %d; want %d each", na, nb, want)
			}
			for _, el := range f.conns[bobLaptop].Take() {
				if ids := stanzaIDs(el); len(ids) != want {
					t.Errorf("delivered with stanza-ids %v, want %d", ids, want)
				}
			}
		})
	}
}

func TestChatStatesNotStored(t *testing.T) {
	f := newFixture(t)
	f.send(t, aliceDesk, `<message to='bob@example.test' type='chat'><body>x</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	for _, owner := range []string{alice, bob} {
		r := f.archive(t, owner)[0]
		if strings.Contains(string(r.Stanza), "chatstates") || !strings.Contains(string(r.Stanza), "<body>x</body>") {
			t.Errorf("%s's copy: %s", owner, r.Stanza)
		}
	}
	// The delivered message keeps its chat state.
	got := f.conns[bobLaptop].Take()
	if len(got) != 1 || got[0].Child("http://jabber.org/protocol/chatstates", "active") == nil {
		t.Errorf("bob got %v", got)
	}
}

// TestForgedStanzaID: XEP-0359 §4: a stanza-id "by" the recipient's archive that the
// server did not make is removed, archived or not; one by someone else stays.
func TestForgedStanzaID(t *testing.T) {
	for _, tt := range []struct {
		name, payload string
		archived      bool
	}{
		{"Archived", "<body>x</body>", true},
		{"NotArchived", "<composing xmlns='http://jabber.org/protocol/chatstates'/>", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.send(t, aliceDesk, `<message to='bob@example.test' type='chat'>`+tt.payload+
				`<stanza-id xmlns='urn:xmpp:sid:0' by='bob@example.test' id='forged'/>`+
				`<stanza-id xmlns='urn:xmpp:sid:0' by='BOB@example.test' id='forged-too'/>`+
				`<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.example.test' id='theirs'/></message>`)
			got := f.conns[bobLaptop].Take()
			if len(got) != 1 {
				t.Fatalf("bob got %d stanzas", len(got))
			}
			want := []string{"room@muc.example.test theirs"}
			if tt.archived {
				want = append(want, bob+" "+f.archive(t, bob)[0].ID)
			}
			if ids := stanzaIDs(got[0]); strings.Join(ids, ",") != strings.Join(want, ",") {
				t.Errorf("stanza-ids %v, want %v", ids, want)
			}
			if tt.archived {
				// alice's copy keeps what alice sent, minus nothing: none is by alice.
				if n := strings.Count(string(f.archive(t, alice)[0].Stanza), "stanza-id"); n != 3 {
					t.Errorf("alice's copy has %d stanza-ids, want 3", n)
				}
			}
		})
	}
}

func TestSelfMessageArchivedOnce(t *testing.T) {
	f := newFixture(t)
	f.chat(t, aliceDesk, alice, "note")
	recs := f.archive(t, alice)
	if len(recs) != 1 {
		t.Fatalf("alice's archive has %d records, want 1", len(recs))
	}
	got := f.conns[alicePhone].Take()
	if len(got) != 1 || strings.Join(stanzaIDs(got[0]), "") != alice+" "+recs[0].ID {
		t.Errorf("alice's phone got %v", got)
	}
}

// TestRemoteAndUnknownRecipients: the sender's copy is archived whoever the recipient is;
// an account that does not exist gets no archive.
func TestRemoteAndUnknownRecipients(t *testing.T) {
	f := newFixture(t)
	f.chat(t, aliceDesk, "romeo@remote.example", "hi")
	f.chat(t, aliceDesk, "nobody@example.test", "hi")
	recs := f.archive(t, alice)
	if len(recs) != 2 || recs[0].With != "romeo@remote.example" || recs[1].With != "nobody@example.test" {
		t.Errorf("alice's archive: %v", recs)
	}
	if n := len(f.archive(t, "nobody@example.test")); n != 0 {
		t.Errorf("a missing account has %d records", n)
	}
}

func TestOfflineRecipientArchived(t *testing.T) {
	f := newFixture(t)
	f.chat(t, aliceDesk, "dave@example.test", "later")
	if len(f.offline) != 1 || len(f.archive(t, "dave@example.test")) != 1 {
		t.Errorf("offline %v, dave's archive %d records", f.offline, len(f.archive(t, "dave@example.test")))
	}
}

// converse has alice and bob exchange n messages and returns alice's records.
func converse(t *testing.T, f *fixture, n int) []mam.Record {
	t.Helper()
	for i := range n {
		if i%2 == 0 {
			f.chat(t, aliceDesk, bob, "m"+strconv.Itoa(i))
		} else {
			f.chat(t, bobLaptop, alice, "m"+strconv.Itoa(i))
		}
	}
	f.conns[aliceDesk].Take()
	recs := f.archive(t, alice)
	if len(recs) != n {
		t.Fatalf("alice's archive has %d records, want %d", len(recs), n)
	}
	return recs
}

type finResult struct {
	typ, condition   string
	ids              []string // result IDs, in the order received
	bodies           []string
	first, last      string
	index, count     string
	complete         string
	queryID, finQID  string
	resultFrom, stTo string
}

func runQuery(t *testing.T, f *fixture, payload string) finResult {
	t.Helper()
	resp, before := f.iq(t, aliceDesk, `<iq type='set' id='q1'><query xmlns='urn:xmpp:mam:2' queryid='qid'>`+payload+`</query></iq>`)
	var r finResult
	r.typ = resp.Get("type")
	if e := resp.Child(stanza.NSClient, "error"); e != nil {
		if c := e.FirstChild(); c != nil {
			r.condition = c.Name.Local
		}
		return r
	}
	for _, msg := range before {
		res := msg.Child(mam.NS, "result")
		if res == nil {
			t.Fatalf("not a result: %s", msg)
		}
		r.ids = append(r.ids, res.Get("id"))
		r.queryID = res.Get("queryid")
		r.resultFrom, r.stTo = msg.Get("from"), msg.Get("to")
		fwd := res.Child(mam.NSForward, "forwarded")
		if fwd.Child(mam.NSDelay, "delay").Get("stamp") == "" {
			t.Errorf("result without delay stamp: %s", msg)
		}
		r.bodies = append(r.bodies, body(fwd.Child(stanza.NSClient, "message")))
	}
	fin := resp.Child(mam.NS, "fin")
	if fin == nil {
		t.Fatalf("no fin: %s", resp)
	}
	r.complete, r.finQID = fin.Get("complete"), fin.Get("queryid")
	set := fin.Child(mam.NSRSM, "set")
	if first := set.Child(mam.NSRSM, "first"); first != nil {
		r.first, r.index = first.Text(), first.Get("index")
	}
	if last := set.Child(mam.NSRSM, "last"); last != nil {
		r.last = last.Text()
	}
	if c := set.Child(mam.NSRSM, "count"); c != nil {
		r.count = c.Text()
	}
	return r
}

func idsOf(recs []mam.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func form(fields ...string) string {
	var b strings.Builder
	b.WriteString(`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, `<field var='%s'><value>%s</value></field>`, fields[i], fields[i+1])
	}
	b.WriteString(`</x>`)
	return b.String()
}

func TestQuery(t *testing.T) {
	f := newFixture(t)
	recs := converse(t, f, 10)
	all := idsOf(recs)
	rsm := func(inner string) string { return `<set xmlns='http://jabber.org/protocol/rsm'>` + inner + `</set>` }
	tests := []struct {
		name, payload string
		ids           []string // nil: want an error
		condition     string
		index, count  string
		complete      string
	}{
		{"All", "", all, "", "0", "10", "true"},
		{"Max3", rsm("<max>3</max>"), all[:3], "", "0", "10", "false"},
		{"After", rsm("<max>3</max><after>" + all[2] + "</after>"), all[3:6], "", "", "10", "false"},
		{"AfterToEnd", rsm("<max>3</max><after>" + all[6] + "</after>"), all[7:], "", "", "10", "true"},
		{"LastPage", rsm("<max>3</max><before/>"), all[7:], "", "", "10", "false"},
		{"Before", rsm("<max>3</max><before>" + all[7] + "</before>"), all[4:7], "", "", "10", "false"},
		{"BeforeToStart", rsm("<max>3</max><before>" + all[2] + "</before>"), all[:2], "", "", "10", "true"},
		{"MaxZero", rsm("<max>0</max>"), []string{}, "", "", "10", "false"},
		{"FlipPage", rsm("<max>3</max>") + "<flip-page/>", []string{all[2], all[1], all[0]}, "", "0", "10", "false"},
		{"WithBare", form("with", bob), all, "", "0", "10", "true"},
		{"WithFullNoMatch", form("with", bob+"/phone"), []string{}, "", "", "0", "true"},
		{"WithFull", form("with", bobLaptop), []string{all[1], all[3], all[5], all[7], all[9]}, "", "0", "5", "true"},
		{"WithOther", form("with", carol), []string{}, "", "", "0", "true"},
		{"StartEnd", form("start", stampOf(recs[2]), "end", stampOf(recs[4])), all[2:5], "", "0", "3", "true"},
		{"AfterID", form("after-id", all[7]), all[8:], "", "0", "2", "true"},
		{"BeforeIDAfterID", form("after-id", all[1], "before-id", all[4]), all[2:4], "", "0", "2", "true"},
		{"IDs", form("ids", all[5]), all[5:6], "", "0", "1", "true"},
		{"UnknownAfter", rsm("<after>nope</after>"), nil, "item-not-found", "", "", ""},
		{"UnknownBefore", rsm("<before>nope</before>"), nil, "item-not-found", "", "", ""},
		{"UnknownAfterID", form("after-id", "nope"), nil, "item-not-found", "", "", ""},
		{"UnknownIDs", form("ids", "nope"), nil, "item-not-found", "", "", ""},
		{"UnknownField", form("include-groupchat", "true"), nil, "feature-not-implemented", "", "", ""},
		{"RSMIndex", rsm("<max>3</max><index>4</index>"), nil, "feature-not-implemented", "", "", ""},
		{"BadMax", rsm("<max>lots</max>"), nil, "bad-request", "", "", ""},
		{"BadStart", form("start", "yesterday"), nil, "bad-request", "", "", ""},
		{"BadWith", form("with", "@@"), nil, "jid-malformed", "", "", ""},
		{"WrongFormType", `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x>`, nil, "bad-request", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runQuery(t, f, tt.payload)
			if tt.ids == nil {
				if r.typ != "error" || r.condition != tt.condition {
					t.Errorf("response %s/%s, want error %s", r.typ, r.condition, tt.condition)
				}
				return
			}
			if r.typ != "result" {
				t.Fatalf("response %s/%s", r.typ, r.condition)
			}
			if strings.Join(r.ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("results %v, want %v", r.ids, tt.ids)
			}
			if r.index != tt.index || r.count != tt.count || r.complete != tt.complete {
				t.Errorf("index %q count %q complete %q; want %q %q %q", r.index, r.count, r.complete, tt.index, tt.count, tt.complete)
			}
			if len(tt.ids) > 0 {
				first, last := tt.ids[0], tt.ids[len(tt.ids)-1]
				if strings.Contains(tt.payload, "flip-page") {
					first, last = last, first // the bounds stay chronological
				}
				if r.first != first || r.last != last {
					t.Errorf("first %q last %q; want %q %q", r.first, r.last, first, last)
				}
				if r.queryID != "qid" || r.finQID != "qid" || r.resultFrom != alice || r.stTo != aliceDesk {
					t.Errorf("queryid %q/%q, result from %q to %q", r.queryID, r.finQID, r.resultFrom, r.stTo)
				}
			} else if r.first != "" || r.last != "" {
				t.Errorf("empty page with first %q last %q", r.first, r.last)
			}
		})
	}
	t.Run("Bodies", func(t *testing.T) {
		r := runQuery(t, f, rsm("<max>2</max>"))
		if strings.Join(r.bodies, ",") != "m0,m1" {
			t.Errorf("bodies %v", r.bodies)
		}
	})
	t.Run("MaxCapped", func(t *testing.T) {
		f := newFixture(t)
		converse(t, f, mam.MaxPage+5)
		r := runQuery(t, f, rsm("<max>100000</max>"))
		if len(r.ids) != mam.MaxPage || r.complete != "false" {
			t.Errorf("%d results, complete %q; want %d, false", len(r.ids), r.complete, mam.MaxPage)
		}
		r = runQuery(t, f, "")
		if len(r.ids) != mam.DefaultPage {
			t.Errorf("%d results by default, want %d", len(r.ids), mam.DefaultPage)
		}
	})
	t.Run("Node", func(t *testing.T) {
		resp, _ := f.iq(t, aliceDesk, `<iq type='set' id='q2'><query xmlns='urn:xmpp:mam:2' node='princely_musings'/></iq>`)
		if resp.Get("type") != "error" {
			t.Errorf("query with node: %s", resp)
		}
	})
}

func stampOf(r mam.Record) string { return r.Time.UTC().Format(time.RFC3339Nano) }

// TestOthersCannotQuery: an archive is its owner's alone (XEP-0313 §8.1).
func TestOthersCannotQuery(t *testing.T) {
	f := newFixture(t)
	converse(t, f, 2)
	for _, payload := range []string{
		`<iq type='set' id='x' to='alice@example.test'><query xmlns='urn:xmpp:mam:2'/></iq>`,
		`<iq type='get' id='x' to='alice@example.test'><metadata xmlns='urn:xmpp:mam:2'/></iq>`,
		`<iq type='get' id='x' to='alice@example.test'><prefs xmlns='urn:xmpp:mam:2'/></iq>`,
	} {
		resp, before := f.iq(t, bobLaptop, payload)
		if len(before) != 0 || resp.Get("type") != "error" || resp.Child(stanza.NSClient, "error").Child(stanza.NSStanzas, "forbidden") == nil {
			t.Errorf("bob asked %s: got %v then %s", payload, before, resp)
		}
	}
}

func TestFormAndMetadata(t *testing.T) {
	f := newFixture(t)
	resp, _ := f.iq(t, aliceDesk, `<iq type='get' id='m'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)
	if md := resp.Child(mam.NS, "metadata"); resp.Get("type") != "result" || md == nil || len(md.ChildElements()) != 0 {
		t.Errorf("metadata of an empty archive: %s", resp)
	}
	recs := converse(t, f, 4)
	resp, _ = f.iq(t, aliceDesk, `<iq type='get' id='m'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)
	md := resp.Child(mam.NS, "metadata")
	start, end := md.Child(mam.NS, "start"), md.Child(mam.NS, "end")
	if start == nil || end == nil || start.Get("id") != recs[0].ID || end.Get("id") != recs[3].ID {
		t.Fatalf("metadata: %s", resp)
	}
	if ts, err := time.Parse(time.RFC3339, end.Get("timestamp")); err != nil || !ts.Equal(recs[3].Time) {
		t.Errorf("end timestamp %q, want %v (%v)", end.Get("timestamp"), recs[3].Time, err)
	}

	resp, _ = f.iq(t, aliceDesk, `<iq type='get' id='f'><query xmlns='urn:xmpp:mam:2'/></iq>`)
	x := resp.Child(mam.NS, "query").Child(mam.NSData, "x")
	var vars []string
	for _, fl := range x.ChildElements() {
		vars = append(vars, fl.Get("var"))
	}
	if strings.Join(vars, " ") != "FORM_TYPE with start end before-id after-id ids" {
		t.Errorf("form fields %v", vars)
	}
}

func TestFeatures(t *testing.T) {
	f := newFixture(t)
	feats := strings.Join(f.r.AccountFeatures(), " ")
	for _, want := range []string{mam.NS, mam.NSExtended, mam.NSStanzaID} {
		if !strings.Contains(feats, want) {
			t.Errorf("account features %q lack %s", feats, want)
		}
	}
	// Without an archive the module advertises nothing and archives nothing.
	r := router.New(jid.MustParse("example.test"), session.NewRegistry(), modtest.Users{}, slog.New(slog.DiscardHandler))
	mam.New(mam.Config{}).Register(r)
	if len(r.AccountFeatures()) != 0 {
		t.Errorf("features without an archive: %v", r.AccountFeatures())
	}
}

func TestPrefs(t *testing.T) {
	f := newFixture(t)
	resp, _ := f.iq(t, aliceDesk, `<iq type='get' id='p'><prefs xmlns='urn:xmpp:mam:2'/></iq>`)
	if got := resp.Child(mam.NS, "prefs"); got == nil || got.Get("default") != "always" ||
		got.Child(mam.NS, "always") == nil || got.Child(mam.NS, "never") == nil {
		t.Fatalf("default prefs: %s", resp)
	}
	resp, _ = f.iq(t, aliceDesk, `<iq type='set' id='p'><prefs xmlns='urn:xmpp:mam:2' default='always'>`+
		`<always><jid>carol@example.test</jid><jid>Bob@Example.test</jid></always>`+
		`<never><jid>bob@example.test</jid></never></prefs></iq>`)
	p := resp.Child(mam.NS, "prefs")
	if resp.Get("type") != "result" || p == nil || len(p.Child(mam.NS, "always").ChildElements()) != 1 ||
		p.Child(mam.NS, "never").FirstChild().Text() != bob {
		t.Fatalf("set prefs answered %s", resp)
	}
	f.chat(t, aliceDesk, bob, "secret")
	f.chat(t, bobLaptop, alice, "secret too")
	f.chat(t, aliceDesk, carol, "fine")
	if recs := f.archive(t, alice); len(recs) != 1 || recs[0].With != carol {
		t.Errorf("alice's archive with bob never: %v", recs)
	}
	if n := len(f.archive(t, bob)); n != 2 {
		t.Errorf("bob's archive has %d records, want 2: his preferences are his", n)
	}
	for _, el := range f.conns[aliceDesk].Take() {
		if el.Name.Local == "message" && len(stanzaIDs(el)) != 0 {
			t.Errorf("unarchived message delivered with a stanza-id: %s", el)
		}
	}
	for _, bad := range []string{
		`<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>`,
		`<prefs xmlns='urn:xmpp:mam:2'/>`,
		`<prefs xmlns='urn:xmpp:mam:2' default='never'><always><jid>@@</jid></always></prefs>`,
	} {
		resp, _ := f.iq(t, aliceDesk, `<iq type='set' id='p'>`+bad+`</iq>`)
		if resp.Get("type") != "error" {
			t.Errorf("set %s: %s", bad, resp)
		}
	}
}

func TestPrefsMatching(t *testing.T) {
	tests := []struct {
		name  string
		prefs mam.Prefs
		with  string
		want  bool
	}{
		{"DefaultAlways", mam.Prefs{}, bobLaptop, true},
		{"Never", mam.Prefs{Default: mam.Never}, bobLaptop, false},
		{"NeverButAlwaysBare", mam.Prefs{Default: mam.Never, Always: []string{bob}}, bobLaptop, true},
		{"NeverButAlwaysOtherResource", mam.Prefs{Default: mam.Never, Always: []string{bob + "/phone"}}, bobLaptop, false},
		{"NeverButAlwaysThisResource", mam.Prefs{Default: mam.Never, Always: []string{bobLaptop}}, bobLaptop, true},
		{"AlwaysButNeverResource", mam.Prefs{Default: mam.Always, Never: []string{bobLaptop}}, bobLaptop, false},
		{"RosterNotInRoster", mam.Prefs{Default: mam.Roster}, bobLaptop, false},
		{"RosterInRoster", mam.Prefs{Default: mam.Roster}, carolPad, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.rosters.PutItem(t.Context(), alice, roster.Item{JID: carol, Subscription: "both"}); err != nil {
				t.Fatal(err)
			}
			if err := f.store.SetPrefs(t.Context(), alice, tt.prefs); err != nil {
				t.Fatal(err)
			}
			f.chat(t, tt.with, alice, "x")
			if got := len(f.archive(t, alice)) == 1; got != tt.want {
				t.Errorf("archived = %v, want %v", got, tt.want)
			}
		})
	}
}

// signalStore tells when DeleteBefore ran.
type signalStore struct {
	*mamtest.MemStore
	deleted chan time.Time
}

func (s signalStore) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.MemStore.DeleteBefore(ctx, cutoff)
	s.deleted <- cutoff
	return n, err
}

func TestRunExpires(t *testing.T) {
	store := signalStore{mamtest.NewMemStore(), make(chan time.Time, 1)}
	ctx := t.Context()
	old := time.Now().Add(-40 * 24 * time.Hour)
	for _, at := range []time.Time{old, old.Add(time.Hour), time.Now()} {
		if _, err := store.Append(ctx, alice, mam.Record{Time: at, With: bob, Stanza: []byte("<message/>")}); err != nil {
			t.Fatal(err)
		}
	}
	m := mam.New(mam.Config{Archive: store, Retention: 30 * 24 * time.Hour, Logger: slog.New(slog.DiscardHandler)})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	select {
	case <-store.deleted:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not expire records")
	}
	cancel()
	<-done
	p, err := store.Query(ctx, alice, mam.Query{Max: 10})
	if err != nil || p.Count != 1 {
		t.Errorf("after expiry: %d records, %v; want 1", p.Count, err)
	}
}

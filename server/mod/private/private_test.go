package private_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/private"
	"xmppbox/server/mod/private/privatetest"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

const (
	aliceFull = "alice@example.test/phone"
	bobFull   = "bob@example.test/laptop"
	bookmarks = "<storage xmlns='storage:bookmarks'><conference jid='room@muc.example.test' autojoin='true' name='Room'><nick>alice</nick></conference></storage>"
)

type change struct{ owner, xml string }

func newPrivateFixture(t *testing.T, maxEntries int) (*modtest.Fixture, *private.Module, *[]change) {
	t.Helper()
	var m *private.Module
	var changes []change
	f := modtest.New(t, []string{"alice", "bob", "carol"}, func(r *router.Router) {
		m = private.New(privatetest.NewMemStore(), maxEntries, slog.New(slog.NewTextHandler(io.Discard, nil)))
		m.Register(r)
		m.OnChange(func(_ context.Context, owner string, el *stanza.Element) {
			changes = append(changes, change{owner, string(el.AppendXML(nil, stanza.NSClient))})
		})
	})
	return f, m, &changes
}

// TestIQ runs XEP-0049 requests in order against one server: each step's effect is
// visible to the next ones.
func TestIQ(t *testing.T) {
	f, _, changes := newPrivateFixture(t, 3)
	alice, aliceConn := f.Client(t, aliceFull)
	bob, bobConn := f.Client(t, bobFull)
	steps := []struct {
		name      string
		send      func(string)
		conn      *modtest.Conn
		iq        string
		wantError string   // condition; "" for a result
		want      []string // the children of the result's query, as XML
		changes   int      // OnChange calls so far
	}{
		{"get, none stored", alice, aliceConn,
			"<iq type='get' id='1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			"", []string{"<storage xmlns='storage:bookmarks'/>"}, 0},
		{"set", alice, aliceConn,
			"<iq type='set' id='2'><query xmlns='jabber:iq:private'>" + bookmarks + "</query></iq>", "", nil, 1},
		{"get", alice, aliceConn,
			"<iq type='get' id='3'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			"", []string{bookmarks}, 1},
		{"same name, other namespace is another entry", alice, aliceConn,
			"<iq type='get' id='4' to='alice@example.test'><query xmlns='jabber:iq:private'><storage xmlns='storage:rosternotes'/></query></iq>",
			"", []string{"<storage xmlns='storage:rosternotes'/>"}, 1},
		{"set of two elements", alice, aliceConn,
			"<iq type='set' id='5'><query xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs' theme='dark'/><notes xmlns='urn:test:prefs'>n</notes></query></iq>", "", nil, 3},
		{"get of both", alice, aliceConn,
			"<iq type='get' id='6'><query xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs'/><notes xmlns='urn:test:prefs'/></query></iq>",
			"", []string{"<prefs xmlns='urn:test:prefs' theme='dark'/>", "<notes xmlns='urn:test:prefs'>n</notes>"}, 3},
		{"storage full", alice, aliceConn,
			"<iq type='set' id='7'><query xmlns='jabber:iq:private'><more xmlns='urn:test:more' a='1'/></query></iq>",
			stanza.ResourceConstraint, nil, 3},
		{"empty element removes", alice, aliceConn,
			"<iq type='set' id='8'><query xmlns='jabber:iq:private'><notes xmlns='urn:test:prefs'/></query></iq>", "", nil, 4},
		{"removed entry reads as empty", alice, aliceConn,
			"<iq type='get' id='9'><query xmlns='jabber:iq:private'><notes xmlns='urn:test:prefs'/></query></iq>",
			"", []string{"<notes xmlns='urn:test:prefs'/>"}, 4},
		{"room again after removal", alice, aliceConn,
			"<iq type='set' id='10'><query xmlns='jabber:iq:private'><more xmlns='urn:test:more' a='1'/></query></iq>", "", nil, 5},
		{"other user's get", bob, bobConn,
			"<iq type='get' id='11' to='alice@example.test'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			stanza.Forbidden, nil, 5},
		{"other user's set", bob, bobConn,
			"<iq type='set' id='12' to='alice@example.test'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			stanza.Forbidden, nil, 5},
		{"other user's own storage is separate", bob, bobConn,
			"<iq type='get' id='13'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			"", []string{"<storage xmlns='storage:bookmarks'/>"}, 5},
		{"get without a child", alice, aliceConn,
			"<iq type='get' id='14'><query xmlns='jabber:iq:private'/></iq>", stanza.NotAcceptable, nil, 5},
		{"set without a child", alice, aliceConn,
			"<iq type='set' id='15'><query xmlns='jabber:iq:private'/></iq>", stanza.NotAcceptable, nil, 5},
		{"child without its own namespace", alice, aliceConn,
			"<iq type='set' id='16'><query xmlns='jabber:iq:private'><foo>x</foo></query></iq>", stanza.NotAcceptable, nil, 5},
		{"bookmarks unchanged by the refusals", alice, aliceConn,
			"<iq type='get' id='17'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>",
			"", []string{bookmarks}, 5},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.send(st.iq)
			reply := st.conn.Last(t)
			if cond := modtest.ErrorCondition(reply); cond != st.wantError || (st.wantError == "" && reply.Get("type") != "result") {
				t.Fatalf("reply %s, want error %q", reply, st.wantError)
			}
			if len(*changes) != st.changes {
				t.Errorf("%d OnChange calls, want %d", len(*changes), st.changes)
			}
			if st.wantError != "" {
				return
			}
			query := reply.Child(private.NS, "query")
			if st.want == nil {
				if query != nil {
					t.Errorf("reply %s, want an empty result", reply)
				}
				return
			}
			if query == nil {
				t.Fatalf("reply %s, want a query", reply)
			}
			var got []string
			for _, c := range query.ChildElements() {
				got = append(got, string(c.AppendXML(nil, stanza.NSClient)))
			}
			if !slices.Equal(got, st.want) {
				t.Errorf("query holds %q, want %q", got, st.want)
			}
		})
	}
	if (*changes)[0] != (change{"alice@example.test", bookmarks}) {
		t.Errorf("first OnChange call %+v, want alice's bookmarks", (*changes)[0])
	}
}

// TestAPI: Get and Set for other modules (XEP-0411); Set runs no OnChange hook.
func TestAPI(t *testing.T) {
	f, m, changes := newPrivateFixture(t, 0)
	ctx := t.Context()
	owner := "alice@example.test"
	if el, err := m.Get(ctx, owner, "storage:bookmarks", "storage"); err != nil || el != nil {
		t.Fatalf("Get of nothing = %v, %v; want nil, nil", el, err)
	}
	el := stanza.New("storage:bookmarks", "storage").Append(stanza.New("storage:bookmarks", "conference", "jid", "room@muc.example.test"))
	if err := m.Set(ctx, owner, el); err != nil {
		t.Fatal(err)
	}
	if len(*changes) != 0 {
		t.Errorf("Set ran %d OnChange hooks, want none", len(*changes))
	}
	got, err := m.Get(ctx, owner, "storage:bookmarks", "storage")
	if err != nil || got == nil || got.Child("storage:bookmarks", "conference").Get("jid") != "room@muc.example.test" {
		t.Errorf("Get = %v, %v; want the stored bookmarks", got, err)
	}
	// The client sees what the API stored.
	alice, aliceConn := f.Client(t, aliceFull)
	alice("<iq type='get' id='1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
	if r := aliceConn.Last(t); r.Child(private.NS, "query").Child("storage:bookmarks", "storage").Child("storage:bookmarks", "conference") == nil {
		t.Errorf("client get after Set: %s", r)
	}
	if err := m.Set(ctx, owner, stanza.New("", "bad")); err == nil {
		t.Error("Set of an element without namespace succeeded")
	}
}

func TestFeatures(t *testing.T) {
	f, _, _ := newPrivateFixture(t, 0)
	if !slices.Contains(f.Router.AccountFeatures(), private.NS) {
		t.Errorf("account features %q, want %s", f.Router.AccountFeatures(), private.NS)
	}
}

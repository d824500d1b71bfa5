package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	nsMAM    = "urn:xmpp:mam:2"
	nsMAMExt = "urn:xmpp:mam:2#extended"
	nsSID    = "urn:xmpp:sid:0"
	nsRSM    = "http://jabber.org/protocol/rsm"
)

// archived is one result of an archive query, as a client sees it.
type archived struct {
	ID, From, To, Body, Stamp string
}

// mamPage is the answer to one archive query.
type mamPage struct {
	Items              []archived
	First, Last, Index string
	Count              int
	Complete           bool
}

// takeReceived returns, and marks as taken, every stanza received so far that match accepts.
func takeReceived(c *Client, match func(*Elem) bool) []*Elem {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Elem
	for i, el := range c.stanzas {
		if !c.taken[i] && match(el) {
			c.taken[i] = true
			out = append(out, el)
		}
	}
	return out
}

// mamQuery sends an archive query with the given inner XML (form, RSM set) and returns the
// results that came before the IQ result and the <fin/>; an error response fails the test.
func mamQuery(t *testing.T, c *Client, inner string) mamPage {
	t.Helper()
	p, errEl := tryMAMQuery(t, c, inner)
	if errEl != nil {
		t.Fatalf("archive query %s: %s", inner, errEl)
	}
	return p
}

func tryMAMQuery(t *testing.T, c *Client, inner string) (mamPage, *Elem) {
	t.Helper()
	qid := randomID()
	resp := c.IQ(t, `<iq type='set' id='%s'><query xmlns='`+nsMAM+`' queryid='%s'>%s</query></iq>`, qid, inner)
	if resp.Get("type") != "result" {
		return mamPage{}, resp
	}
	results := takeReceived(c, func(e *Elem) bool {
		r := e.Child(nsMAM, "result")
		return e.Is(nsClient, "message") && r != nil && r.Get("queryid") == qid
	})
	var p mamPage
	for _, m := range results {
		// mellium reports a 'from' of the session's own bare JID as "".
		if from := m.Get("from"); (from != "" && from != c.JID.Bare().String()) || m.Get("to") != c.JID.String() {
			t.Errorf("result from %q to %q, want from %s to %s", from, m.Get("to"), c.JID.Bare(), c.JID)
		}
		r := m.Child(nsMAM, "result")
		fwd := r.Child(nsForward, "forwarded")
		orig := fwd.Child(nsClient, "message")
		p.Items = append(p.Items, archived{
			ID: r.Get("id"), From: orig.Get("from"), To: orig.Get("to"),
			Body: orig.ChildText(nsClient, "body"), Stamp: fwd.Child(nsDelay, "delay").Get("stamp"),
		})
	}
	fin := resp.Child(nsMAM, "fin")
	if fin == nil {
		t.Fatalf("archive query answered without <fin/>: %s", resp)
	}
	if fin.Get("queryid") != "" && fin.Get("queryid") != qid {
		t.Errorf("fin queryid %q, want %q", fin.Get("queryid"), qid)
	}
	p.Complete = fin.Get("complete") == "true"
	set := fin.Child(nsRSM, "set")
	p.First, p.Last = set.ChildText(nsRSM, "first"), set.ChildText(nsRSM, "last")
	p.Index = set.Child(nsRSM, "first").Get("index")
	n, err := strconv.Atoi(set.ChildText(nsRSM, "count"))
	if err != nil {
		t.Fatalf("fin without a count: %s", resp)
	}
	p.Count = n
	if len(p.Items) > 0 && (p.First != p.Items[0].ID || p.Last != p.Items[len(p.Items)-1].ID) {
		t.Errorf("fin first %q last %q, results %q..%q", p.First, p.Last, p.Items[0].ID, p.Items[len(p.Items)-1].ID)
	}
	return p, nil
}

func rsmSet(inner string) string { return `<set xmlns='` + nsRSM + `'>` + inner + `</set>` }

func mamForm(fields ...string) string {
	var b strings.Builder
	b.WriteString(`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>` + nsMAM + `</value></field>`)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, `<field var='%s'><value>%s</value></field>`, fields[i], xmlEscape(fields[i+1]))
	}
	b.WriteString(`</x>`)
	return b.String()
}

func itemIDs(items []archived) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// stanzaIDBy returns the id of the XEP-0359 stanza-id by 'by' in a delivered message, or "".
func stanzaIDBy(m *Elem, by string) string {
	for _, c := range m.All(nsSID, "stanza-id") {
		if c.Get("by") == by {
			return c.Get("id")
		}
	}
	return ""
}

// sent is one message of the conversation in TestMAM.
type sent struct {
	from, to *Client
	body     string
	sid      string // the stanza-id the recipient saw, by the recipient's bare JID
}

// TestMAM: alice and bob chat; alice's archive returns the conversation in order with the
// IDs her client saw on delivery, pages through it with RSM both ways, filters by contact
// and by time, survives a restart, and stops archiving what her preferences exclude.
func TestMAM(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(t, u, u+"-pw-1")
	}
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "desk"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "laptop"})
	alice.Presence(t)
	bob.Presence(t)
	alice.Ping(t)
	bob.Ping(t)
	aliceBare, bobBare := srv.JID("alice"), srv.JID("bob")

	t.Run("disco", func(t *testing.T) {
		resp := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='`+nsDiscoInf+`'/></iq>`, aliceBare)
		var feats []string
		for _, f := range resp.Child(nsDiscoInf, "query").All(nsDiscoInf, "feature") {
			feats = append(feats, f.Get("var"))
		}
		for _, want := range []string{nsMAM, nsMAMExt, nsSID} {
			if !slices.Contains(feats, want) {
				t.Errorf("account features %v lack %s", feats, want)
			}
		}
	})

	// Twelve messages, alternating, each waited for so the order is known.
	var conv []*sent
	for i := range 12 {
		s := &sent{from: alice, to: bob, body: fmt.Sprintf("message %d from alice", i)}
		if i%2 == 1 {
			s = &sent{from: bob, to: alice, body: fmt.Sprintf("message %d from bob", i)}
		}
		s.from.Send(t, `<message to='%s' type='chat' id='c%d'><body>%s</body></message>`, s.to.JID.Bare(), i, s.body)
		m := s.to.WaitFor(t, s.body, isMessageWithBody(s.body))
		s.sid = stanzaIDBy(m, s.to.JID.Bare().String())
		if s.sid == "" {
			t.Fatalf("message %d delivered without a stanza-id by %s: %s", i, s.to.JID.Bare(), m)
		}
		if other := stanzaIDBy(m, s.from.JID.Bare().String()); other != "" {
			t.Errorf("message %d carries the sender's archive ID %q: %s", i, other, m)
		}
		conv = append(conv, s)
	}
	// Two for carol, who is offline: archived for alice all the same.
	alice.Send(t, `<message to='%s' type='chat'><body>carol 1</body></message>`, srv.JID("carol"))
	alice.Send(t, `<message to='%s' type='chat'><body>carol 2</body></message>`, srv.JID("carol"))
	alice.Ping(t)

	var all []archived
	t.Run("whole archive", func(t *testing.T) {
		p := mamQuery(t, alice, "")
		if len(p.Items) != 14 || p.Count != 14 || !p.Complete || p.Index != "0" {
			t.Fatalf("%d results, count %d, complete %v, index %q; want 14, 14, true, 0", len(p.Items), p.Count, p.Complete, p.Index)
		}
		all = p.Items
		var prevStamp time.Time
		for i, s := range conv {
			got := all[i]
			wantFrom, wantTo := s.from.JID.String(), s.to.JID.Bare().String()
			if got.Body != s.body || got.From != wantFrom || got.To != wantTo {
				t.Errorf("result %d = %+v, want body %q from %s to %s", i, got, s.body, wantFrom, wantTo)
			}
			if s.to == alice && got.ID != s.sid {
				t.Errorf("result %d has ID %q, but alice saw stanza-id %q on delivery", i, got.ID, s.sid)
			}
			ts, err := time.Parse(time.RFC3339, got.Stamp)
			if err != nil || ts.Before(prevStamp) {
				t.Errorf("result %d: stamp %q (%v) before the previous one", i, got.Stamp, err)
			}
			prevStamp = ts
		}
		if all[12].Body != "carol 1" || all[13].Body != "carol 2" {
			t.Errorf("last results %+v, want carol's", all[12:])
		}
		// bob's archive has the same conversation, with his own IDs.
		bp := mamQuery(t, bob, "")
		if bp.Count != 12 {
			t.Fatalf("bob's archive has %d messages, want 12", bp.Count)
		}
		for i, s := range conv {
			if s.to == bob && bp.Items[i].ID != s.sid {
				t.Errorf("bob's result %d has ID %q, but he saw stanza-id %q", i, bp.Items[i].ID, s.sid)
			}
		}
	})
	if len(all) != 14 {
		t.FailNow()
	}

	t.Run("paging forward", func(t *testing.T) {
		var got []string
		after := ""
		for page := 0; ; page++ {
			inner := "<max>3</max>"
			if after != "" {
				inner += "<after>" + after + "</after>"
			}
			p := mamQuery(t, alice, rsmSet(inner))
			if p.Count != 14 {
				t.Errorf("page %d: count %d, want 14", page, p.Count)
			}
			got = append(got, itemIDs(p.Items)...)
			if wantComplete := len(got) == 14; p.Complete != wantComplete {
				t.Errorf("page %d: complete %v after %d results", page, p.Complete, len(got))
			}
			if p.Complete || page > 10 {
				break
			}
			after = p.Last
		}
		if !slices.Equal(got, itemIDs(all)) {
			t.Errorf("paged forward %v, want %v", got, itemIDs(all))
		}
	})

	t.Run("paging backward from the last page", func(t *testing.T) {
		p := mamQuery(t, alice, rsmSet("<max>3</max><before/>"))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[11:])) || p.Count != 14 || p.Complete {
			t.Fatalf("last page %v count %d complete %v; want %v, 14, false", itemIDs(p.Items), p.Count, p.Complete, itemIDs(all[11:]))
		}
		got := itemIDs(p.Items)
		for page := 0; !p.Complete && page < 10; page++ {
			p = mamQuery(t, alice, rsmSet("<max>3</max><before>"+p.First+"</before>"))
			got = append(itemIDs(p.Items), got...)
		}
		if !slices.Equal(got, itemIDs(all)) || !p.Complete {
			t.Errorf("paged backward %v (complete %v), want %v", got, p.Complete, itemIDs(all))
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		for _, inner := range []string{rsmSet("<after>no-such-id</after>"), mamForm("after-id", "no-such-id")} {
			_, errEl := tryMAMQuery(t, alice, inner)
			if errEl.ErrorCondition() != "item-not-found" {
				t.Errorf("query %s: %s, want item-not-found", inner, errEl)
			}
		}
	})

	t.Run("with", func(t *testing.T) {
		p := mamQuery(t, alice, mamForm("with", bobBare))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[:12])) || p.Count != 12 {
			t.Errorf("with bob: %d results, count %d; want the 12 of the conversation", len(p.Items), p.Count)
		}
		p = mamQuery(t, alice, mamForm("with", srv.JID("carol")))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[12:])) || p.Count != 2 {
			t.Errorf("with carol: %v, count %d; want %v", itemIDs(p.Items), p.Count, itemIDs(all[12:]))
		}
		p = mamQuery(t, alice, mamForm("with", bob.JID.String()))
		var fromBob []string
		for i, s := range conv {
			if s.from == bob {
				fromBob = append(fromBob, all[i].ID)
			}
		}
		if !slices.Equal(itemIDs(p.Items), fromBob) {
			t.Errorf("with bob's full JID: %v, want the 6 he sent %v", itemIDs(p.Items), fromBob)
		}
	})

	t.Run("start end", func(t *testing.T) {
		p := mamQuery(t, alice, mamForm("start", all[3].Stamp, "end", all[7].Stamp))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[3:8])) || p.Count != 5 {
			t.Errorf("from %s to %s: %v (count %d), want %v", all[3].Stamp, all[7].Stamp, itemIDs(p.Items), p.Count, itemIDs(all[3:8]))
		}
		p = mamQuery(t, alice, mamForm("start", all[10].Stamp)+rsmSet("<max>2</max>"))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[10:12])) || p.Count != 4 || p.Complete {
			t.Errorf("from %s, 2 at most: %v (count %d complete %v)", all[10].Stamp, itemIDs(p.Items), p.Count, p.Complete)
		}
	})

	t.Run("extended", func(t *testing.T) {
		p := mamQuery(t, alice, mamForm("after-id", all[2].ID, "before-id", all[6].ID))
		if !slices.Equal(itemIDs(p.Items), itemIDs(all[3:6])) {
			t.Errorf("between: %v, want %v", itemIDs(p.Items), itemIDs(all[3:6]))
		}
		p = mamQuery(t, alice, mamForm("ids", all[9].ID))
		if len(p.Items) != 1 || p.Items[0].Body != conv[9].body {
			t.Errorf("ids: %+v", p.Items)
		}
		resp := alice.IQ(t, `<iq type='get' id='%s'><metadata xmlns='`+nsMAM+`'/></iq>`)
		md := resp.Child(nsMAM, "metadata")
		if md.Child(nsMAM, "start").Get("id") != all[0].ID || md.Child(nsMAM, "end").Get("id") != all[13].ID {
			t.Errorf("metadata %s, want start %s end %s", resp, all[0].ID, all[13].ID)
		}
	})

	t.Run("others cannot read it", func(t *testing.T) {
		resp := bob.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='`+nsMAM+`'/></iq>`, aliceBare)
		if resp.ErrorCondition() != "forbidden" {
			t.Errorf("bob querying alice's archive: %s", resp)
		}
	})

	alice.Close(t)
	bob.Close(t)
	srv.Restart(t)
	// Dialled by the test, not a subtest: a client lives as long as the t it was dialled with.
	alice = dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "desk"})
	bob = dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "laptop"})
	t.Run("survives a restart", func(t *testing.T) {
		p := mamQuery(t, alice, "")
		if !slices.Equal(itemIDs(p.Items), itemIDs(all)) {
			t.Errorf("after restart: %v, want %v", itemIDs(p.Items), itemIDs(all))
		}
	})

	t.Run("prefs never", func(t *testing.T) {
		alice.Presence(t)
		alice.Ping(t)
		resp := alice.IQ(t, `<iq type='set' id='%s'><prefs xmlns='`+nsMAM+`' default='always'><always/><never><jid>%s</jid></never></prefs></iq>`, bobBare)
		if resp.Get("type") != "result" || resp.Child(nsMAM, "prefs").Child(nsMAM, "never").ChildText(nsMAM, "jid") != bobBare {
			t.Fatalf("set prefs: %s", resp)
		}
		resp = alice.IQ(t, `<iq type='get' id='%s'><prefs xmlns='`+nsMAM+`'/></iq>`)
		if resp.Child(nsMAM, "prefs").Child(nsMAM, "never").ChildText(nsMAM, "jid") != bobBare {
			t.Errorf("get prefs: %s", resp)
		}
		bob.Send(t, `<message to='%s' type='chat'><body>off the record</body></message>`, aliceBare)
		m := alice.WaitFor(t, "bob's message", isMessageWithBody("off the record"))
		if id := stanzaIDBy(m, aliceBare); id != "" {
			t.Errorf("an unarchived message came with stanza-id %q", id)
		}
		if p := mamQuery(t, alice, ""); p.Count != 14 {
			t.Errorf("alice's archive has %d messages after 'never', want 14", p.Count)
		}
		if p := mamQuery(t, bob, rsmSet("<max>1</max><before/>")); p.Count != 13 || p.Items[0].Body != "off the record" {
			t.Errorf("bob's archive: count %d, last %+v; his preferences still archive", p.Count, p.Items)
		}
	})
}

// TestMAMDisabled: with [mam] enabled = false nothing is archived or advertised.
func TestMAMDisabled(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{"mam.enabled": "false"}})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	bob.Presence(t)
	bob.Ping(t)
	alice.Send(t, `<message to='%s' type='chat'><body>hi</body></message>`, srv.JID("bob"))
	m := bob.WaitFor(t, "alice's message", isMessageWithBody("hi"))
	if len(m.All(nsSID, "stanza-id")) != 0 {
		t.Errorf("stanza-id without an archive: %s", m)
	}
	resp := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='`+nsDiscoInf+`'/></iq>`, srv.JID("alice"))
	if strings.Contains(resp.String(), nsMAM) {
		t.Errorf("MAM advertised while off: %s", resp)
	}
	if resp := alice.IQ(t, `<iq type='set' id='%s'><query xmlns='`+nsMAM+`'/></iq>`); resp.ErrorCondition() != "service-unavailable" {
		t.Errorf("archive query while off: %s", resp)
	}
}

// TestSlixmppMAM: slixmpp's XEP-0313 plugin reads an archive the server filled from a
// conversation between mellium clients: forwards in pages of 4, backwards from the last
// page, filtered by contact, and the metadata.
func TestSlixmppMAM(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(t, u, u+"-pw-1")
	}
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)
	bob.Presence(t)
	alice.Ping(t)
	bob.Ping(t)
	var bodies []string
	for i := range 9 {
		body := fmt.Sprintf("m%d", i)
		switch i % 3 {
		case 0:
			alice.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, srv.JID("bob"), body)
			bob.WaitFor(t, body, isMessageWithBody(body))
		case 1:
			bob.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, srv.JID("alice"), body)
			alice.WaitFor(t, body, isMessageWithBody(body))
		case 2:
			alice.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, srv.JID("carol"), body)
			alice.Ping(t)
		}
		bodies = append(bodies, body)
	}
	want := mamQuery(t, alice, "")
	if len(want.Items) != 9 {
		t.Fatalf("alice's archive has %d messages, want 9", len(want.Items))
	}

	out := runSlixmppMAM(t, srv, "alice", "alice-pw-1", srv.JID("bob"))
	lines := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		kind, rest, _ := strings.Cut(l, " ")
		lines[kind] = append(lines[kind], rest)
	}
	if len(lines["DONE"]) != 1 {
		t.Fatalf("slixmpp did not finish:\n%s", out)
	}
	if f := strings.Join(lines["FEATURES"], " "); !strings.Contains(f, nsMAM+" ") || !strings.Contains(f, nsSID) {
		t.Errorf("features seen by slixmpp: %s", f)
	}
	var fwd, rev, with []string
	for i, it := range want.Items {
		fwd = append(fwd, it.ID+" "+it.From+" "+bodies[i])
		rev = append([]string{it.ID + " " + bodies[i]}, rev...)
		if i%3 != 2 {
			with = append(with, it.ID+" "+bodies[i])
		}
	}
	for _, c := range []struct {
		kind string
		want []string
	}{{"MSG", fwd}, {"REV", rev}, {"WITH", with}} {
		if !slices.Equal(lines[c.kind], c.want) {
			t.Errorf("%s lines:\n%s\nwant:\n%s", c.kind, strings.Join(lines[c.kind], "\n"), strings.Join(c.want, "\n"))
		}
	}
	if meta := strings.Join(lines["META"], ""); meta != want.Items[0].ID+" "+want.Items[8].ID {
		t.Errorf("META %q, want %s %s", meta, want.Items[0].ID, want.Items[8].ID)
	}
}

// runSlixmppMAM runs testdata/slixmpp_mam.py as user and fails the test if it fails.
func runSlixmppMAM(t *testing.T, srv *Server, user, password, with string) string {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_mam.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, srv.CAFile, srv.JID(user), password, host, port, with)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("slixmpp (%v):\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	if ctx.Err() != nil {
		t.Fatalf("slixmpp did not finish within %v", clientTimeout)
	}
	if err != nil {
		t.Fatalf("slixmpp: %v", err)
	}
	return stdout.String()
}

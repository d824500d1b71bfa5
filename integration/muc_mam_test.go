package integration

import (
	"slices"
	"strings"
	"testing"
)

// roomArchiveQuery sends a MAM query to room and returns the results that came before the
// IQ result (checked to come from the room) and the response itself.
func roomArchiveQuery(t *testing.T, c *Client, room, inner string) ([]archived, *Elem) {
	t.Helper()
	qid := randomID()
	resp := c.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='`+nsMAM+`' queryid='%s'>%s</query></iq>`, room, qid, inner)
	if resp.Get("type") != "result" {
		return nil, resp
	}
	var out []archived
	for _, m := range takeReceived(c, func(e *Elem) bool {
		r := e.Child(nsMAM, "result")
		return e.Is(nsClient, "message") && r != nil && r.Get("queryid") == qid
	}) {
		if m.Get("from") != room {
			t.Errorf("room archive result from %q, want %s", m.Get("from"), room)
		}
		r := m.Child(nsMAM, "result")
		fwd := r.Child(nsForward, "forwarded")
		orig := fwd.Child(nsClient, "message")
		if strings.Contains(orig.String(), "@"+c.JID.Domainpart()+"/") || orig.Child(nsMUCUser, "x") != nil {
			t.Errorf("archived room message shows a real JID: %s", orig)
		}
		out = append(out, archived{ID: r.Get("id"), From: orig.Get("from"), Body: orig.ChildText(nsClient, "body"),
			Stamp: fwd.Child(nsDelay, "delay").Get("stamp")})
	}
	if resp.Child(nsMAM, "fin") == nil {
		t.Fatalf("room archive query answered without <fin/>: %s", resp)
	}
	return out, resp
}

// TestMUCArchive: messages in a persistent room are archived; an occupant gets them from
// the room's archive in order, with the stanza-ids seen live, pages with <max/>, and a
// non-member of a members-only room is refused.
func TestMUCArchive(t *testing.T) {
	srv := startServer(t, serverOpts{})
	users := onlineUsers(t, srv, "alice", "bob", "carol")
	alice, bob, carol := users[0], users[1], users[2]
	room := mucRoom(srv, "records")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_membersonly'><value>1</value></field>`)
	if res := alice.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@%s'/></query></iq>`, room, srv.Domain); res.Get("type") != "result" {
		t.Fatalf("add member: %s", res)
	}
	info := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, room)
	if !strings.Contains(info.String(), "'"+nsMAM+"'") && !strings.Contains(info.String(), `"`+nsMAM+`"`) {
		t.Fatalf("room disco#info lacks %s: %s", nsMAM, info)
	}
	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	bob.WaitFor(t, "bob's join", isSelfPresence(room))

	bodies := []string{"one", "two", "three", "four", "five"}
	var live []string
	for i, b := range bodies {
		sender := alice
		if i%2 == 1 {
			sender = bob
		}
		sender.Send(t, `<message type='groupchat' to='%s'><body>%s</body></message>`, room, b)
		got := bob.WaitFor(t, "groupchat "+b, isMessageWithBody(b))
		sid := got.Child(nsSID, "stanza-id")
		if sid == nil || sid.Get("by") != room {
			t.Fatalf("groupchat without the room's stanza-id: %s", got)
		}
		live = append(live, sid.Get("id"))
	}

	items, resp := roomArchiveQuery(t, bob, room, "")
	if resp.Get("type") != "result" {
		t.Fatalf("occupant's query refused: %s", resp)
	}
	var ids, gotBodies []string
	for i, it := range items {
		ids = append(ids, it.ID)
		gotBodies = append(gotBodies, it.Body)
		wantFrom := room + "/Alice"
		if i%2 == 1 {
			wantFrom = room + "/Bob"
		}
		if it.From != wantFrom || it.Stamp == "" {
			t.Errorf("item %d from %q stamp %q", i, it.From, it.Stamp)
		}
	}
	if !slices.Equal(gotBodies, bodies) || !slices.Equal(ids, live) {
		t.Fatalf("archive bodies %v ids %v; want %v with the live stanza-ids %v", gotBodies, ids, bodies, live)
	}

	// Paging with max: 2 + 2 + 1.
	var paged []string
	after := ""
	for page := 0; ; page++ {
		set := `<max>2</max>`
		if after != "" {
			set += `<after>` + after + `</after>`
		}
		items, resp := roomArchiveQuery(t, alice, room, rsmSet(set))
		if resp.Get("type") != "result" || len(items) > 2 {
			t.Fatalf("page %d: %d items, %s", page, len(items), resp)
		}
		for _, it := range items {
			paged = append(paged, it.ID)
		}
		fin := resp.Child(nsMAM, "fin")
		if fin.Get("complete") == "true" {
			break
		}
		if page > 5 || len(items) == 0 {
			t.Fatalf("paging does not end: %s", resp)
		}
		after = fin.Child(nsRSM, "set").ChildText(nsRSM, "last")
	}
	if !slices.Equal(paged, live) {
		t.Fatalf("paged ids %v, want %v", paged, live)
	}

	// Carol is neither an occupant nor a member of the members-only room.
	if _, resp := roomArchiveQuery(t, carol, room, ""); resp.Get("type") != "error" || resp.ErrorCondition() != "forbidden" {
		t.Fatalf("non-member's query: %s", resp)
	}
	// Bob, a member, may still read it after leaving.
	bob.Send(t, `<presence type='unavailable' to='%s/Bob'/>`, room)
	bob.WaitFor(t, "bob's leave", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "unavailable" })
	if items, resp := roomArchiveQuery(t, bob, room, rsmSet(`<max>1</max><before/>`)); resp.Get("type") != "result" || len(items) != 1 || items[0].ID != live[len(live)-1] {
		t.Fatalf("member's query of the last page: %v %s", items, resp)
	}
}

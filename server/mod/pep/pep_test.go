package pep_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"xmppbox/server/mod/pep"
	"xmppbox/server/stanza"
)

const (
	avatarMeta = "urn:xmpp:avatar:metadata"
	devices    = "urn:xmpp:omemo:2:devices"
	bookmarks  = "urn:xmpp:bookmarks:1"
)

func TestPublishAutoCreatesWithDefaults(t *testing.T) {
	e := newEnv(t)
	a := e.login(alice, "a1")
	resp := a.request(publishXML(avatarMeta, "", "first"))
	if resp.Get("type") != "result" {
		t.Fatalf("publish: %s", resp)
	}
	id := resp.Child(pep.NS, "pubsub").Child(pep.NS, "publish").Child(pep.NS, "item").Get("id")
	if id == "" {
		t.Fatalf("publish without an item ID: result %s has no generated ID", resp)
	}
	cfg, err := e.store.Node(context.Background(), alice, avatarMeta)
	if err != nil {
		t.Fatalf("node not created: %v", err)
	}
	if want := pep.DefaultConfig(); cfg.AccessModel != want.AccessModel || cfg.MaxItems != 1 || !cfg.PersistItems ||
		cfg.SendLastPublishedItem != pep.SendOnSubAndPresence {
		t.Errorf("auto-created node config %+v, want the defaults %+v", cfg, want)
	}
	ids, texts := itemsOf(t, a.items(alice, avatarMeta, ""))
	if !slices.Equal(ids, []string{id}) || !slices.Equal(texts, []string{"first"}) {
		t.Errorf("items = %q %q, want [%s] [first]", ids, texts, id)
	}
	// max_items 1: a second publish replaces the first.
	a.request(publishXML(avatarMeta, "second-id", "second"))
	if ids, _ := itemsOf(t, a.items(alice, avatarMeta, "")); !slices.Equal(ids, []string{"second-id"}) {
		t.Errorf("after a second publish: %q, want [second-id]", ids)
	}
}

func TestPublishRequestErrors(t *testing.T) {
	e := newEnv(t)
	a := e.login(alice, "a1")
	b := e.login(bob, "b1")
	e.both(alice, bob)
	tests := []struct {
		name     string
		from     *client
		stanza   string
		cond     string
		app      string
		wantNode bool // whether the node exists afterwards
	}{
		{"no node", a, "<iq type='set' id='q'><pubsub xmlns='" + pep.NS + "'><publish><item><x xmlns='urn:test'/></item></publish></pubsub></iq>",
			stanza.BadRequest, "nodeid-required", false},
		{"no item", a, "<iq type='set' id='q'><pubsub xmlns='" + pep.NS + "'><publish node='n'/></pubsub></iq>",
			stanza.BadRequest, "item-required", false},
		{"no payload", a, "<iq type='set' id='q'><pubsub xmlns='" + pep.NS + "'><publish node='n'><item id='1'/></publish></pubsub></iq>",
			stanza.BadRequest, "payload-required", false},
		{"two payloads", a, "<iq type='set' id='q'><pubsub xmlns='" + pep.NS + "'><publish node='n'><item><x xmlns='urn:a'/><y xmlns='urn:b'/></item></publish></pubsub></iq>",
			stanza.BadRequest, "invalid-payload", false},
		{"someone else's service", b, "<iq type='set' id='q' to='" + alice + "'><pubsub xmlns='" + pep.NS + "'><publish node='n'><item><x xmlns='urn:test'/></item></publish></pubsub></iq>",
			stanza.Forbidden, "", false},
		{"explicit subscribe", b, "<iq type='set' id='q' to='" + alice + "'><pubsub xmlns='" + pep.NS + "'><subscribe node='n' jid='" + bob + "'/></pubsub></iq>",
			stanza.FeatureNotImplemented, "unsupported", false},
		{"owner namespace from a contact", b, "<iq type='get' id='q' to='" + alice + "'><pubsub xmlns='" + pep.NSOwner + "'><configure node='n'/></pubsub></iq>",
			stanza.Forbidden, "", false},
		{"unsupported access model", a, publishXML("n", "1", "x", "pubsub#access_model", "authorize"),
			stanza.NotAcceptable, "unsupported-access-model", false},
		{"wrong FORM_TYPE", a, "<iq type='set' id='q'><pubsub xmlns='" + pep.NS + "'><publish node='n'><item><x xmlns='urn:test'/></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x></publish-options></pubsub></iq>",
			stanza.BadRequest, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cond, app := errorOf(tt.from.request(tt.stanza))
			if cond != tt.cond || app != tt.app {
				t.Errorf("error %q/%q, want %q/%q", cond, app, tt.cond, tt.app)
			}
			if _, err := e.store.Node(context.Background(), alice, "n"); (err == nil) != tt.wantNode {
				t.Errorf("node exists: %v, want %v", err == nil, tt.wantNode)
			}
		})
	}
}

func TestPublishOptions(t *testing.T) {
	tests := []struct {
		name      string
		create    []string // publish-options of the first publish, which creates the node
		again     []string // publish-options of the second publish
		wantCond  string   // error of the second publish
		wantApp   string
		wantModel string // the node's access model at the end
		wantMax   int
	}{
		{"open on creation, same again", []string{"pubsub#access_model", "open"}, []string{"pubsub#access_model", "open"}, "", "", pep.AccessOpen, 1},
		{"mismatch", nil, []string{"pubsub#access_model", "open"}, stanza.Conflict, "precondition-not-met", pep.AccessPresence, 1},
		{"default matches", nil, []string{"pubsub#access_model", "presence", "pubsub#persist_items", "true", "pubsub#max_items", "1"}, "", "", pep.AccessPresence, 1},
		{"boolean spellings", []string{"pubsub#persist_items", "1"}, []string{"pubsub#persist_items", "true"}, "", "", pep.AccessPresence, 1},
		{"max", []string{"pubsub#max_items", "max", "pubsub#access_model", "whitelist"}, []string{"pubsub#max_items", "max"}, "", "", pep.AccessWhitelist, 20},
		{"above the limit is max", []string{"pubsub#max_items", "10000"}, []string{"pubsub#max_items", "max"}, "", "", pep.AccessPresence, 20},
		{"max against a small node", nil, []string{"pubsub#max_items", "max"}, stanza.Conflict, "precondition-not-met", pep.AccessPresence, 1},
		{"send_last mismatch", nil, []string{"pubsub#send_last_published_item", "never"}, stanza.Conflict, "precondition-not-met", pep.AccessPresence, 1},
		{"unknown field ignored", nil, []string{"pubsub#item_expire", "604800"}, "", "", pep.AccessPresence, 1},
		{"bad value", nil, []string{"pubsub#persist_items", "perhaps"}, stanza.Conflict, "precondition-not-met", pep.AccessPresence, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.login(alice, "a1")
			if resp := a.request(publishXML(devices, "1", "one", tt.create...)); resp.Get("type") != "result" {
				t.Fatalf("creating publish: %s", resp)
			}
			cond, app := errorOf(a.request(publishXML(devices, "2", "two", tt.again...)))
			if cond != tt.wantCond || app != tt.wantApp {
				t.Errorf("second publish error %q/%q, want %q/%q", cond, app, tt.wantCond, tt.wantApp)
			}
			cfg, _ := e.store.Node(context.Background(), alice, devices)
			if cfg.AccessModel != tt.wantModel || cfg.MaxItems != tt.wantMax {
				t.Errorf("node access %s max %d, want %s %d", cfg.AccessModel, cfg.MaxItems, tt.wantModel, tt.wantMax)
			}
			wantLast := "two"
			if tt.wantCond != "" {
				wantLast = "one" // a refused publish stores nothing
			}
			if _, texts := itemsOf(t, a.items(alice, devices, "max_items='1'")); !slices.Equal(texts, []string{wantLast}) {
				t.Errorf("last item %q, want [%s]", texts, wantLast)
			}
		})
	}
}

func TestAccessModels(t *testing.T) {
	e := newEnv(t)
	a := e.login(alice, "a1")
	e.both(alice, bob)
	e.subscribe(alice, dave, "from", "Family")
	e.subscribe(alice, carol, "to") // carol is in the roster but does not see alice's presence
	nodes := map[string][]string{
		pep.AccessOpen:      {"pubsub#access_model", "open"},
		pep.AccessPresence:  nil,
		pep.AccessRoster:    {"pubsub#access_model", "roster", "pubsub#roster_groups_allowed", "Family"},
		pep.AccessWhitelist: {"pubsub#access_model", "whitelist"},
	}
	for model, opts := range nodes {
		if resp := a.request(publishXML("node-"+model, "1", model, opts...)); resp.Get("type") != "result" {
			t.Fatalf("publish to %s node: %s", model, resp)
		}
	}
	readers := map[string]*client{alice: a, bob: e.login(bob, "b1"), carol: e.login(carol, "c1"), dave: e.login(dave, "d1")}
	tests := []struct {
		model, reader string
		cond, app     string
	}{
		{pep.AccessOpen, alice, "", ""},
		{pep.AccessOpen, carol, "", ""},
		{pep.AccessPresence, alice, "", ""},
		{pep.AccessPresence, bob, "", ""},
		{pep.AccessPresence, dave, "", ""},
		{pep.AccessPresence, carol, stanza.NotAuthorized, "presence-subscription-required"},
		{pep.AccessRoster, dave, "", ""},
		{pep.AccessRoster, bob, stanza.NotAuthorized, "not-in-roster-group"},
		{pep.AccessRoster, carol, stanza.NotAuthorized, "presence-subscription-required"},
		{pep.AccessWhitelist, alice, "", ""},
		{pep.AccessWhitelist, bob, stanza.NotAllowed, "closed-node"},
		{pep.AccessWhitelist, carol, stanza.NotAllowed, "closed-node"},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.reader, func(t *testing.T) {
			resp := readers[tt.reader].items(alice, "node-"+tt.model, "")
			cond, app := errorOf(resp)
			if cond != tt.cond || app != tt.app {
				t.Fatalf("error %q/%q, want %q/%q: %s", cond, app, tt.cond, tt.app, resp)
			}
			if tt.cond == "" {
				if _, texts := itemsOf(t, resp); !slices.Equal(texts, []string{tt.model}) {
					t.Errorf("items %q, want [%s]", texts, tt.model)
				}
			}
		})
	}
	t.Run("missing node", func(t *testing.T) {
		if cond, _ := errorOf(readers[bob].items(alice, "nothing-here", "")); cond != stanza.ItemNotFound {
			t.Errorf("error %q, want item-not-found", cond)
		}
	})
}

func TestItemsRetrieval(t *testing.T) {
	e := newEnv(t)
	a := e.login(alice, "a1")
	for i, id := range []string{"i1", "i2", "i3", "i4"} {
		opts := []string{"pubsub#max_items", "3"}
		if i > 0 {
			opts = nil
		}
		if resp := a.request(publishXML(bookmarks, id, "text-"+id, opts...)); resp.Get("type") != "result" {
			t.Fatalf("publish %s: %s", id, resp)
		}
	}
	tests := []struct {
		name, request string
		want          []string
	}{
		{"all, oldest first, trimmed to max_items", "<items node='" + bookmarks + "'/>", []string{"i2", "i3", "i4"}},
		{"newest two", "<items node='" + bookmarks + "' max_items='2'/>", []string{"i3", "i4"}},
		{"by ID", "<items node='" + bookmarks + "'><item id='i3'/><item id='gone'/><item id='i2'/></items>", []string{"i3", "i2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, _ := itemsOf(t, a.iq("<iq type='get' id='q'><pubsub xmlns='%s'>%s</pubsub></iq>", pep.NS, tt.request))
			if !slices.Equal(ids, tt.want) {
				t.Errorf("items %q, want %q", ids, tt.want)
			}
		})
	}
	if cond, _ := errorOf(a.iq("<iq type='get' id='q'><pubsub xmlns='%s'><items node='%s' max_items='zero'/></pubsub></iq>", pep.NS, bookmarks)); cond != stanza.BadRequest {
		t.Errorf("max_items='zero': error %q, want bad-request", cond)
	}
}

func TestNotificationsFollowCapsAndAccess(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	e.subscribe(alice, carol, "to")
	e.subscribe(carol, alice, "from") // carol sends alice presence but may not see alice's
	notify := []string{"http://jabber.org/protocol/caps", avatarMeta, avatarMeta + "+notify"}
	a1 := e.online(alice, "a1", notify...)
	a2 := e.online(alice, "a2", "http://jabber.org/protocol/caps") // no +notify
	b1 := e.online(bob, "b1", notify...)
	b2 := e.online(bob, "b2", notify...) // same ver as b1: answered from the cache
	bNeg := e.login(bob, "neg")
	bNeg.presence(-1, notify...)
	c1 := e.online(carol, "c1", notify...)
	if b2.answerDisco(notify) {
		t.Errorf("a second resource with a known ver was asked for its features again")
	}

	if resp := a1.request(publishXML(avatarMeta, "h1", "avatar")); resp.Get("type") != "result" {
		t.Fatalf("publish: %s", resp)
	}
	msg := b1.take(func(el *stanza.Element) bool { return el.Child(pep.NSEvent, "event") != nil })
	if msg == nil || msg.Get("from") != alice || msg.Get("type") != "headline" || msg.Get("to") != b1.full {
		t.Fatalf("notification %v: want a headline from %s to %s", msg, alice, b1.full)
	}
	if p := msg.Child(pep.NSEvent, "event").Child(pep.NSEvent, "items").Child(pep.NSEvent, "item").Child("urn:test", "entry"); p == nil || p.Text() != "avatar" {
		t.Errorf("notification %s: want the payload", msg)
	}
	for _, c := range []struct {
		who  *client
		want []string
	}{
		{a1, []string{"h1"}}, // the owner's resource with +notify
		{a2, nil},            // no +notify
		{b2, []string{"h1"}}, // a subscribed contact
		{bNeg, nil},          // negative priority
		{c1, nil},            // not subscribed to alice's presence
	} {
		if got := c.who.events(avatarMeta); !slices.Equal(got, c.want) {
			t.Errorf("%s got events %q, want %q", c.who.full, got, c.want)
		}
	}

	// Retraction is notified; a whitelist node reaches only the owner.
	a1.iq("<iq type='set' id='q'><pubsub xmlns='%s'><retract node='%s' notify='true'><item id='h1'/></retract></pubsub></iq>", pep.NS, avatarMeta)
	if got := b1.events(avatarMeta); !slices.Equal(got, []string{"-h1"}) {
		t.Errorf("bob got %q after the retraction, want [-h1]", got)
	}
	a1.request(publishXML(avatarMeta, "h2", "private", "pubsub#access_model", "whitelist"))
	if cond, app := errorOf(a1.request(publishXML(avatarMeta, "h2", "private", "pubsub#access_model", "whitelist"))); cond != stanza.Conflict || app != "precondition-not-met" {
		t.Fatalf("publish-options on the existing presence node: %q/%q, want conflict", cond, app)
	}
	a1.iq("<iq type='set' id='q'><pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' type='submit'><field var='pubsub#access_model'><value>whitelist</value></field></x></configure></pubsub></iq>", pep.NSOwner, avatarMeta)
	a1.events(avatarMeta)
	b1.events(avatarMeta)
	a1.request(publishXML(avatarMeta, "h3", "private", "pubsub#access_model", "whitelist"))
	if got := a1.events(avatarMeta); !slices.Equal(got, []string{"h3"}) {
		t.Errorf("owner got %q from the whitelist node, want [h3]", got)
	}
	if got := b1.events(avatarMeta); len(got) != 0 {
		t.Errorf("bob got %q from a whitelist node", got)
	}
}

func TestLastItemOnAvailability(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	notify := []string{avatarMeta + "+notify", bookmarks + "+notify", devices + "+notify"}
	a := e.login(alice, "a1")
	pep.SetNow(e.pep, func() time.Time { return testNow })
	a.request(publishXML(avatarMeta, "h1", "avatar"))
	a.request(publishXML(bookmarks, "room@muc", "bm", "pubsub#send_last_published_item", "never", "pubsub#access_model", "whitelist"))
	a.request(publishXML(devices, "current", "list", "pubsub#access_model", "open"))

	// alice's own new resource gets what it wants except the never node.
	a2 := e.online(alice, "a2", notify...)
	if got := a2.events(avatarMeta); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("alice's new resource got %q, want [h1]", got)
	}
	if got := a2.events(bookmarks); len(got) != 0 {
		t.Errorf("alice's new resource got %q from a send_last never node", got)
	}
	// bob comes online after the publish: the probe answer is not his, his presence
	// reaching alice is.
	b := e.online(bob, "b1", notify...)
	msg := b.take(func(el *stanza.Element) bool {
		ev := el.Child(pep.NSEvent, "event")
		return ev != nil && eventNode(ev) == avatarMeta
	})
	if msg == nil {
		t.Fatalf("bob got no last item of %s", avatarMeta)
	}
	if d := msg.Child(nsDelay, "delay"); d == nil || d.Get("stamp") != "2026-05-01T10:00:00.000Z" {
		t.Errorf("last item %s: want <delay stamp='2026-05-01T10:00:00.000Z'/>", msg)
	}
	if got := b.events(devices); !slices.Equal(got, []string{"current"}) {
		t.Errorf("bob got %q of the open devices node, want [current]", got)
	}
	if got := b.events(bookmarks); len(got) != 0 {
		t.Errorf("bob got %q from alice's whitelist bookmarks", got)
	}
	// A new session on the same full JID (the old one replaced without unavailable
	// presence, as after a lost connection) is a new resource: it gets the last items.
	b = e.online(bob, "b1", notify...)
	if got := b.events(avatarMeta); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("bob's replacing session got %q, want the last item [h1]", got)
	}
	// A repeated presence with the same caps sends nothing again.
	b.presence(0, notify...)
	if got := b.events(avatarMeta); len(got) != 0 {
		t.Errorf("a repeated presence sent %q again", got)
	}
	// New caps with a new +notify bring that node's last item only.
	a.request(publishXML("http://jabber.org/protocol/tune", "t1", "song"))
	b.presence(0, append(notify, "http://jabber.org/protocol/tune+notify")...)
	if got := b.events("http://jabber.org/protocol/tune"); !slices.Equal(got, []string{"t1"}) {
		t.Errorf("after adding tune+notify bob got %q, want [t1]", got)
	}
	if got := b.events(avatarMeta); len(got) != 0 {
		t.Errorf("after adding tune+notify bob got the avatar %q again", got)
	}
}

func TestCapsQueriedOnceAndVerified(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	a := e.login(alice, "a1")
	a.request(publishXML(avatarMeta, "h1", "avatar"))
	notify := []string{avatarMeta + "+notify"}

	// b1 answers with features that do not match its ver: they count for b1 only.
	b1 := e.login(bob, "b1")
	b1.send("<presence><c xmlns='%s' hash='sha-1' node='n' ver='%s'/></presence>", pep.NSCaps, verOf(notify))
	b1.answerDisco([]string{avatarMeta + "+notify", "urn:extra"})
	if got := b1.events(avatarMeta); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("b1 got %q with its own (unverified) features, want [h1]", got)
	}
	// b2 with the same ver is asked again, since nothing was cached.
	b2 := e.login(bob, "b2")
	b2.send("<presence><c xmlns='%s' hash='sha-1' node='n' ver='%s'/></presence>", pep.NSCaps, verOf(notify))
	if !b2.answerDisco(notify) {
		t.Fatalf("a ver whose answer failed verification was not asked again")
	}
	if got := b2.events(avatarMeta); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("b2 got %q, want [h1]", got)
	}
	// b3 with the same ver is served from the cache.
	b3 := e.login(bob, "b3")
	b3.send("<presence><c xmlns='%s' hash='sha-1' node='n' ver='%s'/></presence>", pep.NSCaps, verOf(notify))
	if b3.answerDisco(notify) {
		t.Errorf("a verified ver was asked again")
	}
	if got := b3.events(avatarMeta); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("b3 got %q, want [h1]", got)
	}
	// A resource that refuses the query gets nothing and is not asked again for the same caps.
	b4 := e.login(bob, "b4")
	b4.send("<presence><c xmlns='%s' hash='sha-1' node='n' ver='unknown='/></presence>", pep.NSCaps)
	q := b4.take(func(el *stanza.Element) bool { return el.Child(nsDiscoInfo, "query") != nil })
	if q == nil {
		t.Fatal("no disco#info query for an unknown ver")
	}
	b4.send("<iq type='error' id='%s' to='%s'><error type='cancel'><service-unavailable xmlns='%s'/></error></iq>", q.Get("id"), q.Get("from"), stanza.NSStanzas)
	b4.send("<presence><c xmlns='%s' hash='sha-1' node='n' ver='unknown='/></presence>", pep.NSCaps)
	if b4.answerDisco(notify) {
		t.Errorf("the same caps were asked again after an error")
	}
	if got := b4.events(avatarMeta); len(got) != 0 {
		t.Errorf("b4 got %q without known features", got)
	}
	// After unavailable, the resource's caps are forgotten: it leaves the audience.
	b3.send("<presence type='unavailable'/>")
	a.request(publishXML(avatarMeta, "h2", "avatar 2"))
	if got := b3.events(avatarMeta); len(got) != 0 {
		t.Errorf("an unavailable resource got %q", got)
	}
	if got := b2.events(avatarMeta); !slices.Equal(got, []string{"h2"}) {
		t.Errorf("b2 got %q, want [h2]", got)
	}
}

func TestOwnerUseCases(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	a := e.online(alice, "a1", devices+"+notify")
	b := e.online(bob, "b1", devices+"+notify")
	create := "<iq type='set' id='q'><pubsub xmlns='%s'><create node='%s'/><configure><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s</value></field><field var='pubsub#access_model'><value>open</value></field><field var='pubsub#max_items'><value>5</value></field></x></configure></pubsub></iq>"
	if resp := a.iq(create, pep.NS, devices, pep.NSNodeConfig); resp.Get("type") != "result" {
		t.Fatalf("create and configure: %s", resp)
	}
	if cond, _ := errorOf(a.iq(create, pep.NS, devices, pep.NSNodeConfig)); cond != stanza.Conflict {
		t.Errorf("creating an existing node: %q, want conflict", cond)
	}
	form := a.iq("<iq type='get' id='q'><pubsub xmlns='%s'><configure node='%s'/></pubsub></iq>", pep.NSOwner, devices)
	values := formValues(form.Child(pep.NSOwner, "pubsub").Child(pep.NSOwner, "configure").Child(pep.NSData, "x"))
	if values["pubsub#access_model"] != "open" || values["pubsub#max_items"] != "5" || values["FORM_TYPE"] != pep.NSNodeConfig {
		t.Errorf("configuration form values %v, want open, 5 and the node_config FORM_TYPE", values)
	}
	for i := range 4 {
		a.request(publishXML(devices, string(rune('a'+i)), "x"))
	}
	// Lowering max_items trims the oldest items.
	if resp := a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' type='submit'><field var='pubsub#max_items'><value>2</value></field></x></configure></pubsub></iq>", pep.NSOwner, devices); resp.Get("type") != "result" {
		t.Fatalf("configure: %s", resp)
	}
	if ids, _ := itemsOf(t, b.items(alice, devices, "")); !slices.Equal(ids, []string{"c", "d"}) {
		t.Errorf("after max_items 2: %q, want [c d]", ids)
	}
	if cfg, _ := e.store.Node(context.Background(), alice, devices); cfg.AccessModel != pep.AccessOpen {
		t.Errorf("a partial form changed the access model to %s", cfg.AccessModel)
	}
	b.events(devices)
	if resp := a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><purge node='%s'/></pubsub></iq>", pep.NSOwner, devices); resp.Get("type") != "result" {
		t.Fatalf("purge: %s", resp)
	}
	if ids, _ := itemsOf(t, b.items(alice, devices, "")); len(ids) != 0 {
		t.Errorf("after purge: %q", ids)
	}
	if resp := a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><delete node='%s'/></pubsub></iq>", pep.NSOwner, devices); resp.Get("type") != "result" {
		t.Fatalf("delete: %s", resp)
	}
	if got := b.events(devices); !slices.Equal(got, []string{"purge", "delete"}) {
		t.Errorf("bob got %q, want [purge delete]", got)
	}
	if cond, _ := errorOf(b.items(alice, devices, "")); cond != stanza.ItemNotFound {
		t.Errorf("items of a deleted node: %q, want item-not-found", cond)
	}
	if cond, _ := errorOf(a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><delete node='%s'/></pubsub></iq>", pep.NSOwner, devices)); cond != stanza.ItemNotFound {
		t.Errorf("deleting a missing node: %q, want item-not-found", cond)
	}
	def := a.iq("<iq type='get' id='q'><pubsub xmlns='%s'><default/></pubsub></iq>", pep.NSOwner)
	if v := formValues(def.Child(pep.NSOwner, "pubsub").Child(pep.NSOwner, "default").Child(pep.NSData, "x")); v["pubsub#access_model"] != pep.AccessPresence {
		t.Errorf("default configuration %v, want access model presence", v)
	}
	if cond, app := errorOf(a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><create/></pubsub></iq>", pep.NS)); cond != stanza.NotAcceptable || app != "nodeid-required" {
		t.Errorf("instant node: %q/%q, want not-acceptable/nodeid-required", cond, app)
	}
}

func TestRetract(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	a := e.login(alice, "a1")
	b := e.online(bob, "b1", bookmarks+"+notify")
	a.request(publishXML(bookmarks, "r1@muc", "one", "pubsub#max_items", "max", "pubsub#notify_retract", "false"))
	a.request(publishXML(bookmarks, "r2@muc", "two"))
	b.events(bookmarks)
	retract := "<iq type='set' id='q'><pubsub xmlns='%s'><retract node='%s'%s><item id='%s'/></retract></pubsub></iq>"
	a.iq(retract, pep.NS, bookmarks, "", "r1@muc")
	if got := b.events(bookmarks); len(got) != 0 {
		t.Errorf("a retraction without notify on a notify_retract=false node was notified: %q", got)
	}
	a.iq(retract, pep.NS, bookmarks, " notify='1'", "r2@muc")
	if got := b.events(bookmarks); !slices.Equal(got, []string{"-r2@muc"}) {
		t.Errorf("retract with notify: %q, want [-r2@muc]", got)
	}
	if cond, _ := errorOf(a.iq(retract, pep.NS, bookmarks, "", "r2@muc")); cond != stanza.ItemNotFound {
		t.Errorf("retracting a missing item: %q, want item-not-found", cond)
	}
	if cond, app := errorOf(a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><retract node='%s'><item/></retract></pubsub></iq>", pep.NS, bookmarks)); cond != stanza.BadRequest || app != "item-required" {
		t.Errorf("retract without an ID: %q/%q, want bad-request/item-required", cond, app)
	}
	if cond, _ := errorOf(b.iq("<iq type='set' id='q' to='%s'><pubsub xmlns='%s'><retract node='%s'><item id='x'/></retract></pubsub></iq>", alice, pep.NS, bookmarks)); cond != stanza.Forbidden {
		t.Errorf("a contact retracting: %q, want forbidden", cond)
	}
}

func TestPersistItemsFalse(t *testing.T) {
	e := newEnv(t)
	e.both(alice, bob)
	a := e.login(alice, "a1")
	b := e.online(bob, "b1", "urn:xmpp:mood+notify")
	a.request(publishXML("urn:xmpp:mood", "m1", "happy", "pubsub#persist_items", "false"))
	if got := b.events("urn:xmpp:mood"); !slices.Equal(got, []string{"m1"}) {
		t.Errorf("bob got %q, want the notification [m1]", got)
	}
	if ids, _ := itemsOf(t, b.items(alice, "urn:xmpp:mood", "")); len(ids) != 0 {
		t.Errorf("a persist_items=false node kept %q", ids)
	}
}

func formValues(x *stanza.Element) map[string]string {
	out := map[string]string{}
	if x == nil {
		return out
	}
	for _, f := range x.ChildElements() {
		if v := f.Child(pep.NSData, "value"); v != nil {
			out[f.Get("var")] = v.Text()
		}
	}
	return out
}

func TestBookmarksCompat(t *testing.T) {
	e := newEnv(t)
	a := e.online(alice, "a1", pep.NSBookmarks+"+notify")
	if !slices.Contains(e.r.AccountFeatures(), pep.FeatureBookmarksCompat) {
		t.Errorf("account features lack %s", pep.FeatureBookmarksCompat)
	}
	privateGet := func() *stanza.Element {
		t.Helper()
		res := a.iq("<iq type='get' id='q'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
		st := res.Child("jabber:iq:private", "query").Child("storage:bookmarks", "storage")
		if res.Get("type") != "result" || st == nil {
			t.Fatalf("private get: %s", res)
		}
		return st
	}
	conferences := func(st *stanza.Element) map[string]string {
		out := map[string]string{}
		for _, c := range st.ChildElements() {
			if c.Name.Local == "conference" {
				nick := ""
				if n := c.Child("storage:bookmarks", "nick"); n != nil {
					nick = n.Text()
				}
				out[c.Get("jid")] = c.Get("name") + "/" + c.Get("autojoin") + "/" + nick
			}
		}
		return out
	}
	// XEP-0402 → XEP-0048.
	a.request(`<iq type='set' id='q'><pubsub xmlns='` + pep.NS + `'><publish node='` + pep.NSBookmarks + `'><item id='tea@muc.example.test'><conference xmlns='urn:xmpp:bookmarks:1' name='Tea' autojoin='true'><nick>Al</nick><extensions><x xmlns='urn:ext'/></extensions></conference></item></publish>` +
		`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='pubsub#access_model'><value>whitelist</value></field><field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub></iq>`)
	a.events(pep.NSBookmarks)
	if got := conferences(privateGet()); len(got) != 1 || got["tea@muc.example.test"] != "Tea/true/Al" {
		t.Errorf("private bookmarks after a XEP-0402 publish: %v", got)
	}

	// XEP-0048 → XEP-0402: one kept unchanged, one new, a URL that stays private.
	a.iq("<iq type='set' id='q'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
		"<conference jid='tea@muc.example.test' name='Tea' autojoin='1'><nick>Al</nick></conference>" +
		"<conference jid='cake@muc.example.test' name='Cake'/>" +
		"<url name='Home' url='https://example.test/'/></storage></query></iq>")
	if got := a.events(pep.NSBookmarks); !slices.Equal(got, []string{"cake@muc.example.test"}) {
		t.Errorf("notifications after the private set: %q, want only the new bookmark", got)
	}
	ids, _ := itemsOf(t, a.items(alice, pep.NSBookmarks, ""))
	if !slices.Equal(ids, []string{"tea@muc.example.test", "cake@muc.example.test"}) {
		t.Errorf("XEP-0402 items %q, want tea and cake", ids)
	}
	tea := a.items(alice, pep.NSBookmarks, "").Child(pep.NS, "pubsub").Child(pep.NS, "items").Child(pep.NS, "item").Child(pep.NSBookmarks, "conference")
	if tea.Child(pep.NSBookmarks, "extensions") == nil {
		t.Errorf("the unchanged bookmark lost its extensions: %s", tea)
	}
	cfg, _ := e.store.Node(context.Background(), alice, pep.NSBookmarks)
	if cfg.AccessModel != pep.AccessWhitelist {
		t.Errorf("bookmarks node access model %s, want whitelist", cfg.AccessModel)
	}

	// A retraction through XEP-0402 keeps the URL in private storage.
	a.iq("<iq type='set' id='q'><pubsub xmlns='%s'><retract node='%s' notify='true'><item id='tea@muc.example.test'/></retract></pubsub></iq>", pep.NS, pep.NSBookmarks)
	st := privateGet()
	if got := conferences(st); len(got) != 1 || got["cake@muc.example.test"] != "Cake//" {
		t.Errorf("private bookmarks after the retraction: %v, want only cake", got)
	}
	if st.Child("storage:bookmarks", "url") == nil {
		t.Errorf("the private URL entry was lost: %s", st)
	}
	a.events(pep.NSBookmarks)

	// Removing a bookmark in private storage retracts it.
	a.iq("<iq type='set' id='q'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><url name='Home' url='https://example.test/'/></storage></query></iq>")
	if got := a.events(pep.NSBookmarks); !slices.Equal(got, []string{"-cake@muc.example.test"}) {
		t.Errorf("notifications after removing a private bookmark: %q, want [-cake@muc.example.test]", got)
	}
	if ids, _ := itemsOf(t, a.items(alice, pep.NSBookmarks, "")); len(ids) != 0 {
		t.Errorf("XEP-0402 items %q after the private removal, want none", ids)
	}

	// Bookmarks stored first in private storage create the node as XEP-0402 §4 asks.
	d := e.login(dave, "d1")
	d.iq("<iq type='set' id='q'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='x@muc.example.test'/></storage></query></iq>")
	cfg, err := e.store.Node(context.Background(), dave, pep.NSBookmarks)
	if err != nil || cfg.AccessModel != pep.AccessWhitelist || cfg.MaxItems != 20 || cfg.SendLastPublishedItem != "never" {
		t.Errorf("node created from private bookmarks: %+v, %v; want whitelist, max, never", cfg, err)
	}
}

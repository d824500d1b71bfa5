package integration

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	nsPubsub        = "http://jabber.org/protocol/pubsub"
	nsPubsubOwner   = nsPubsub + "#owner"
	nsPubsubEvent   = nsPubsub + "#event"
	nsPubsubErrors  = nsPubsub + "#errors"
	nsCaps          = "http://jabber.org/protocol/caps"
	nsAvatarMeta    = "urn:xmpp:avatar:metadata"
	nsBookmarks     = "urn:xmpp:bookmarks:1"
	nodeAxolotlList = "eu.siacs.conversations.axolotl.devicelist"
	nodeOMEMO2List  = "urn:xmpp:omemo:2:devices"
)

// TestPEPOMEMOAccess: OMEMO-shaped device lists and bundles (both the
// eu.siacs.conversations.axolotl and the urn:xmpp:omemo:2 flavour) published with
// publish-options access_model=open can be read by a stranger; a node with the default
// presence access model cannot (not-authorized + presence-subscription-required) but a
// subscribed contact reads it; a mismatching publish-options is refused with conflict +
// precondition-not-met; the account advertises pubsub/pep and publish-options.
func TestPEPOMEMOAccess(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(t, u, u+"-pw-1")
	}
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "laptop"})
	carol := dial(t, srv, "carol", "carol-pw-1", dialOpts{Resource: "desk"})
	for _, c := range []*Client{alice, bob, carol} {
		rosterItems(t, c)
		c.Presence(t)
	}
	subscribe(t, bob, alice) // bob receives alice's presence: he may read her presence nodes
	aliceJID := srv.JID("alice")

	t.Run("account advertises PEP", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, aliceJID)
		var pep bool
		for _, id := range res.Child(nsDiscoInf, "query").All(nsDiscoInf, "identity") {
			pep = pep || (id.Get("category") == "pubsub" && id.Get("type") == "pep")
		}
		if !pep {
			t.Errorf("account disco#info has no pubsub/pep identity: %s", res)
		}
		for _, f := range []string{nsPubsub + "#publish", nsPubsub + "#publish-options", nsPubsub + "#auto-create", nsPubsub + "#access-whitelist"} {
			if !pepHasFeature(res, f) {
				t.Errorf("account disco#info lacks %s", f)
			}
		}
	})

	t.Run("vCard4 over PEP (XEP-0292)", func(t *testing.T) {
		card := `<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>Alice Liddell</text></fn><nickname><text>alice</text></nickname></vcard>`
		res := alice.IQ(t, publishIQ("urn:xmpp:vcard4", "current", card, "pubsub#access_model", "presence"))
		if res.Get("type") != "result" {
			t.Fatalf("publish vCard4: %s", res)
		}
		items := pepItems(t, bob, aliceJID, "urn:xmpp:vcard4", "")
		if len(items) != 1 || items[0].Child("urn:ietf:params:xml:ns:vcard-4.0", "vcard") == nil {
			t.Fatalf("bob, a subscriber, reads alice's vCard4 items %v, want the card", items)
		}
		denied := carol.IQ(t, itemsIQ(aliceJID, "urn:xmpp:vcard4", ""))
		if denied.Get("type") != "error" {
			t.Errorf("carol, a stranger, read a presence-model vCard4: %s", denied)
		}
	})

	omemo := []struct{ node, id, payload string }{
		{nodeAxolotlList, "current", `<list xmlns='eu.siacs.conversations.axolotl'><device id='31415'/></list>`},
		{"eu.siacs.conversations.axolotl.bundles:31415", "current", `<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>BQ==</signedPreKeyPublic><identityKey>BQ==</identityKey><prekeys><preKeyPublic preKeyId='1'>BQ==</preKeyPublic></prekeys></bundle>`},
		{nodeOMEMO2List, "current", `<devices xmlns='urn:xmpp:omemo:2'><device id='27182' label='phone'/></devices>`},
		{"urn:xmpp:omemo:2:bundles", "27182", `<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>BQ==</spk><spks>BQ==</spks><ik>BQ==</ik><prekeys><pk id='1'>BQ==</pk></prekeys></bundle>`},
	}
	for _, o := range omemo {
		options := []string{"pubsub#access_model", "open"}
		if o.node == "urn:xmpp:omemo:2:bundles" {
			options = append(options, "pubsub#max_items", "max")
		}
		res := alice.IQ(t, publishIQ(o.node, o.id, o.payload, options...))
		if res.Get("type") != "result" {
			t.Fatalf("publish to %s: %s", o.node, res)
		}
	}
	res := alice.IQ(t, publishIQ(nsAvatarMeta, "hash1", avatarMetadata("hash1")))
	if res.Get("type") != "result" {
		t.Fatalf("publish avatar metadata: %s", res)
	}

	t.Run("stranger reads open OMEMO nodes", func(t *testing.T) {
		for _, o := range omemo {
			items := pepItems(t, carol, aliceJID, o.node, "")
			if len(items) != 1 || items[0].Get("id") != o.id || len(items[0].Children) != 1 {
				t.Errorf("carol's items of %s: %v, want the one item %s with its payload", o.node, items, o.id)
			}
		}
	})
	t.Run("stranger refused a presence node", func(t *testing.T) {
		res := carol.IQ(t, itemsIQ(aliceJID, nsAvatarMeta, ""))
		if cond, app := pubsubErrorOf(res); cond != "not-authorized" || app != "presence-subscription-required" {
			t.Errorf("carol reading alice's avatar: %s/%s, want not-authorized/presence-subscription-required: %s", cond, app, res)
		}
	})
	t.Run("contact reads a presence node", func(t *testing.T) {
		items := pepItems(t, bob, aliceJID, nsAvatarMeta, "")
		if len(items) != 1 || items[0].Get("id") != "hash1" {
			t.Errorf("bob's items of alice's avatar metadata: %v, want hash1", items)
		}
	})
	t.Run("publish-options precondition not met", func(t *testing.T) {
		res := alice.IQ(t, publishIQ(nsAvatarMeta, "hash2", avatarMetadata("hash2"), "pubsub#access_model", "open"))
		if cond, app := pubsubErrorOf(res); cond != "conflict" || app != "precondition-not-met" {
			t.Errorf("publish with access_model=open to a presence node: %s/%s, want conflict/precondition-not-met: %s", cond, app, res)
		}
		if items := pepItems(t, alice, aliceJID, nsAvatarMeta, ""); len(items) != 1 || items[0].Get("id") != "hash1" {
			t.Errorf("after the refused publish: %v, want hash1 still", items)
		}
	})
	t.Run("reconfigure then publish, as Conversations does", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='set' id='%s'><pubsub xmlns='`+nsPubsubOwner+`'><configure node='`+nsAvatarMeta+`'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#access_model'><value>open</value></field></x></configure></pubsub></iq>`)
		if res.Get("type") != "result" {
			t.Fatalf("configure: %s", res)
		}
		if res := alice.IQ(t, publishIQ(nsAvatarMeta, "hash2", avatarMetadata("hash2"), "pubsub#access_model", "open")); res.Get("type") != "result" {
			t.Fatalf("publish after reconfiguring: %s", res)
		}
		if items := pepItems(t, carol, aliceJID, nsAvatarMeta, ""); len(items) != 1 || items[0].Get("id") != "hash2" {
			t.Errorf("carol's items after the node became open: %v, want hash2", items)
		}
	})
}

// TestPEPAvatarNotify: bob's clients advertise urn:xmpp:avatar:metadata+notify in their
// XEP-0115 caps and answer the server's disco#info query; an avatar alice publishes
// reaches bob's resource, bob's resource without +notify gets nothing, and a resource of
// bob's that comes online after the publish gets the last item. Items survive a restart
// and are delivered again as last items afterwards.
func TestPEPAvatarNotify(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	alice := mutualContacts(t, srv, "phone")

	notify := []string{nsDiscoInf, nsCaps, nsAvatarMeta + "+notify"}
	b1 := dialCaps(t, srv, "bob", "bob-pw-1", "tablet", notify)
	b2 := dialCaps(t, srv, "bob", "bob-pw-1", "watch", []string{nsDiscoInf, nsCaps})
	// The server asks each what its caps mean and checks the answer against the ver. If
	// alice's publish overtakes b1's answer, b1 gets the item as the last published one
	// once its features are known, so the test does not depend on that order.
	b1.WaitFor(t, "the server's disco#info query", isDiscoQuery)
	b2.WaitFor(t, "the server's disco#info query", isDiscoQuery)
	b1.Ping(t)
	b2.Ping(t)

	res := alice.IQ(t, publishIQ(nsAvatarMeta, "avatar-1", avatarMetadata("avatar-1")))
	if res.Get("type") != "result" {
		t.Fatalf("publish: %s", res)
	}
	ev := b1.WaitFor(t, "avatar notification", isPEPEvent(nsAvatarMeta, "avatar-1"))
	if ev.Get("from") != srv.JID("alice") || ev.Get("type") != "headline" || ev.Get("to") != b1.JID.String() {
		t.Errorf("notification %s: want a headline from alice's bare JID to %s", ev, b1.JID)
	}
	info := ev.Child(nsPubsubEvent, "event").Child(nsPubsubEvent, "items").Child(nsPubsubEvent, "item").Child(nsAvatarMeta, "metadata")
	if info == nil || info.Child(nsAvatarMeta, "info").Get("id") != "avatar-1" {
		t.Errorf("notification %s: want the metadata payload", ev)
	}
	// b2 has no +notify: a ping after the publish shows nothing came before it.
	b2.Ping(t)
	if n := b2.countPEP(isPEPEvent(nsAvatarMeta, "")); n != 0 {
		t.Errorf("bob's resource without +notify got %d notifications", n)
	}

	t.Run("last item when coming online", func(t *testing.T) {
		b3 := dialCaps(t, srv, "bob", "bob-pw-1", "desktop", notify)
		ev := b3.WaitFor(t, "the last published avatar", isPEPEvent(nsAvatarMeta, "avatar-1"))
		if ev.Child(nsDelay, "delay") == nil {
			t.Errorf("last item %s has no <delay/>", ev)
		}
		if b3.countPEP(isDiscoQuery) != 0 {
			t.Errorf("a resource with a cached ver was asked for its features again")
		}
	})

	t.Run("survives a restart", func(t *testing.T) {
		srv.Restart(t)
		alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
		alice.Presence(t)
		if items := pepItems(t, alice, srv.JID("alice"), nsAvatarMeta, ""); len(items) != 1 || items[0].Get("id") != "avatar-1" {
			t.Errorf("after the restart: %v, want avatar-1", items)
		}
		b4 := dialCaps(t, srv, "bob", "bob-pw-1", "tablet", notify)
		b4.WaitFor(t, "the last avatar after the restart", isPEPEvent(nsAvatarMeta, "avatar-1"))
	})
}

// TestPEPBookmarks: XEP-0402 bookmarks published with the publish-options XEP-0402 asks
// for (whitelist, max_items max, send_last_published_item never), retrieved by the owner,
// refused to a contact, notified to the owner's other resource, retracted with a
// notification, kept in step with XEP-0048 bookmarks in private storage (#compat), and
// kept across a restart.
func TestPEPBookmarks(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	phone := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
	for _, c := range []*Client{phone, bob} {
		rosterItems(t, c)
		c.Presence(t)
	}
	subscribe(t, bob, phone)
	laptop := dialCaps(t, srv, "alice", "alice-pw-1", "laptop", []string{nsDiscoInf, nsCaps, nsBookmarks + "+notify"})
	laptop.WaitFor(t, "the server's disco#info query", isDiscoQuery)
	laptop.Ping(t)

	options := []string{"pubsub#persist_items", "true", "pubsub#max_items", "max",
		"pubsub#send_last_published_item", "never", "pubsub#access_model", "whitelist"}
	for _, room := range []string{"orchard@chat.example.test", "balcony@chat.example.test"} {
		res := phone.IQ(t, publishIQ(nsBookmarks, room,
			`<conference xmlns='urn:xmpp:bookmarks:1' name='`+room+`' autojoin='true'><nick>Al</nick></conference>`, options...))
		if res.Get("type") != "result" {
			t.Fatalf("publish bookmark %s: %s", room, res)
		}
		laptop.WaitFor(t, "bookmark notification on the other resource", isPEPEvent(nsBookmarks, room))
	}
	ids := func(items []*Elem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Get("id"))
		}
		return out
	}
	want := []string{"orchard@chat.example.test", "balcony@chat.example.test"}
	if got := ids(pepItems(t, phone, "", nsBookmarks, "")); !slices.Equal(got, want) {
		t.Errorf("owner's bookmarks %q, want %q", got, want)
	}
	res := bob.IQ(t, itemsIQ(srv.JID("alice"), nsBookmarks, ""))
	if cond, app := pubsubErrorOf(res); cond != "not-allowed" || app != "closed-node" {
		t.Errorf("bob reading alice's bookmarks: %s/%s, want not-allowed/closed-node: %s", cond, app, res)
	}
	res = phone.IQ(t, `<iq type='set' id='%s'><pubsub xmlns='`+nsPubsub+`'><retract node='`+nsBookmarks+`' notify='true'><item id='orchard@chat.example.test'/></retract></pubsub></iq>`)
	if res.Get("type") != "result" {
		t.Fatalf("retract: %s", res)
	}
	laptop.WaitFor(t, "retraction notification", func(e *Elem) bool {
		items := e.Child(nsPubsubEvent, "event").Child(nsPubsubEvent, "items")
		return e.Is(nsClient, "message") && items.Get("node") == nsBookmarks &&
			items.Child(nsPubsubEvent, "retract").Get("id") == "orchard@chat.example.test"
	})

	// XEP-0402 #compat: XEP-0048 bookmarks in private storage follow, and a client that
	// still writes those updates the XEP-0402 items (with notifications).
	info := phone.IQ(t, `<iq type='get' id='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if !pepHasFeature(info, nsBookmarks+"#compat") {
		t.Errorf("account disco#info lacks %s#compat", nsBookmarks)
	}
	legacy := privateGet(t, phone, "storage:bookmarks", "storage").All("storage:bookmarks", "conference")
	if len(legacy) != 1 || legacy[0].Get("jid") != "balcony@chat.example.test" || legacy[0].Get("autojoin") != "true" ||
		legacy[0].ChildText("storage:bookmarks", "nick") != "Al" {
		t.Errorf("private bookmarks mirrored from XEP-0402: %v, want the balcony with nick Al", legacy)
	}
	res = phone.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>`+
		`<conference jid='balcony@chat.example.test' name='balcony@chat.example.test' autojoin='true'><nick>Al</nick></conference>`+
		`<conference jid='garden@chat.example.test' name='Garden'><nick>Al</nick></conference></storage></query></iq>`)
	if res.Get("type") != "result" {
		t.Fatalf("private set of bookmarks: %s", res)
	}
	laptop.WaitFor(t, "notification of the bookmark added in private storage", isPEPEvent(nsBookmarks, "garden@chat.example.test"))
	want = []string{"balcony@chat.example.test", "garden@chat.example.test"}
	if got := ids(pepItems(t, phone, "", nsBookmarks, "")); !slices.Equal(got, want) {
		t.Errorf("XEP-0402 bookmarks after the private set %q, want %q", got, want)
	}

	srv.Restart(t)
	phone = dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
	if got := ids(pepItems(t, phone, "", nsBookmarks, "")); !slices.Equal(got, want) {
		t.Errorf("bookmarks after a restart %q, want %q", got, want)
	}
	// A precondition that still holds after the restart: the node kept its configuration.
	res = phone.IQ(t, publishIQ(nsBookmarks, "orchard@chat.example.test",
		`<conference xmlns='urn:xmpp:bookmarks:1' name='again'/>`, options...))
	if res.Get("type") != "result" {
		t.Errorf("publish with the same options after the restart: %s", res)
	}
}

// TestPEPSlixmpp: slixmpp's xep_0060/0163/0084/0115 plugins against the binary. As alice,
// the script publishes avatar data and metadata and an OMEMO device list with
// publish-options, meets precondition-not-met, and reads its items back. As bob (a
// contact), it computes its own caps with +notify for avatar metadata, receives alice's
// last published avatar on login (the server verified slixmpp's ver), reads alice's open
// device list, and receives the avatar alice publishes next.
func TestPEPSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	alice := mutualContacts(t, srv, "mellium")

	pub := startPEPScript(t, srv, "alice", "alice-pw-1", "publish")
	if err := pub.wait(t); err != nil {
		t.Fatalf("slixmpp publish: %v", err)
	}
	for _, line := range []string{"PUBLISHED avatar", "PRECONDITION conflict precondition-not-met", "ITEM " + nodeOMEMO2List + " current"} {
		if !pub.has(line) {
			t.Errorf("slixmpp publish did not print %q", line)
		}
	}
	avatarID := pub.value(t, "AVATAR ")
	if items := pepItems(t, alice, "", nsAvatarMeta, ""); len(items) != 1 || items[0].Get("id") != avatarID {
		t.Errorf("mellium reads slixmpp's avatar metadata as %v, want %s", items, avatarID)
	}

	listen := startPEPScript(t, srv, "bob", "bob-pw-1", "listen", srv.JID("alice"), "second-avatar")
	listen.waitLine(t, "EVENT "+avatarID)
	listen.waitLine(t, "ITEM "+nodeOMEMO2List+" current")
	if res := alice.IQ(t, publishIQ(nsAvatarMeta, "second-avatar", avatarMetadata("second-avatar"))); res.Get("type") != "result" {
		t.Fatalf("mellium publish: %s", res)
	}
	listen.waitLine(t, "EVENT second-avatar")
	if err := listen.wait(t); err != nil {
		t.Fatalf("slixmpp listen: %v", err)
	}

	// The server verified slixmpp's ver and cached what it means: a client that sends the
	// same caps but refuses disco#info queries (mellium's default answer) still gets the
	// last avatar, which it could not if the answer had counted for slixmpp's JID alone.
	p := alice.WaitFor(t, "slixmpp's presence with caps", func(e *Elem) bool {
		return isPresenceFrom(srv.JID("bob"), "")(e) && e.Child(nsCaps, "c") != nil
	})
	c := p.Child(nsCaps, "c")
	same := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "same-caps"})
	same.Send(t, `<presence><c xmlns='%s' hash='%s' node='%s' ver='%s'/></presence>`,
		nsCaps, xmlEscape(c.Get("hash")), xmlEscape(c.Get("node")), xmlEscape(c.Get("ver")))
	same.WaitFor(t, "the last avatar for slixmpp's cached caps", isPEPEvent(nsAvatarMeta, "second-avatar"))
	if same.countPEP(isDiscoQuery) != 0 {
		t.Errorf("slixmpp's ver was not cached: the server asked again")
	}
}

// publishIQ is a PEP publish (no 'to': the account's own service) of one item, with
// publish-options given as var, value pairs. The id verb is left for Client.IQ.
func publishIQ(node, id, payload string, options ...string) string {
	var po strings.Builder
	if len(options) > 0 {
		po.WriteString(`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>` + nsPubsub + `#publish-options</value></field>`)
		for i := 0; i < len(options); i += 2 {
			fmt.Fprintf(&po, `<field var='%s'><value>%s</value></field>`, options[i], options[i+1])
		}
		po.WriteString(`</x></publish-options>`)
	}
	return `<iq type='set' id='%s'><pubsub xmlns='` + nsPubsub + `'><publish node='` + xmlEscape(node) + `'><item id='` +
		xmlEscape(id) + `'>` + strings.ReplaceAll(payload, "%", "%%") + `</item></publish>` + po.String() + `</pubsub></iq>`
}

// itemsIQ is an items request to owner's service ("" for one's own); extra goes inside <items/>.
func itemsIQ(owner, node, extra string) string {
	to := ""
	if owner != "" {
		to = ` to='` + owner + `'`
	}
	return `<iq type='get' id='%s'` + to + `><pubsub xmlns='` + nsPubsub + `'><items node='` + xmlEscape(node) + `'>` + extra + `</items></pubsub></iq>`
}

// pepItems retrieves a node's items and fails the test on an error.
func pepItems(t *testing.T, c *Client, owner, node, extra string) []*Elem {
	t.Helper()
	res := c.IQ(t, itemsIQ(owner, node, extra))
	if res.Get("type") != "result" {
		t.Fatalf("%s: items of %s at %s: %s", c.JID, node, owner, res)
	}
	return res.Child(nsPubsub, "pubsub").Child(nsPubsub, "items").All(nsPubsub, "item")
}

func avatarMetadata(id string) string {
	return `<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='1234' id='` + id + `' height='64' width='64' type='image/png'/></metadata>`
}

// pubsubErrorOf returns an error response's defined condition and pubsub#errors condition.
func pubsubErrorOf(res *Elem) (cond, app string) {
	if res.Get("type") != "error" {
		return "", ""
	}
	for _, c := range res.Child("", "error").Children {
		if c.Name.Space == nsPubsubErrors {
			app = c.Name.Local
		}
	}
	return res.ErrorCondition(), app
}

// isPEPEvent matches a notification from node carrying item id ("" for any item).
func isPEPEvent(node, id string) func(*Elem) bool {
	return func(e *Elem) bool {
		items := e.Child(nsPubsubEvent, "event").Child(nsPubsubEvent, "items")
		if !e.Is(nsClient, "message") || items == nil || items.Get("node") != node {
			return false
		}
		for _, it := range items.All(nsPubsubEvent, "item") {
			if id == "" || it.Get("id") == id {
				return true
			}
		}
		return false
	}
}

func isDiscoQuery(e *Elem) bool {
	return e.Is(nsClient, "iq") && e.Get("type") == "get" && e.Child(nsDiscoInf, "query") != nil
}

// countPEP returns how many received stanzas match, taken or not.
func (c *Client) countPEP(match func(*Elem) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.stanzas {
		if match(s) {
			n++
		}
	}
	return n
}

// capsVer is the XEP-0115 §5.1 sha-1 verification string of a client/pc identity named
// "xmppbox test" with features.
func capsVer(features []string) string {
	sorted := slices.Clone(features)
	slices.Sort(sorted)
	s := "client/pc//xmppbox test<" + strings.Join(sorted, "<") + "<"
	sum := sha1.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// dialCaps logs in a mellium client that answers disco#info queries with a client/pc
// identity and features, and sends available presence with the matching XEP-0115 caps,
// as a real client with PEP interests does. The session is closed when the test ends.
func dialCaps(t *testing.T, srv *Server, user, password, resource string, features []string) *Client {
	t.Helper()
	c := dial(t, srv, user, password, dialOpts{Resource: resource, DiscoFeatures: features})
	ver := capsVer(features)
	t.Logf("%s: caps ver %s", c.JID, ver)
	rosterItems(t, c)
	c.Send(t, `<presence><c xmlns='%s' hash='sha-1' node='https://xmppbox.test/client' ver='%s'/></presence>`, nsCaps, ver)
	return c
}

// pepScript is a running testdata/slixmpp_pep.py whose stdout lines the test waits for.
type pepScript struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	read   chan struct{} // closed when stdout is drained
	mu     sync.Mutex
	lines  []string      // guarded by mu
	more   chan struct{} // closed and replaced on each line; guarded by mu
	exited bool
	err    error
}

// startPEPScript starts the script as user with MODE and ARGS after the usual
// CA_FILE JID PASSWORD HOST PORT.
func startPEPScript(t *testing.T, srv *Server, user, password string, args ...string) *pepScript {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_pep.py"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	cmd := exec.CommandContext(ctx, python, append([]string{script, srv.CAFile, srv.JID(user), password, host, port}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start slixmpp: %v", err)
	}
	s := &pepScript{cmd: cmd, cancel: cancel, read: make(chan struct{}), more: make(chan struct{})}
	go func() {
		defer close(s.read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			t.Logf("slixmpp %s: %s", user, sc.Text())
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			close(s.more)
			s.more = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { s.wait(t) })
	return s
}

// wait waits for the script to exit (it is killed at its deadline) and returns its error.
func (s *pepScript) wait(t *testing.T) error {
	t.Helper()
	s.mu.Lock()
	if s.exited {
		defer s.mu.Unlock()
		return s.err
	}
	s.mu.Unlock()
	<-s.read // Wait closes stdout: read it all first
	err := s.cmd.Wait()
	s.cancel()
	s.mu.Lock()
	s.exited, s.err = true, err
	s.mu.Unlock()
	return err
}

// waitLine waits until the script printed line.
func (s *pepScript) waitLine(t *testing.T, line string) {
	t.Helper()
	deadline := time.NewTimer(clientTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		found, more := slices.Contains(s.lines, line), s.more
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-more:
		case <-s.read:
			if !s.has(line) {
				t.Fatalf("slixmpp ended without printing %q", line)
			}
		case <-deadline.C:
			t.Fatalf("slixmpp did not print %q within %v", line, clientTimeout)
		}
	}
}

func (s *pepScript) has(line string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.lines, line)
}

// value returns the rest of the first line that starts with prefix.
func (s *pepScript) value(t *testing.T, prefix string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	t.Fatalf("slixmpp printed no %q line", prefix)
	return ""
}

// pepHasFeature reports whether a disco#info result lists feature.
func pepHasFeature(res *Elem, feature string) bool {
	for _, f := range res.Child(nsDiscoInf, "query").All(nsDiscoInf, "feature") {
		if f.Get("var") == feature {
			return true
		}
	}
	return false
}

// mutualContacts creates alice and bob (passwords alice-pw-1, bob-pw-1), subscribes them
// to each other, and returns alice's client logged in with resource; bob's client is closed.
func mutualContacts(t *testing.T, srv *Server, resource string) *Client {
	t.Helper()
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: resource})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "setup"})
	for _, c := range []*Client{alice, bob} {
		rosterItems(t, c)
		c.Presence(t)
	}
	subscribe(t, alice, bob)
	subscribe(t, bob, alice)
	bob.Close(t)
	return alice
}

package vcard_test

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/vcard"
	"xmppbox/server/mod/vcard/vcardtest"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

const (
	aliceFull = "alice@example.test/phone"
	bobFull   = "bob@example.test/laptop"
	// helloHash is SHA-1("hello"), the image in photoCard.
	helloHash = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
	photoCard = "<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard>"
)

func newVCardFixture(t *testing.T, maxBytes int) (*modtest.Fixture, *vcardtest.MemStore, *vcard.Module) {
	t.Helper()
	store := vcardtest.NewMemStore()
	var m *vcard.Module
	f := modtest.New(t, []string{"alice", "bob", "carol"}, func(r *router.Router) {
		m = vcard.New(store, maxBytes, slog.New(slog.NewTextHandler(io.Discard, nil)))
		m.Register(r)
	})
	return f, store, m
}

// TestIQ runs XEP-0054 requests in order against one server: each step's effect is
// visible to the next ones.
func TestIQ(t *testing.T) {
	f, _, _ := newVCardFixture(t, 1024)
	alice, aliceConn := f.Client(t, aliceFull)
	bob, bobConn := f.Client(t, bobFull)
	big := "<vCard xmlns='vcard-temp'><DESC>" + strings.Repeat("x", 1024) + "</DESC></vCard>"
	steps := []struct {
		name      string
		send      func(string)
		conn      *modtest.Conn
		iq        string
		wantError string // condition; "" for a result
		wantFN    string // FN of the vCard in the result; "-" for an empty vCard, "" for no payload
	}{
		{"own get, none stored", alice, aliceConn, "<iq type='get' id='1'><vCard xmlns='vcard-temp'/></iq>", "", "-"},
		{"other's get, none stored", bob, bobConn, "<iq type='get' id='2' to='alice@example.test'><vCard xmlns='vcard-temp'/></iq>", stanza.ItemNotFound, ""},
		{"set", alice, aliceConn, "<iq type='set' id='3'>" + photoCard + "</iq>", "", ""},
		{"own get", alice, aliceConn, "<iq type='get' id='4'><vCard xmlns='vcard-temp'/></iq>", "", "Alice"},
		{"own get to own bare JID", alice, aliceConn, "<iq type='get' id='5' to='alice@example.test'><vCard xmlns='vcard-temp'/></iq>", "", "Alice"},
		{"other's get", bob, bobConn, "<iq type='get' id='6' to='alice@example.test'><vCard xmlns='vcard-temp'/></iq>", "", "Alice"},
		{"other's get, account without vCard", bob, bobConn, "<iq type='get' id='7' to='carol@example.test'><vCard xmlns='vcard-temp'/></iq>", stanza.ItemNotFound, ""},
		{"get of unknown account", bob, bobConn, "<iq type='get' id='8' to='nobody@example.test'><vCard xmlns='vcard-temp'/></iq>", stanza.ServiceUnavailable, ""},
		{"set of another's vCard", bob, bobConn, "<iq type='set' id='9' to='alice@example.test'><vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard></iq>", stanza.Forbidden, ""},
		{"set too large", alice, aliceConn, "<iq type='set' id='10'>" + big + "</iq>", stanza.PolicyViolation, ""},
		{"set with bad BINVAL", alice, aliceConn, "<iq type='set' id='11'><vCard xmlns='vcard-temp'><PHOTO><BINVAL>!!</BINVAL></PHOTO></vCard></iq>", stanza.BadRequest, ""},
		{"set of a wrong element", alice, aliceConn, "<iq type='set' id='12'><card xmlns='vcard-temp'/></iq>", stanza.BadRequest, ""},
		{"refused sets changed nothing", bob, bobConn, "<iq type='get' id='13' to='alice@example.test'><vCard xmlns='vcard-temp'/></iq>", "", "Alice"},
		{"get to the server", bob, bobConn, "<iq type='get' id='14' to='example.test'><vCard xmlns='vcard-temp'/></iq>", stanza.ItemNotFound, ""},
		{"set of an empty vCard", alice, aliceConn, "<iq type='set' id='15'><vCard xmlns='vcard-temp'/></iq>", "", ""},
		{"other's get of the empty vCard", bob, bobConn, "<iq type='get' id='16' to='alice@example.test'><vCard xmlns='vcard-temp'/></iq>", "", "-"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.send(st.iq)
			reply := st.conn.Last(t)
			if cond := modtest.ErrorCondition(reply); cond != st.wantError || (st.wantError == "" && reply.Get("type") != "result") {
				t.Fatalf("reply %s, want error %q", reply, st.wantError)
			}
			if st.wantError != "" {
				return
			}
			card := reply.Child(vcard.NS, "vCard")
			switch {
			case st.wantFN == "" && card != nil:
				t.Errorf("reply %s, want an empty result", reply)
			case st.wantFN == "-" && (card == nil || len(card.Children) != 0):
				t.Errorf("reply %s, want an empty vCard", reply)
			case st.wantFN != "" && st.wantFN != "-" && (card == nil || card.Child(vcard.NS, "FN").Text() != st.wantFN):
				t.Errorf("reply %s, want a vCard with FN %q", reply, st.wantFN)
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	f, _, _ := newVCardFixture(t, 0)
	if !slices.Contains(f.Router.Features(), vcard.NS) || !slices.Contains(f.Router.AccountFeatures(), vcard.NS) {
		t.Errorf("features %q / account features %q, want %s in both", f.Router.Features(), f.Router.AccountFeatures(), vcard.NS)
	}
}

// TestSetAPI: the exported Set computes and stores the hash that presence will carry.
func TestSetAPI(t *testing.T) {
	_, store, m := newVCardFixture(t, 0)
	card := stanza.New(vcard.NS, "vCard").Append(stanza.New(vcard.NS, "PHOTO").Append(stanza.New(vcard.NS, "BINVAL").AppendText("aGVsbG8=")))
	hash, err := m.Set(t.Context(), "alice@example.test", card)
	if err != nil || hash != helloHash {
		t.Fatalf("Set = %q, %v; want %q", hash, err, helloHash)
	}
	if h, err := store.PhotoHash(t.Context(), "alice@example.test"); err != nil || h != helloHash {
		t.Errorf("stored hash %q, %v; want %q", h, err, helloHash)
	}
	got, err := m.Get(t.Context(), "alice@example.test")
	if err != nil || got == nil || got.Child(vcard.NS, "PHOTO") == nil {
		t.Errorf("Get = %v, %v; want the vCard with its PHOTO", got, err)
	}
	if got, err := m.Get(t.Context(), "bob@example.test"); err != nil || got != nil {
		t.Errorf("Get of a missing vCard = %v, %v; want nil, nil", got, err)
	}
}

// TestPresenceHash checks which presences get the stored avatar hash (XEP-0153, XEP-0398 §4).
func TestPresenceHash(t *testing.T) {
	const other = "1111111111111111111111111111111111111111"
	tests := []struct {
		name     string
		card     string // alice's vCard; "" for none
		presence string
		want     string // the photo alice's presence carries after the hooks; "none" for no <x/>
	}{
		{"no x gets one", photoCard, "<presence/>", helloHash},
		{"empty x is filled", photoCard, "<presence><x xmlns='vcard-temp:x:update'/></presence>", helloHash},
		{"empty photo is left alone", photoCard, "<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>", ""},
		{"other hash is replaced", photoCard, "<presence><x xmlns='vcard-temp:x:update'><photo>" + other + "</photo></x></presence>", helloHash},
		{"same hash in upper case is kept", photoCard, "<presence><x xmlns='vcard-temp:x:update'><photo>" + strings.ToUpper(helloHash) + "</photo></x></presence>", strings.ToUpper(helloHash)},
		{"directed presence", photoCard, "<presence to='room@muc.example.test/alice'/>", helloHash},
		{"with show and status", photoCard, "<presence><show>away</show><status>out</status></presence>", helloHash},
		{"unavailable is left alone", photoCard, "<presence type='unavailable'/>", "none"},
		{"no vCard", "", "<presence/>", "none"},
		{"vCard without photo", "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>", "<presence/>", "none"},
		{"vCard without photo, client hash kept", "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>", "<presence><x xmlns='vcard-temp:x:update'><photo>" + other + "</photo></x></presence>", other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := newVCardFixture(t, 0)
			alice, aliceConn := f.Client(t, aliceFull)
			if tt.card != "" {
				alice("<iq type='set' id='set'>" + tt.card + "</iq>")
				if r := aliceConn.Last(t); r.Get("type") != "result" {
					t.Fatalf("vCard set: %s", r)
				}
			}
			alice(tt.presence)
			p := f.LastPresence(t)
			xs := allChildren(p, vcard.NSUpdate, "x")
			if tt.want == "none" {
				if len(xs) != 0 {
					t.Errorf("presence %s, want no vcard-temp:x:update", p)
				}
				return
			}
			if len(xs) != 1 {
				t.Fatalf("presence %s, want one vcard-temp:x:update <x/>", p)
			}
			photos := allChildren(xs[0], vcard.NSUpdate, "photo")
			if len(photos) != 1 || photos[0].Text() != tt.want {
				t.Errorf("presence %s, want one <photo>%s</photo>", p, tt.want)
			}
			if tt.name == "with show and status" && (p.Child(stanza.NSClient, "show") == nil || p.Child(stanza.NSClient, "status") == nil) {
				t.Errorf("presence %s lost its show or status", p)
			}
		})
	}
}

// TestPresenceHashFollowsChanges: a new vCard changes the hash in the next presence, and a
// vCard without photo stops it.
func TestPresenceHashFollowsChanges(t *testing.T) {
	f, _, _ := newVCardFixture(t, 0)
	alice, aliceConn := f.Client(t, aliceFull)
	steps := []struct {
		card string
		want string
	}{
		{photoCard, helloHash},
		// SHA-1("world"), d29ybGQ= in base64.
		{"<vCard xmlns='vcard-temp'><PHOTO><BINVAL>d29ybGQ=</BINVAL></PHOTO></vCard>", "7c211433f02071597741e6ff5a8ea34789abbf43"},
		{"<vCard xmlns='vcard-temp'><FN>no photo</FN></vCard>", ""},
	}
	for _, st := range steps {
		alice("<iq type='set' id='set'>" + st.card + "</iq>")
		if r := aliceConn.Last(t); r.Get("type") != "result" {
			t.Fatalf("vCard set: %s", r)
		}
		alice("<presence/>")
		p := f.LastPresence(t)
		var got string
		if x := p.Child(vcard.NSUpdate, "x"); x != nil {
			got = x.Child(vcard.NSUpdate, "photo").Text()
		}
		if got != st.want {
			t.Errorf("after setting %s: presence %s, want photo %q", st.card, p, st.want)
		}
	}
}

func allChildren(el *stanza.Element, space, local string) []*stanza.Element {
	var out []*stanza.Element
	for _, c := range el.ChildElements() {
		if c.Name.Space == space && c.Name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

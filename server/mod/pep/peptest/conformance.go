package peptest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xmppbox/server/mod/pep"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two services up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"

	devices = "urn:xmpp:omemo:2:devices"
	// bundles has devices' name as a prefix, for the same reason.
	bundles = "urn:xmpp:omemo:2:devices:bundles"
)

// Run tests the pep.Store contract. open is called once per subtest and must return an
// empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) pep.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s pep.Store)
	}{
		{"Empty", testEmpty},
		{"CreateAndConfigRoundTrip", testCreate},
		{"NodesSorted", testNodesSorted},
		{"OwnersAndNodesIsolated", testIsolation},
		{"ItemRoundTrip", testItemRoundTrip},
		{"OrderAndTrim", testOrderAndTrim},
		{"ReplaceMovesToNewest", testReplace},
		{"DeleteItem", testDeleteItem},
		{"SetConfigTrims", testSetConfigTrims},
		{"PurgeAndDeleteNode", testPurgeAndDelete},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentPutsRespectMax", testConcurrentPuts},
		{"LargePayload", testLargePayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func config(max int) pep.Config {
	return pep.Config{AccessModel: "presence", PersistItems: true, MaxItems: max,
		SendLastPublishedItem: "on_sub_and_presence", DeliverNotifications: true, DeliverPayloads: true}
}

func item(id, payload string) pep.Item {
	return pep.Item{ID: id, Publisher: alice, Published: time.Unix(1700000000, 0).UTC(), Payload: []byte(payload)}
}

func mustCreate(t *testing.T, s pep.Store, owner, node string, cfg pep.Config) {
	t.Helper()
	if err := s.CreateNode(t.Context(), owner, node, cfg); err != nil {
		t.Fatalf("CreateNode(%s, %s): %v", owner, node, err)
	}
}

func mustPut(t *testing.T, s pep.Store, owner, node string, items ...pep.Item) {
	t.Helper()
	for _, it := range items {
		if err := s.PutItem(t.Context(), owner, node, it); err != nil {
			t.Fatalf("PutItem(%s, %s, %s): %v", owner, node, it.ID, err)
		}
	}
}

// ids lists the IDs of the node's items, oldest first.
func ids(t *testing.T, s pep.Store, owner, node string, last int) []string {
	t.Helper()
	items, err := s.Items(t.Context(), owner, node, last)
	if err != nil {
		t.Fatalf("Items(%s, %s, %d): %v", owner, node, last, err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func testEmpty(t *testing.T, s pep.Store) {
	ctx := t.Context()
	if nodes, err := s.Nodes(ctx, alice); err != nil || len(nodes) != 0 {
		t.Errorf("Nodes = %q, %v; want none, nil", nodes, err)
	}
	notExist := map[string]error{}
	_, notExist["Node"] = s.Node(ctx, alice, devices)
	notExist["SetConfig"] = s.SetConfig(ctx, alice, devices, config(1))
	notExist["DeleteNode"] = s.DeleteNode(ctx, alice, devices)
	notExist["PutItem"] = s.PutItem(ctx, alice, devices, item("1", "<x/>"))
	_, notExist["Items"] = s.Items(ctx, alice, devices, 0)
	_, notExist["Item"] = s.Item(ctx, alice, devices, "1")
	notExist["DeleteItem"] = s.DeleteItem(ctx, alice, devices, "1")
	notExist["Purge"] = s.Purge(ctx, alice, devices)
	for op, err := range notExist {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s on a missing node: err = %v, want fs.ErrNotExist", op, err)
		}
	}
	mustCreate(t, s, alice, devices, config(5))
	if items, err := s.Items(ctx, alice, devices, 0); err != nil || len(items) != 0 {
		t.Errorf("Items of a new node = %v, %v; want none, nil", items, err)
	}
	if _, err := s.Item(ctx, alice, devices, "1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Item missing from an existing node: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeleteItem(ctx, alice, devices, "1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DeleteItem missing from an existing node: err = %v, want fs.ErrNotExist", err)
	}
}

func testCreate(t *testing.T, s pep.Store) {
	ctx := t.Context()
	want := pep.Config{
		AccessModel: "roster", RosterGroupsAllowed: []string{"Friends", "Family"}, PersistItems: true,
		MaxItems: 256, SendLastPublishedItem: "never", DeliverNotifications: true, DeliverPayloads: false,
		NotifyRetract: true, NotifyDelete: false, Title: "Bookmarks ✓", Type: "urn:xmpp:bookmarks:1",
	}
	mustCreate(t, s, alice, "urn:xmpp:bookmarks:1", want)
	got, err := s.Node(ctx, alice, "urn:xmpp:bookmarks:1")
	if err != nil {
		t.Fatalf("Node: %v", err)
	}
	if !configEqual(got, want) {
		t.Errorf("Node = %+v, want %+v", got, want)
	}
	if err := s.CreateNode(ctx, alice, "urn:xmpp:bookmarks:1", config(1)); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateNode of an existing node: err = %v, want fs.ErrExist", err)
	}
	if got, _ := s.Node(ctx, alice, "urn:xmpp:bookmarks:1"); !configEqual(got, want) {
		t.Errorf("a refused CreateNode changed the configuration to %+v", got)
	}
	want.AccessModel, want.RosterGroupsAllowed, want.MaxItems = "whitelist", nil, 1
	if err := s.SetConfig(ctx, alice, "urn:xmpp:bookmarks:1", want); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	if got, _ := s.Node(ctx, alice, "urn:xmpp:bookmarks:1"); !configEqual(got, want) {
		t.Errorf("after SetConfig, Node = %+v, want %+v", got, want)
	}
}

func testNodesSorted(t *testing.T, s pep.Store) {
	names := []string{"urn:xmpp:avatar:metadata", "eu.siacs.conversations.axolotl.bundles:1234",
		"http://jabber.org/protocol/tune", "urn:xmpp:avatar:data", "nœud/with spaces"}
	for _, n := range names {
		mustCreate(t, s, alice, n, config(1))
	}
	got, err := s.Nodes(t.Context(), alice)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Nodes = %q, want %q", got, want)
	}
}

func testIsolation(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(10))
	mustCreate(t, s, alice, bundles, config(10))
	mustCreate(t, s, aliceEvil, devices, config(10))
	mustPut(t, s, alice, devices, item("a1", "<a/>"))
	mustPut(t, s, alice, bundles, item("b1", "<b/>"))
	mustPut(t, s, aliceEvil, devices, item("e1", "<e/>"))
	for _, c := range []struct{ owner, node, want string }{
		{alice, devices, "a1"}, {alice, bundles, "b1"}, {aliceEvil, devices, "e1"},
	} {
		if got := ids(t, s, c.owner, c.node, 0); !slices.Equal(got, []string{c.want}) {
			t.Errorf("items of %s %s = %q, want [%s]", c.owner, c.node, got, c.want)
		}
	}
	if nodes, _ := s.Nodes(ctx, bob); len(nodes) != 0 {
		t.Errorf("bob has nodes %q, want none", nodes)
	}
	if nodes, _ := s.Nodes(ctx, aliceEvil); !slices.Equal(nodes, []string{devices}) {
		t.Errorf("Nodes(%s) = %q, want [%s]", aliceEvil, nodes, devices)
	}
	if err := s.DeleteNode(ctx, alice, devices); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, alice, bundles, 0); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("deleting %s took items of %s: %q left", devices, bundles, got)
	}
	if got := ids(t, s, aliceEvil, devices, 0); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("deleting alice's node took %s's items: %q left", aliceEvil, got)
	}
	if err := s.Purge(ctx, alice, bundles); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, aliceEvil, devices, 0); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("purging alice's node took %s's items: %q left", aliceEvil, got)
	}
}

func testItemRoundTrip(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(5))
	published := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC)
	want := pep.Item{ID: "current", Publisher: alice, Published: published,
		Payload: []byte(`<devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='ph&amp;one'/></devices>`)}
	mustPut(t, s, alice, devices, want, pep.Item{ID: "empty", Publisher: alice, Published: published})
	got, err := s.Item(ctx, alice, devices, "current")
	if err != nil {
		t.Fatalf("Item: %v", err)
	}
	if !itemEqual(got, want) {
		t.Errorf("Item = %+v, want %+v", got, want)
	}
	empty, err := s.Item(ctx, alice, devices, "empty")
	if err != nil || len(empty.Payload) != 0 {
		t.Errorf("item without payload = %+v, %v; want an empty payload", empty, err)
	}
	items, err := s.Items(ctx, alice, devices, 0)
	if err != nil || len(items) != 2 || !itemEqual(items[0], want) {
		t.Errorf("Items = %+v, %v; want the two items, %q first", items, err, want.ID)
	}
}

func testOrderAndTrim(t *testing.T, s pep.Store) {
	mustCreate(t, s, alice, devices, config(3))
	for i := 1; i <= 5; i++ {
		mustPut(t, s, alice, devices, item(fmt.Sprintf("i%d", i), "<x/>"))
	}
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"i3", "i4", "i5"}) {
		t.Errorf("after 5 items with max 3: %q, want the newest three oldest first", got)
	}
	if got := ids(t, s, alice, devices, 2); !slices.Equal(got, []string{"i4", "i5"}) {
		t.Errorf("Items(last 2) = %q, want [i4 i5]", got)
	}
	if got := ids(t, s, alice, devices, 10); !slices.Equal(got, []string{"i3", "i4", "i5"}) {
		t.Errorf("Items(last 10) = %q, want all three", got)
	}
	if _, err := s.Item(t.Context(), alice, devices, "i1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Item of a trimmed item: err = %v, want fs.ErrNotExist", err)
	}
	// An ID that was trimmed can be published again.
	mustPut(t, s, alice, devices, item("i1", "<again/>"))
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"i4", "i5", "i1"}) {
		t.Errorf("after republishing i1: %q, want [i4 i5 i1]", got)
	}
}

func testReplace(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(3))
	mustPut(t, s, alice, devices, item("a", "<v1/>"), item("b", "<b/>"), item("c", "<c/>"), item("a", "<v2/>"))
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("after replacing a: %q, want [b c a]", got)
	}
	it, err := s.Item(ctx, alice, devices, "a")
	if err != nil || string(it.Payload) != "<v2/>" {
		t.Errorf("replaced item = %+v, %v; want payload <v2/>", it, err)
	}
	// The replacement did not count twice: one more item still keeps b, c... minus one.
	mustPut(t, s, alice, devices, item("d", "<d/>"))
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"c", "a", "d"}) {
		t.Errorf("after d: %q, want [c a d]", got)
	}
	if got := ids(t, s, alice, devices, 1); !slices.Equal(got, []string{"d"}) {
		t.Errorf("last item = %q, want [d]", got)
	}
}

func testDeleteItem(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(3))
	mustPut(t, s, alice, devices, item("a", "<a/>"), item("b", "<b/>"), item("c", "<c/>"))
	if err := s.DeleteItem(ctx, alice, devices, "b"); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("after deleting b: %q, want [a c]", got)
	}
	if err := s.DeleteItem(ctx, alice, devices, "b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second DeleteItem: err = %v, want fs.ErrNotExist", err)
	}
	// The deletion freed a place: two more items push out only a.
	mustPut(t, s, alice, devices, item("d", "<d/>"), item("e", "<e/>"))
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Errorf("after d and e: %q, want [c d e]", got)
	}
}

func testSetConfigTrims(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(10))
	for i := 1; i <= 5; i++ {
		mustPut(t, s, alice, devices, item(fmt.Sprintf("i%d", i), "<x/>"))
	}
	if err := s.SetConfig(ctx, alice, devices, config(2)); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"i4", "i5"}) {
		t.Errorf("after max 10 -> 2: %q, want [i4 i5]", got)
	}
	mustPut(t, s, alice, devices, item("i6", "<x/>"))
	if got := ids(t, s, alice, devices, 0); !slices.Equal(got, []string{"i5", "i6"}) {
		t.Errorf("after one more: %q, want [i5 i6]", got)
	}
	if err := s.SetConfig(ctx, alice, devices, config(0)); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, alice, devices, 0); len(got) != 0 {
		t.Errorf("after max 0: %q, want none", got)
	}
	mustPut(t, s, alice, devices, item("i7", "<x/>"))
	if got := ids(t, s, alice, devices, 0); len(got) != 0 {
		t.Errorf("a node with max 0 kept %q", got)
	}
}

func testPurgeAndDelete(t *testing.T, s pep.Store) {
	ctx := t.Context()
	mustCreate(t, s, alice, devices, config(5))
	mustPut(t, s, alice, devices, item("a", "<a/>"), item("b", "<b/>"))
	if err := s.Purge(ctx, alice, devices); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, alice, devices, 0); len(got) != 0 {
		t.Errorf("after Purge: %q, want none", got)
	}
	if _, err := s.Node(ctx, alice, devices); err != nil {
		t.Errorf("Purge removed the node: %v", err)
	}
	mustPut(t, s, alice, devices, item("c", "<c/>"))
	if err := s.DeleteNode(ctx, alice, devices); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Node(ctx, alice, devices); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Node after DeleteNode: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeleteNode(ctx, alice, devices); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second DeleteNode: err = %v, want fs.ErrNotExist", err)
	}
	mustCreate(t, s, alice, devices, config(5))
	if got := ids(t, s, alice, devices, 0); len(got) != 0 {
		t.Errorf("a re-created node has the old items %q", got)
	}
	if _, err := s.Item(ctx, alice, devices, "c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a re-created node finds the old item c: err = %v", err)
	}
}

func testNoSharedMemory(t *testing.T, s pep.Store) {
	ctx := t.Context()
	cfg := config(5)
	cfg.AccessModel = "roster"
	cfg.RosterGroupsAllowed = []string{"Friends"}
	mustCreate(t, s, alice, devices, cfg)
	cfg.RosterGroupsAllowed[0] = "Enemies"
	it := item("a", "<original/>")
	mustPut(t, s, alice, devices, it)
	copy(it.Payload, "XXXXXXXXXX")
	got, _ := s.Node(ctx, alice, devices)
	if !slices.Equal(got.RosterGroupsAllowed, []string{"Friends"}) {
		t.Errorf("changing the caller's config changed the stored one: %q", got.RosterGroupsAllowed)
	}
	got.RosterGroupsAllowed[0] = "Strangers"
	again, _ := s.Node(ctx, alice, devices)
	if !slices.Equal(again.RosterGroupsAllowed, []string{"Friends"}) {
		t.Errorf("changing a returned config changed the stored one: %q", again.RosterGroupsAllowed)
	}
	stored, _ := s.Item(ctx, alice, devices, "a")
	if string(stored.Payload) != "<original/>" {
		t.Errorf("changing the caller's payload changed the stored one: %q", stored.Payload)
	}
	copy(stored.Payload, "YYYYYYYYYY")
	items, _ := s.Items(ctx, alice, devices, 0)
	if len(items) != 1 || string(items[0].Payload) != "<original/>" {
		t.Errorf("changing a returned payload changed the stored one: %+v", items)
	}
}

func testConcurrentPuts(t *testing.T, s pep.Store) {
	const writers, max = 16, 5
	mustCreate(t, s, alice, devices, config(max))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- s.PutItem(t.Context(), alice, devices, item(fmt.Sprintf("w%02d", i), "<x/>"))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent PutItem: %v", err)
		}
	}
	got := ids(t, s, alice, devices, 0)
	if len(got) != max {
		t.Fatalf("after %d concurrent puts with max %d: %d items %q", writers, max, len(got), got)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("item %s listed twice: %q", id, got)
		}
		seen[id] = true
		if _, err := s.Item(t.Context(), alice, devices, id); err != nil {
			t.Errorf("listed item %s not found: %v", id, err)
		}
	}
}

func testLargePayload(t *testing.T, s pep.Store) {
	mustCreate(t, s, alice, "urn:xmpp:avatar:data", config(1))
	payload := "<data xmlns='urn:xmpp:avatar:data'>" + strings.Repeat("QUJD", 50000) + "</data>"
	mustPut(t, s, alice, "urn:xmpp:avatar:data", item("sha1", payload))
	got, err := s.Item(t.Context(), alice, "urn:xmpp:avatar:data", "sha1")
	if err != nil || string(got.Payload) != payload {
		t.Errorf("a %d-byte payload came back as %d bytes, %v", len(payload), len(got.Payload), err)
	}
}

func configEqual(a, b pep.Config) bool {
	groupsA, groupsB := a.RosterGroupsAllowed, b.RosterGroupsAllowed
	a.RosterGroupsAllowed, b.RosterGroupsAllowed = nil, nil
	return reflect.DeepEqual(a, b) && slices.Equal(groupsA, groupsB)
}

func itemEqual(a, b pep.Item) bool {
	return a.ID == b.ID && a.Publisher == b.Publisher && a.Published.Equal(b.Published) && bytes.Equal(a.Payload, b.Payload)
}

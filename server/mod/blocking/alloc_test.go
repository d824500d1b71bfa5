package blocking

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

type nopConn struct{}

func (nopConn) Send(*stanza.Element) error { return nil }
func (nopConn) Close(*stanza.StreamError)  {}
func (nopConn) RemoteAddr() string         { return "test" }

type noUsers struct{}

func (noUsers) UserExists(context.Context, string) (bool, error) { return true, nil }

type emptyStore struct{}

func (emptyStore) Blocked(context.Context, string) ([]string, error) { return nil, nil }
func (emptyStore) Block(context.Context, string, []string) error     { return nil }
func (emptyStore) Unblock(context.Context, string, []string) error   { return nil }

// TestInboundAllocations pins what the inbound filter costs per stanza between two online
// local users whose lists are cached: only the recipient's bare JID string.
func TestInboundAllocations(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := router.New(jid.MustParse("example.test"), session.NewRegistry(), noUsers{}, log)
	m := New(emptyStore{}, nil, r, log)
	for _, full := range []string{"alice@example.test/a", "bob@example.test/b"} {
		r.Bind(session.NewResource(jid.MustParse(full), nopConn{}))
	}
	to := jid.MustParse("alice@example.test/a")
	st := stanza.New(stanza.NSClient, "message", "from", "bob@example.test/b", "to", to.String(), "type", "chat")
	ctx := context.Background()
	m.inbound(ctx, st, to) // loads both lists into the cache
	allocs := testing.AllocsPerRun(1000, func() {
		if !m.inbound(ctx, st, to) {
			t.Fatal("stanza stopped")
		}
	})
	t.Logf("%v allocations per stanza", allocs)
	if allocs > 2 {
		t.Errorf("inbound allocates %v times per stanza, want at most 2", allocs)
	}
}

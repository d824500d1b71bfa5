package mam_test

import (
	"context"
	"log/slog"
	"testing"

	"mellium.im/xmpp/jid"

	"xmppbox/embeddb"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// nullConn drops what it is sent, as cheaply as possible.
type nullConn struct{}

func (nullConn) Send(*stanza.Element) error { return nil }
func (nullConn) Close(*stanza.StreamError)  {}
func (nullConn) RemoteAddr() string         { return "bench" }

// BenchmarkRouteMessage is the router's cost of one 1:1 chat message between two online
// local users: without the mam module, with it over the in-memory fake, and with it over
// embeddb on disk (the background writer's work included, as the final query waits for it).
func BenchmarkRouteMessage(b *testing.B) {
	for _, c := range []struct {
		name    string
		archive func(b *testing.B) mam.Archive
	}{
		{"NoArchive", func(*testing.B) mam.Archive { return nil }},
		{"MemStore", func(*testing.B) mam.Archive { return mamtest.NewMemStore() }},
		{"Embeddb", func(b *testing.B) mam.Archive {
			db, err := embeddb.Open(embeddb.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db.Archive()
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			log := slog.New(slog.DiscardHandler)
			r := router.New(jid.MustParse("example.test"), session.NewRegistry(), modtest.Users{alice: true, bob: true}, log)
			r.HandlePresence(func(context.Context, router.Presence) {}, func(context.Context, router.Presence) {})
			archive := c.archive(b)
			mam.New(mam.Config{Archive: archive, Rosters: rostertest.NewMemStore(), Logger: log}).Register(r)
			var from *session.Resource
			for _, full := range []string{aliceDesk, bobLaptop} {
				res := session.NewResource(jid.MustParse(full), nullConn{})
				r.Bind(res)
				res.SetPresence(stanza.New(stanza.NSClient, "presence"), 0)
				if full == aliceDesk {
					from = res
				}
			}
			msg, err := xmlstream.Parse([]byte(`<message to='bob@example.test' type='chat' id='a1b2c3'><body>see you at eight, bring the charger</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`))
			if err != nil {
				b.Fatal(err)
			}
			msg.Set("from", aliceDesk)
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				r.Outbound(ctx, from, msg.Copy())
			}
			if archive != nil {
				if _, err := archive.Query(ctx, alice, mam.Query{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package embeddb_test

import (
	"fmt"
	"testing"

	"xmppbox/embeddb"
)

// BenchmarkOfflinePushTake stores a burst of messages for one account and
// takes them back, as for a user who comes online after a short absence. On
// disk every Push is an fsync, which dominates.
func BenchmarkOfflinePushTake(b *testing.B) {
	const burst = 10
	stanza := []byte(`<message from='bob@example.org/phone' to='alice@example.org' type='chat' id='x1'><body>see you at eight, bring the charger</body><delay xmlns='urn:xmpp:delay' from='example.org' stamp='2025-01-01T00:00:00.000Z'/></message>`)
	for _, bk := range []struct {
		name string
		opts func(b *testing.B) embeddb.Options
	}{
		{"InMemory", func(*testing.B) embeddb.Options { return embeddb.Options{InMemory: true} }},
		{"OnDisk", func(b *testing.B) embeddb.Options { return embeddb.Options{Dir: b.TempDir()} }},
	} {
		b.Run(fmt.Sprintf("%s/burst=%d", bk.name, burst), func(b *testing.B) {
			db, err := embeddb.Open(bk.opts(b))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			o := db.Offline()
			ctx := b.Context()
			b.ReportAllocs()
			b.SetBytes(int64(burst * len(stanza)))
			for b.Loop() {
				for range burst {
					if err := o.Push(ctx, "alice@example.org", stanza, 100); err != nil {
						b.Fatal(err)
					}
				}
				msgs, err := o.Take(ctx, "alice@example.org")
				if err != nil || len(msgs) != burst {
					b.Fatalf("Take = %d, %v", len(msgs), err)
				}
			}
		})
	}
}

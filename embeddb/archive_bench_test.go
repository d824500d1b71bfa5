package embeddb

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/mam"
)

// BenchmarkArchiveQuery measures queries on one account with 100,000 archived messages
// on disk (a year at ~270 a day, with 20 contacts): the last page (what a client asks
// for first when it opens the history), a page of a one-day date range (from its start
// and from its end), the last page with one contact, and a forward page in the middle.
// The archive is laid out as an idle server writes it (a chunk per message) and as a
// busy one does (chunks of up to maxChunkRecords). Each case reports ns/op and the
// median and 99th percentile latency in µs.
func BenchmarkArchiveQuery(b *testing.B) {
	const (
		owner    = "alice@example.org"
		messages = 100_000
		contacts = 20
		page     = 50
	)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / messages
	day := start.Add(200 * 24 * time.Hour)
	for _, chunk := range []int{1, maxChunkRecords} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			a, err := openArchive(b.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			go a.writer()
			defer a.close()
			ids := fillArchive(b, a, owner, messages, chunk, contacts, start, step)
			cases := []struct {
				name string
				q    mam.Query
			}{
				{"LastPage", mam.Query{Max: page, Last: true}},
				{"DateRangePage", mam.Query{Start: day, End: day.Add(24*time.Hour - time.Nanosecond), Max: page}},
				{"DateRangeLastPage", mam.Query{Start: day, End: day.Add(24*time.Hour - time.Nanosecond), Max: page, Last: true}},
				{"WithLastPage", mam.Query{With: "bob7@example.org", Max: page, Last: true}},
				{"AfterPage", mam.Query{After: ids[messages/2], Max: page}},
			}
			ctx := context.Background()
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					var lat []time.Duration
					b.ReportAllocs()
					for b.Loop() {
						t0 := time.Now()
						p, err := a.Query(ctx, owner, c.q)
						lat = append(lat, time.Since(t0))
						if err != nil || len(p.Items) != page {
							b.Fatalf("Query: %d items, %v", len(p.Items), err)
						}
					}
					reportPercentiles(b, lat)
				})
			}
		})
	}
}

// fillArchive writes n records for owner straight into chunks of the given size, With
// cycling through contacts, and returns their IDs.
func fillArchive(b *testing.B, a *Archive, owner string, n, chunk, contacts int, start time.Time, step time.Duration) []string {
	b.Helper()
	stanza := []byte(`<message xmlns='jabber:client' from='alice@example.org/phone' to='bob7@example.org' type='chat' id='a1b2c3d4'><body>see you at eight, bring the charger and the blue notebook</body><origin-id xmlns='urn:xmpp:sid:0' id='4a9f1c2e-7f0e-4c7b-9d6a-0c1b2f3e4d5a'/></message>`)
	recs := make([]chunkRecord, n)
	ids := make([]string, n)
	for i := range recs {
		id := timeBound(start.Add(time.Duration(i) * step).UnixMicro())
		id = binary8Random(id)
		recs[i] = chunkRecord{id: id, with: fmt.Appendf(nil, "bob%d@example.org/phone", i%contacts), stanza: stanza}
		ids[i] = idEncoding.EncodeToString(id)
	}
	for batch := range slices.Chunk(recs, 64*chunk) {
		err := a.update(context.Background(), func(txn *badger.Txn) error {
			for c := range slices.Chunk(batch, chunk) {
				if err := putChunk(txn, owner, c); err != nil {
					return err
				}
			}
			count, err := readCount(txn, owner)
			if err != nil {
				return err
			}
			return writeCount(txn, owner, count+uint64(len(batch)))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// binary8Random appends the 7 random bytes of an ID.
func binary8Random(id []byte) []byte {
	for range idLen - len(id) {
		id = append(id, byte(rand.Uint32()))
	}
	return id
}

// reportPercentiles adds the median and 99th percentile of lat, in µs.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

package embeddb

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// DeleteBefore removes every archived record older than cutoff, owner by owner, in
// transactions within Badger's size limit. A chunk that straddles cutoff is written
// again without its old records.
func (a *Archive) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	if err := a.flush(ctx); err != nil {
		return 0, fmt.Errorf("embeddb: archive retention: %w", err)
	}
	var owners []string
	prefix := mamCountPrefix()
	err := a.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			owners = append(owners, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: archive retention: %w", err)
	}
	limit := timeBound(ceilMicro(cutoff)) // records of cutoff's own µs are not older
	total := 0
	for _, owner := range owners {
		for {
			var n int
			var more bool
			err := a.update(ctx, func(txn *badger.Txn) error {
				var err error
				n, more, err = deleteOldRecords(txn, owner, limit)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("embeddb: archive retention for %q: %w", owner, err)
			}
			total += n
			if !more {
				break
			}
		}
	}
	return total, nil
}

// deleteOldRecords deletes owner's records with IDs below limit, as many chunks as one
// transaction takes, and keeps the count right.
func deleteOldRecords(txn *badger.Txn, owner string, limit []byte) (n int, more bool, err error) {
	type chunk struct{ first, v []byte }
	var old []chunk
	b := newBudget()
	err = eachChunk(txn, mamPrefix(owner), bounds{hi: limit}, false, func(first, v []byte) (bool, error) {
		// A chunk costs its key, its index keys and, when rewritten, its size: count the
		// key for each and stop at the budget, but always take one.
		if len(old) > 0 && (!b.take(mamKey(owner, first)) || b.bytes < len(v)) {
			more = true
			return false, nil
		}
		b.bytes -= len(v)
		old = append(old, chunk{first, v})
		return true, nil
	})
	if err != nil {
		return 0, false, err
	}
	for _, c := range old {
		recs, err := decodeChunk(c.v)
		if err != nil {
			return 0, false, fmt.Errorf("chunk %s: %w", idEncoding.EncodeToString(c.first), err)
		}
		if err := deleteChunk(txn, owner, recs); err != nil {
			return 0, false, err
		}
		expired := 0
		for expired < len(recs) && bytes.Compare(recs[expired].id, limit) < 0 {
			expired++
		}
		n += expired
		if rest := recs[expired:]; len(rest) > 0 {
			if err := putChunk(txn, owner, rest); err != nil {
				return 0, false, err
			}
		}
	}
	if n == 0 {
		return 0, false, nil
	}
	count, err := readCount(txn, owner)
	if err != nil {
		return 0, false, err
	}
	count -= min(count, uint64(n))
	if count == 0 && !more {
		return n, false, txn.Delete(mamCountKey(owner))
	}
	return n, more, writeCount(txn, owner, count)
}

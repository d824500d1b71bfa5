package embeddb

import (
	"bytes"

	"github.com/dgraph-io/badger/v4"
)

// One Badger transaction holds at most MaxBatchCount entries (13,107) and
// MaxBatchSize bytes (~1.2 MiB) with the 8 MiB memtable (LIBRARIES.md §2,
// ErrTxnTooBig). Bulk deletes stay well under both: a delete costs its key
// plus a few bytes, and a bare JID can be up to 2 KiB long.
const (
	chunkKeys  = 1000
	chunkBytes = 256 << 10
)

// budget counts what a transaction has left for bulk deletes.
type budget struct{ keys, bytes int }

func newBudget() budget { return budget{keys: chunkKeys, bytes: chunkBytes} }

func (b *budget) take(key []byte) bool {
	if b.keys <= 0 || b.bytes < len(key) {
		return false
	}
	b.keys--
	b.bytes -= len(key)
	return true
}

// deletePrefix deletes keys under prefix while b allows, and reports whether
// keys are left. The keys are read through the iterator, so a concurrent
// write to one of them makes the transaction conflict.
func deletePrefix(txn *badger.Txn, prefix []byte, b *budget) (more bool, err error) {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	var keys [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		k := it.Item().Key()
		if !b.take(k) {
			more = true
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	// Close before deleting: an iterator is a snapshot of the txn's writes
	// when it was made, and Discard panics on an open iterator.
	it.Close()
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return false, err
		}
	}
	return more, nil
}

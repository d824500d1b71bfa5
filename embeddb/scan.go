package embeddb

import (
	"encoding/binary"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// keySuffixes returns what follows prefix in every key under it, in byte order, without
// reading values: lists whose members are the keys themselves (block lists, node names).
func keySuffixes(txn *badger.Txn, prefix []byte) []string {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []string
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		out = append(out, string(it.Item().Key()[len(prefix):]))
	}
	return out
}

// getUint64 reads a big-endian counter or index value; ok is false when the key is absent.
func getUint64(txn *badger.Txn, k []byte) (n uint64, ok bool, err error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	err = item.Value(func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("value of %q: %d bytes, want 8", k, len(v))
		}
		n = binary.BigEndian.Uint64(v)
		return nil
	})
	return n, err == nil, err
}

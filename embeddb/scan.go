package embeddb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

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

// getJSON decodes the JSON value at k into v; an absent key is fs.ErrNotExist.
func getJSON(txn *badger.Txn, k []byte, v any) error {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fs.ErrNotExist
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// jsonValues decodes every JSON value under prefix, in key order. The result is never nil.
func jsonValues[T any](txn *badger.Txn, prefix []byte) ([]T, error) {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	out := []T{}
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var v T
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return nil, fmt.Errorf("value of %q: %w", it.Item().Key(), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// setNew stores v at k unless the key exists, which is fs.ErrExist.
func setNew(txn *badger.Txn, k, v []byte) error {
	_, err := txn.Get(k)
	switch {
	case err == nil:
		return fs.ErrExist
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	return txn.Set(k, v)
}

// deleteExisting deletes k; an absent key is fs.ErrNotExist.
func deleteExisting(txn *badger.Txn, k []byte) error {
	if _, err := txn.Get(k); err != nil {
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fs.ErrNotExist
		}
		return err
	}
	return txn.Delete(k)
}

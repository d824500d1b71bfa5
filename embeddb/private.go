package embeddb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/private"
)

// Private stores XEP-0049 private XML, one record per element name. It implements
// private.Store.
type Private struct{ db *DB }

// Get returns the XML of owner's entry {space}local; it wraps fs.ErrNotExist when there
// is none.
func (p *Private) Get(ctx context.Context, owner, space, local string) ([]byte, error) {
	if err := checkPrivateKey(owner, space, local); err != nil {
		return nil, err
	}
	var raw []byte
	err := p.db.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(privateKey(owner, space, local))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%q has no {%s}%s: %w", owner, space, local, fs.ErrNotExist)
		}
		if err != nil {
			return err
		}
		raw, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: private %q: %w", owner, err)
	}
	return raw, nil
}

// Put writes every entry in one transaction, or nothing when it would add entries and
// leave owner with more than max (wrapping private.ErrFull). The entry count is kept in the
// privatecount key, which every Put reads and writes: that makes two concurrent Puts of
// one owner conflict, since Badger does not see a key inserted under a prefix.
func (p *Private) Put(ctx context.Context, owner string, entries []private.Entry, max int) error {
	for _, e := range entries {
		if err := checkPrivateKey(owner, e.Space, e.Local); err != nil {
			return err
		}
	}
	if err := checkJID(owner); err != nil {
		return err
	}
	// Later entries with the same key win; each key is looked at once below, before the
	// transaction has written it.
	var keys []string
	final := make(map[string][]byte, len(entries))
	for _, e := range entries {
		k := string(privateKey(owner, e.Space, e.Local))
		if _, seen := final[k]; !seen {
			keys = append(keys, k)
		}
		final[k] = e.XML
	}
	err := p.db.update(ctx, func(txn *badger.Txn) error {
		countKey := privateCountKey(owner)
		count, err := readUint64(txn, countKey)
		if err != nil {
			return err
		}
		before := count
		for _, k := range keys {
			_, err := txn.Get([]byte(k))
			exists := err == nil
			if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			switch xml := final[k]; {
			case xml == nil && exists:
				if err := txn.Delete([]byte(k)); err != nil {
					return err
				}
				count--
			case xml != nil:
				if err := txn.Set([]byte(k), xml); err != nil {
					return err
				}
				if !exists {
					count++
				}
			}
		}
		if count > before && (max < 0 || count > uint64(max)) {
			return fmt.Errorf("%d entries: %w", count, private.ErrFull)
		}
		if count == 0 {
			return txn.Delete(countKey)
		}
		return txn.Set(countKey, binary.BigEndian.AppendUint64(nil, count))
	})
	if err != nil {
		return fmt.Errorf("embeddb: put private %q: %w", owner, err)
	}
	return nil
}

// checkPrivateKey refuses keys that would break the layout: a namespace or name cannot
// hold the separator (XML forbids NUL anyway).
func checkPrivateKey(owner, space, local string) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	if strings.IndexByte(space, sep) >= 0 || strings.IndexByte(local, sep) >= 0 {
		return fmt.Errorf("embeddb: private {%q}%q contains a NUL byte: %w", space, local, fs.ErrInvalid)
	}
	return nil
}

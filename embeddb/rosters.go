package embeddb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/roster"
)

// Rosters stores rosters, their versions and pending inbound subscription
// requests. It implements roster.Store.
type Rosters struct{ db *DB }

// Roster returns owner's items sorted by JID (byte order) and the current
// roster version, read from one snapshot. An owner who never had a roster
// gets no items and version 0.
func (r *Rosters) Roster(ctx context.Context, owner string) ([]roster.Item, uint64, error) {
	if err := checkJID(owner); err != nil {
		return nil, 0, err
	}
	var (
		items   []roster.Item
		version uint64
	)
	prefix := rosterPrefix(owner)
	err := r.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		if version, err = readUint64(txn, rosterVerKey(owner)); err != nil {
			return err
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			it := it.Item()
			var item roster.Item
			if err := it.Value(func(v []byte) error { return json.Unmarshal(v, &item) }); err != nil {
				return fmt.Errorf("item %q: %w", it.Key()[len(prefix):], err)
			}
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("embeddb: roster of %q: %w", owner, err)
	}
	return items, version, nil
}

// Item returns one roster item; it wraps fs.ErrNotExist if contact is not in
// owner's roster.
func (r *Rosters) Item(ctx context.Context, owner, contact string) (roster.Item, error) {
	var item roster.Item
	if err := checkJIDs(owner, contact); err != nil {
		return item, err
	}
	err := r.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		item, err = getItem(txn, owner, contact)
		return err
	})
	if err != nil {
		return roster.Item{}, fmt.Errorf("embeddb: roster item: %w", err)
	}
	return item, nil
}

// PutItem adds or replaces the item for it.JID and returns the owner's new
// roster version, incremented in the same transaction. Versions increase
// strictly but are not consecutive: each is at least the current Unix time
// in microseconds (see bumpVersion).
func (r *Rosters) PutItem(ctx context.Context, owner string, it roster.Item) (uint64, error) {
	if err := checkJIDs(owner, it.JID); err != nil {
		return 0, err
	}
	val, err := json.Marshal(it)
	if err != nil {
		return 0, fmt.Errorf("embeddb: put roster item: %w", err)
	}
	var version uint64
	err = r.db.update(ctx, func(txn *badger.Txn) error {
		if err := txn.Set(rosterKey(owner, it.JID), val); err != nil {
			return err
		}
		var err error
		version, err = bumpVersion(txn, owner)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: put roster item %q for %q: %w", it.JID, owner, err)
	}
	return version, nil
}

// DeleteItem removes contact from owner's roster and returns the new roster
// version; it wraps fs.ErrNotExist (and keeps the version) if contact is not
// in the roster (RFC 6121 §2.5.3: item-not-found).
func (r *Rosters) DeleteItem(ctx context.Context, owner, contact string) (uint64, error) {
	if err := checkJIDs(owner, contact); err != nil {
		return 0, err
	}
	var version uint64
	err := r.db.update(ctx, func(txn *badger.Txn) error {
		k := rosterKey(owner, contact)
		if _, err := txn.Get(k); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%q has no roster item %q: %w", owner, contact, fs.ErrNotExist)
		} else if err != nil {
			return err
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
		var err error
		version, err = bumpVersion(txn, owner)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: delete roster item: %w", err)
	}
	return version, nil
}

// AddPending stores the subscribe stanza from a contact, replacing an earlier
// one from the same JID. The store keeps its own copy of stanza.
func (r *Rosters) AddPending(ctx context.Context, owner, from string, stanza []byte) error {
	if err := checkJIDs(owner, from); err != nil {
		return err
	}
	err := r.db.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(pendingKey(owner, from), stanza)
	})
	if err != nil {
		return fmt.Errorf("embeddb: add pending %q for %q: %w", from, owner, err)
	}
	return nil
}

// DeletePending removes the pending request from a contact. Removing one
// that is not there is not an error: the request is answered either way.
func (r *Rosters) DeletePending(ctx context.Context, owner, from string) error {
	if err := checkJIDs(owner, from); err != nil {
		return err
	}
	err := r.db.update(ctx, func(txn *badger.Txn) error {
		return txn.Delete(pendingKey(owner, from))
	})
	if err != nil {
		return fmt.Errorf("embeddb: delete pending %q for %q: %w", from, owner, err)
	}
	return nil
}

// Pending returns owner's pending requests sorted by From. The stanzas are
// the caller's to keep.
func (r *Rosters) Pending(ctx context.Context, owner string) ([]roster.Pending, error) {
	if err := checkJID(owner); err != nil {
		return nil, err
	}
	var list []roster.Pending
	prefix := pendingPrefix(owner)
	err := r.db.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			stanza, err := item.ValueCopy(nil) // the iterator reuses item memory
			if err != nil {
				return err
			}
			list = append(list, roster.Pending{From: string(item.Key()[len(prefix):]), Stanza: stanza})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: pending of %q: %w", owner, err)
	}
	return list, nil
}

func getItem(txn *badger.Txn, owner, contact string) (roster.Item, error) {
	var item roster.Item
	it, err := txn.Get(rosterKey(owner, contact))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return item, fmt.Errorf("%q has no roster item %q: %w", owner, contact, fs.ErrNotExist)
	}
	if err != nil {
		return item, err
	}
	err = it.Value(func(v []byte) error { return json.Unmarshal(v, &item) })
	return item, err
}

// bumpVersion increments owner's roster version. Reading it makes two
// concurrent changes to one roster conflict, so versions are never reused.
//
// The new version is also at least the current time in microseconds: the
// version is deleted with its account, and a client that cached the roster of
// a deleted account must not find its version valid for a re-created
// account's different roster (RFC 6121 §2.6.3). A clock set back only slows
// the counter down to +1 steps.
func bumpVersion(txn *badger.Txn, owner string) (uint64, error) {
	k := rosterVerKey(owner)
	v, err := readUint64(txn, k)
	if err != nil {
		return 0, err
	}
	v = max(v+1, uint64(time.Now().UnixMicro()))
	return v, txn.Set(k, binary.BigEndian.AppendUint64(nil, v))
}

// readUint64 reads a big-endian counter; a missing key reads as 0.
func readUint64(txn *badger.Txn, k []byte) (uint64, error) {
	n, _, err := getUint64(txn, k)
	return n, err
}

func checkJIDs(jids ...string) error {
	for _, j := range jids {
		if err := checkJID(j); err != nil {
			return err
		}
	}
	return nil
}

package embeddb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/offline"
)

// Offline stores messages for accounts with no available resource. It
// implements offline.Store.
type Offline struct{ db *DB }

// queueMeta is the offlinemeta record: the seq the next message gets and how
// many messages are stored. Every Push and Take reads and writes it, which is
// what makes concurrent ones conflict (Badger cannot see a key inserted under
// a prefix another transaction scanned).
type queueMeta struct{ next, count uint64 }

// Push appends stanza to owner's queue once it is durable; it wraps
// offline.ErrFull when owner already has max messages (so max <= 0 refuses
// everything). The store keeps its own copy of stanza. A stanza larger than
// about 1 MiB cannot be stored (Badger's transaction limit).
func (o *Offline) Push(ctx context.Context, owner string, stanza []byte, max int) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	err := o.db.update(ctx, func(txn *badger.Txn) error {
		m, err := readMeta(txn, owner)
		if err != nil {
			return err
		}
		if max <= 0 || m.count >= uint64(max) {
			return fmt.Errorf("%d stored: %w", m.count, offline.ErrFull)
		}
		if err := txn.Set(offlineKey(owner, m.next), stanza); err != nil {
			return err
		}
		m.next++
		m.count++
		return writeMeta(txn, owner, m)
	})
	if err != nil {
		return fmt.Errorf("embeddb: push offline for %q: %w", owner, err)
	}
	return nil
}

// Take returns owner's messages oldest first and removes them; the result
// is nil if there are none. Up to about a thousand messages are taken in one
// transaction, so each message goes to exactly one caller even when Takes
// race. A larger queue is taken in several transactions, oldest first. If one
// after the first fails, Take returns what it already removed without an
// error (the caller must deliver those) and the rest stays queued for the
// next Take; an error therefore always means nothing was removed.
func (o *Offline) Take(ctx context.Context, owner string) ([][]byte, error) {
	if err := checkJID(owner); err != nil {
		return nil, err
	}
	var all [][]byte
	for {
		var (
			chunk [][]byte
			more  bool
		)
		err := o.db.update(ctx, func(txn *badger.Txn) error {
			var err error
			chunk, more, err = takeChunk(txn, owner)
			return err
		})
		if err != nil && all == nil {
			return nil, fmt.Errorf("embeddb: take offline for %q: %w", owner, err)
		}
		if err != nil {
			o.db.log.Warn("offline messages left queued", "jid", owner, "messages", len(all), "err", err)
			return all, nil
		}
		all = append(all, chunk...)
		if !more {
			return all, nil
		}
		// Messages are removed: a cancelled caller must still get them.
		ctx = context.WithoutCancel(ctx)
	}
}

// takeChunk removes and returns the oldest messages a transaction can delete,
// and reports whether more are left.
func takeChunk(txn *badger.Txn, owner string) (msgs [][]byte, more bool, err error) {
	m, err := readMeta(txn, owner)
	if err != nil {
		return nil, false, err
	}
	prefix := offlinePrefix(owner)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	var keys [][]byte
	b := newBudget()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		if !b.take(item.Key()) {
			more = true
			break
		}
		v, err := item.ValueCopy(nil) // the iterator reuses item memory
		if err != nil {
			it.Close()
			return nil, false, err
		}
		keys = append(keys, bytes.Clone(item.Key()))
		msgs = append(msgs, v)
	}
	it.Close() // before Delete: Discard panics on an open iterator
	if len(keys) == 0 {
		if m != (queueMeta{}) {
			// A count without messages can only come from a bug or a damaged
			// database; repair it rather than refuse pushes forever.
			return nil, false, txn.Delete(offlineMetaKey(owner))
		}
		return nil, false, nil
	}
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return nil, false, err
		}
	}
	m.count -= min(m.count, uint64(len(keys)))
	if m.count == 0 && !more {
		// Nothing left: leave no key behind. seq may start again at 0, as
		// no older message remains to be ordered against.
		err = txn.Delete(offlineMetaKey(owner))
	} else {
		err = writeMeta(txn, owner, m)
	}
	return msgs, more, err
}

// Count returns how many messages owner has stored.
func (o *Offline) Count(ctx context.Context, owner string) (int, error) {
	if err := checkJID(owner); err != nil {
		return 0, err
	}
	var m queueMeta
	err := o.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		m, err = readMeta(txn, owner)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: count offline for %q: %w", owner, err)
	}
	return int(m.count), nil
}

func readMeta(txn *badger.Txn, owner string) (queueMeta, error) {
	var m queueMeta
	item, err := txn.Get(offlineMetaKey(owner))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	err = item.Value(func(v []byte) error {
		if len(v) != 16 {
			return fmt.Errorf("offline meta of %q: %d bytes, want 16", owner, len(v))
		}
		m.next = binary.BigEndian.Uint64(v)
		m.count = binary.BigEndian.Uint64(v[8:])
		return nil
	})
	return m, err
}

func writeMeta(txn *badger.Txn, owner string, m queueMeta) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), m.next)
	v = binary.BigEndian.AppendUint64(v, m.count)
	return txn.Set(offlineMetaKey(owner), v)
}

package embeddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/muc"
)

// kindRoom holds persistent MUC rooms (XEP-0045), one JSON record each.
const kindRoom = "mucroom"

func roomKey(room string) []byte { return key(kindRoom, room) }
func roomPrefix() []byte         { return key(kindRoom, "") }

// Rooms stores persistent multi-user chat rooms. It implements muc.Store.
type Rooms struct{ db *DB }

// Room returns a stored room or muc.ErrNotFound.
func (s *Rooms) Room(ctx context.Context, room string) (muc.Stored, error) {
	var r muc.Stored
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(roomKey(room))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return muc.ErrNotFound
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return json.Unmarshal(v, &r) })
	})
	if err != nil {
		return muc.Stored{}, fmt.Errorf("embeddb: room %q: %w", room, err)
	}
	return r, nil
}

// PutRoom creates or replaces a room.
func (s *Rooms) PutRoom(ctx context.Context, r muc.Stored) error {
	if err := checkJID(r.Room); err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("embeddb: room %q: %w", r.Room, err)
	}
	if err := s.db.update(ctx, func(txn *badger.Txn) error { return txn.Set(roomKey(r.Room), v) }); err != nil {
		return fmt.Errorf("embeddb: put room %q: %w", r.Room, err)
	}
	return nil
}

// DeleteRoom forgets a room.
func (s *Rooms) DeleteRoom(ctx context.Context, room string) error {
	if err := s.db.update(ctx, func(txn *badger.Txn) error { return txn.Delete(roomKey(room)) }); err != nil {
		return fmt.Errorf("embeddb: delete room %q: %w", room, err)
	}
	return nil
}

// Rooms lists every stored room.
func (s *Rooms) Rooms(ctx context.Context) ([]muc.Stored, error) {
	var out []muc.Stored
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		prefix := roomPrefix()
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			var r muc.Stored
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: rooms: %w", err)
	}
	return out, nil
}

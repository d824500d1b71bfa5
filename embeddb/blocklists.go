package embeddb

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Blocklists stores XEP-0191 block lists: one empty-valued key per blocked JID, so a
// list reads with one prefix scan in byte order. It implements blocking.Store.
type Blocklists struct{ db *DB }

// Blocked returns owner's entries in byte order.
func (b *Blocklists) Blocked(ctx context.Context, owner string) ([]string, error) {
	if err := checkJID(owner); err != nil {
		return nil, err
	}
	var jids []string
	err := b.db.view(ctx, func(txn *badger.Txn) error {
		jids = keySuffixes(txn, blockPrefix(owner))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: block list of %q: %w", owner, err)
	}
	return jids, nil
}

// Block adds jids to owner's list. A long list is written in several transactions, so a
// failure may leave part of it added; blocking again is harmless.
func (b *Blocklists) Block(ctx context.Context, owner string, jids []string) error {
	if err := checkEntries(owner, jids); err != nil {
		return err
	}
	err := b.chunked(ctx, owner, jids, func(txn *badger.Txn, k []byte) error { return txn.Set(k, nil) })
	if err != nil {
		return fmt.Errorf("embeddb: block for %q: %w", owner, err)
	}
	return nil
}

// Unblock removes jids from owner's list, or every entry when jids is nil. Like Block, a
// long list is removed in several transactions.
func (b *Blocklists) Unblock(ctx context.Context, owner string, jids []string) error {
	if err := checkEntries(owner, jids); err != nil {
		return err
	}
	var err error
	if jids == nil {
		err = b.unblockAll(ctx, owner)
	} else {
		err = b.chunked(ctx, owner, jids, func(txn *badger.Txn, k []byte) error { return txn.Delete(k) })
	}
	if err != nil {
		return fmt.Errorf("embeddb: unblock for %q: %w", owner, err)
	}
	return nil
}

func (b *Blocklists) unblockAll(ctx context.Context, owner string) error {
	prefix := blockPrefix(owner)
	for more := true; more; {
		err := b.db.update(ctx, func(txn *badger.Txn) error {
			bud := newBudget()
			var err error
			more, err = deletePrefix(txn, prefix, &bud)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// chunked applies op to the key of each JID, in as many transactions as the size limit
// needs (batch.go).
func (b *Blocklists) chunked(ctx context.Context, owner string, jids []string, op func(txn *badger.Txn, k []byte) error) error {
	for len(jids) > 0 {
		var n int
		err := b.db.update(ctx, func(txn *badger.Txn) error {
			bud := newBudget()
			n = 0
			for _, j := range jids {
				k := blockKey(owner, j)
				if !bud.take(k) && n > 0 {
					break
				}
				if err := op(txn, k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		jids = jids[n:]
	}
	return nil
}

// checkEntries checks the owner and that each entry fits the key layout. Entries are
// JIDs of any shape, so unlike owners they may hold '/'.
func checkEntries(owner string, jids []string) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	for _, j := range jids {
		if j == "" || strings.IndexByte(j, sep) >= 0 {
			return fmt.Errorf("embeddb: block list entry %q: %w", j, fs.ErrInvalid)
		}
	}
	return nil
}

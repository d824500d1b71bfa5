package embeddb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// archiveDirName is the archive's Badger directory, inside the main database directory
// (Badger ignores subdirectories, and the main directory's lock covers both).
const archiveDirName = "archive"

// openArchiveDB opens the archive's own Badger instance in dir ("" for memory).
//
// The archive is the one store written at message rate, twice per message, and it grows
// without bound until retention; everything else is small and written rarely. Measured
// with scripts/bench (SCENARIOS=mam, one core for the server; docs/benchmarks.md), in
// the main instance even with chunks it cut 1:1 message throughput from ~170,000/s to
// ~40,000/s, mostly in LSM compaction; here it keeps ~100,000/s. A separate instance
// lets it differ where that matters:
//
//   - Values above archiveValueThreshold (every chunk of messages) go to the value log,
//     written once, and the LSM tree holds only keys and value pointers: compaction
//     moves those instead of every message again at every level (the WiscKey design
//     Badger is built on; the main instance keeps values in the tree, 1 MiB threshold).
//   - No sync per commit: the writer syncs every archiveSyncInterval (archive.go).
//   - Reads of the main instance no longer wait behind archive commits: a Badger read
//     transaction waits for every commit in flight in its instance (oracle.readTs).
//   - No block compression: the tree holds keys and pointers, and the value log is
//     never compressed anyway.
func openArchiveDB(dir string, log *slog.Logger) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithInMemory(dir == "").
		WithMemTableSize(8 << 20).WithNumMemtables(2).
		WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(2 << 20).
		WithValueLogFileSize(64 << 20).
		WithCompression(options.None).
		WithNumCompactors(2).
		WithSyncWrites(false).
		WithCompactL0OnClose(true).
		WithLogger(badgerLogger{log.With("store", "archive")})
	if dir != "" { // in memory, Badger refuses values over the threshold: there is no value log
		opts = opts.WithValueThreshold(archiveValueThreshold)
	}
	bdb, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("embeddb: open archive %s: %w", dir, err)
	}
	return bdb, nil
}

// archiveValueThreshold: values larger than this go to the value log. A chunk holds at
// least one message, so all of them do; an index entry of a few IDs stays in the tree.
const archiveValueThreshold = 64

// update runs fn in a read-write transaction of the archive, retrying on conflicts like
// DB.update. The commit is not synced; the writer syncs (archiveSyncInterval).
func (a *Archive) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := a.bdb.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || attempt == maxAttempts {
			return err
		}
	}
}

// view runs fn in a read-only snapshot transaction of the archive.
func (a *Archive) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.bdb.View(fn)
}

// gcLoop collects value-log garbage (records deleted by retention or with their
// account) every gcInterval until close.
func (a *Archive) gcLoop() {
	defer close(a.gcDone)
	tick := time.NewTicker(gcInterval)
	defer tick.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-tick.C:
		}
		for {
			err := a.bdb.RunValueLogGC(gcDiscardRatio)
			if err == nil {
				continue // a file was rewritten; there may be more
			}
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				a.log.Warn("archive value log gc failed", "err", err)
			}
			break
		}
	}
}

// purge deletes owner's archive and preferences, in as many transactions as it takes.
// The account store calls it when an account is created or deleted.
func (a *Archive) purge(ctx context.Context, owner string) error {
	defer a.forgetPrefs(owner)
	for {
		var more bool
		err := a.update(ctx, func(txn *badger.Txn) error {
			b := newBudget()
			more = false
			for _, p := range [][]byte{mamPrefix(owner), mamWithOwnerPrefix(owner)} {
				m, err := deletePrefix(txn, p, &b)
				if err != nil {
					return err
				}
				more = more || m
			}
			if more {
				return nil
			}
			if err := txn.Delete(mamCountKey(owner)); err != nil {
				return err
			}
			return txn.Delete(mamPrefsKey(owner))
		})
		if err != nil {
			return fmt.Errorf("embeddb: delete archive of %q: %w", owner, err)
		}
		if !more {
			return a.sync()
		}
	}
}

// sync makes what was committed durable (the account store's promise: a deleted
// account's messages are gone).
func (a *Archive) sync() error {
	if err := a.bdb.Sync(); err != nil && !errors.Is(err, badger.ErrBlockedWrites) {
		return err
	}
	return nil
}

package embeddb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Options configures Open.
type Options struct {
	// Dir is the database directory, created 0700 if missing. Ignored with InMemory.
	Dir string
	// Logger receives Badger's messages (its INFO lines at Debug). Nil discards them.
	Logger *slog.Logger
	// InMemory keeps everything in memory and nothing on disk; for tests.
	InMemory bool
}

// gcInterval is how often the value log is garbage-collected. Values under
// Badger's ValueThreshold (1 MiB) live in the LSM tree, so there is seldom work;
// a rare tick costs nothing when there is none.
const gcInterval = 10 * time.Minute

// gcDiscardRatio: rewrite a value-log file when at least half of it is garbage.
const gcDiscardRatio = 0.5

// maxAttempts bounds the retries of a transaction that lost a conflict. Every
// lost attempt means another writer of the same owner committed, so this only
// runs out with dozens of simultaneous writers for one account.
const maxAttempts = 32

// DB is the open database. Its methods and stores are safe for concurrent use.
type DB struct {
	bdb *badger.DB
	log *slog.Logger

	accounts *Accounts
	rosters  *Rosters
	offline  *Offline
	pep      *PEP
	vcards   *VCards
	private  *Private
	archive  *Archive

	stopGC    chan struct{} // closed by Close to end the GC goroutine
	gcDone    chan struct{} // closed when the GC goroutine has returned; nil InMemory
	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the database, checks its schema version (running
// migrations for an older one) and starts value-log garbage collection.
// If another process has the directory open, the error wraps ErrLocked; if the
// database is newer than this build, it wraps ErrSchemaTooNew.
func Open(opts Options) (*DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if opts.InMemory {
		dir = "" // Badger refuses a directory in memory mode.
	} else if dir == "" {
		return nil, errors.New("embeddb: open: no directory")
	}
	bopts := badger.DefaultOptions(dir).
		WithInMemory(opts.InMemory).
		// Small-board sizes (LIBRARIES.md §2): the defaults assume a server
		// with GiBs of RAM (64 MiB memtables ×5, 256 MiB block cache).
		WithMemTableSize(8 << 20).WithNumMemtables(2).
		WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		// Each write is something a client was told is stored.
		WithSyncWrites(true).
		// Every short CLI run (user add while the server is stopped) flushes its memtable
		// into a new level-0 table; without compacting them on close, a scripted import
		// of a few thousand accounts left thousands of files and ever slower opens.
		WithCompactL0OnClose(true).
		WithLogger(badgerLogger{log})
	bdb, err := badger.Open(bopts)
	if err != nil {
		// Badger has no sentinel for this; its text is stable since v1
		// (dir_unix.go: "Cannot acquire directory lock on %q").
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("embeddb: open %s: %w: %w", dir, ErrLocked, err)
		}
		return nil, fmt.Errorf("embeddb: open %s: %w", dir, err)
	}
	if err := ensureSchema(bdb, log, schemaVersion, migrations()); err != nil {
		return nil, errors.Join(err, bdb.Close())
	}
	db := &DB{bdb: bdb, log: log, stopGC: make(chan struct{})}
	db.accounts = &Accounts{db: db}
	db.rosters = &Rosters{db: db}
	db.offline = &Offline{db: db}
	db.pep = &PEP{db: db}
	db.vcards, db.private = &VCards{db: db}, &Private{db: db}
	archiveDir := ""
	if !opts.InMemory {
		archiveDir = filepath.Join(dir, archiveDirName)
	}
	if db.archive, err = newArchive(archiveDir, log); err != nil {
		return nil, errors.Join(err, bdb.Close())
	}
	if !opts.InMemory { // value-log GC is refused in memory mode
		db.gcDone = make(chan struct{})
		go db.gcLoop()
	}
	return db, nil
}

// Close stops garbage collection, waiting for a running pass, and closes the
// database. Later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		archiveErr := db.archive.close() // commits the records still queued
		close(db.stopGC)
		if db.gcDone != nil {
			<-db.gcDone
		}
		if err := db.bdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("embeddb: close: %w", err)
		}
		db.closeErr = errors.Join(db.closeErr, archiveErr)
	})
	return db.closeErr
}

// Accounts returns the account store (admin.AccountStore, c2s.Accounts).
func (db *DB) Accounts() *Accounts { return db.accounts }

// Rosters returns the roster store (roster.Store).
func (db *DB) Rosters() *Rosters { return db.rosters }

// Offline returns the offline message store (offline.Store).
func (db *DB) Offline() *Offline { return db.offline }

// Blocklists returns the block list store (blocking.Store).
func (db *DB) Blocklists() *Blocklists { return &Blocklists{db: db} }

// Invites returns the invitation store (register.Invites, admin.InviteStore).
func (db *DB) Invites() *Invites { return &Invites{db: db} }

// Peers returns the federation peer store (s2s.PeerStore, admin.PeerStore).
func (db *DB) Peers() *Peers { return &Peers{db: db} }

// PEP returns the personal eventing store (pep.Store).
func (db *DB) PEP() *PEP { return db.pep }

// VCards returns the vCard store (vcard.Store).
func (db *DB) VCards() *VCards { return db.vcards }

// Private returns the private XML store (private.Store).
func (db *DB) Private() *Private { return db.private }

// Rooms returns the persistent MUC room store (muc.Store).
func (db *DB) Rooms() *Rooms { return &Rooms{db: db} }

// Archive returns the message archive (mam.Archive).
func (db *DB) Archive() *Archive { return db.archive }

func (db *DB) gcLoop() {
	defer close(db.gcDone)
	tick := time.NewTicker(gcInterval)
	defer tick.Stop()
	for {
		select {
		case <-db.stopGC:
			return
		case <-tick.C:
			if err := db.collectGarbage(); err != nil {
				db.log.Warn("value log gc failed", "err", err)
			}
		}
	}
}

// collectGarbage rewrites value-log files until none is worth it.
// Badger's "nothing to do" (ErrNoRewrite) and "already running or closing"
// (ErrRejected) are not failures.
func (db *DB) collectGarbage() error {
	for {
		select {
		case <-db.stopGC:
			return nil
		default:
		}
		err := db.bdb.RunValueLogGC(gcDiscardRatio)
		switch {
		case err == nil:
			continue // a file was rewritten; there may be more
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return nil
		default:
			return err
		}
	}
}

// update runs fn in a read-write transaction, committed durably, retrying when
// Badger reports a conflict with a concurrent transaction. fn must not have
// side effects outside txn other than on its own result variables, which it
// resets, since it may run several times.
func (db *DB) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.bdb.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || attempt == maxAttempts {
			return err
		}
	}
}

// view runs fn in a read-only snapshot transaction.
func (db *DB) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bdb.View(fn)
}

// badgerLogger adapts Badger's printf logger to slog. Badger's INFO lines
// (flushes, compactions) are routine, so they go to Debug.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(format string, args ...any) { l.logf(slog.LevelError, format, args) }
func (l badgerLogger) Warningf(format string, args ...any) {
	l.logf(slog.LevelWarn, format, args)
}
func (l badgerLogger) Infof(format string, args ...any)  { l.logf(slog.LevelDebug, format, args) }
func (l badgerLogger) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args) }

func (l badgerLogger) logf(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return // skip the Sprintf
	}
	l.log.Log(ctx, level, strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

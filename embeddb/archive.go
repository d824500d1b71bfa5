package embeddb

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/mam"
)

// Archive is the message archive (mam.Archive).
//
// # Writes in the background
//
// Every other store syncs each write before it returns, because each one is something a
// client was told is stored. An archived copy is not: the message itself was delivered
// live or stored offline (durably) on its own, and no client is told "your message is in
// the archive". Yet archiving happens twice per 1:1 message (the sender's copy and the
// recipient's), on the routing path, and a synced Badger commit costs an fsync: 0.2 ms on
// a fast SSD, 2 ms on the test machine, more on an SD card. Done inline, it would cap a
// sender at a few hundred messages a second.
//
// So Append only assigns the ID and queues the record. One writer goroutine gathers what
// is queued for up to archiveBatchDelay, commits it in one transaction, as one chunk per
// owner (archive_chunk.go), and syncs at most every archiveSyncInterval. A crash loses at
// most the records archived in the last archiveBatchDelay+archiveSyncInterval (about a
// tenth of a second). Query first makes the writer commit everything queued before it,
// so a client never misses a record it could know about (its stanza-id, say).
//
// Append assigns the ID and queues the record under one lock, so the queue, and so every
// commit, is in ID order: a committed record has all older records committed with or
// before it, and paging "after the newest ID I know" cannot skip an older record that
// became visible later.
//
// The archive has its own Badger instance (archive_db.go), tuned for what it is: a log
// written at message rate, read a page at a time.
//
// # IDs
//
// An ID is 15 bytes, the archive time in Unix microseconds (uint64 big-endian) then 7
// random bytes, written in base32hex, whose alphabet is in ASCII order: so IDs sort like
// their bytes, by time. The time is kept strictly increasing across the whole archive
// (and across restarts, through mamClockKey), so IDs never repeat and never go backwards.
// The random part makes them unpredictable (XEP-0359 §6): an ID reveals when a message
// was archived, which the result's delay stamp says anyway, but not how many there are.
type Archive struct {
	bdb *badger.DB // the archive's own instance; see archive_db.go
	log *slog.Logger

	// mu orders Appends: it guards last and is held while a record is queued, so the
	// queue holds records in ID order.
	mu     sync.Mutex
	last   uint64 // the newest archive time handed out, Unix µs; guarded by mu
	closed bool   // no more Appends; guarded by mu
	// random makes the unpredictable part of IDs: a CSPRNG seeded from crypto/rand,
	// without a system call per ID. It is guarded by mu.
	random *mrand.ChaCha8

	// prefs caches Prefs by owner (the zero Prefs for none): the message hooks ask for
	// every message, and a Badger read transaction waits for every commit in flight
	// (oracle.readTs), so a read per message would stall routing behind the archive
	// writer's fsync. It is guarded by prefsMu, and so is prefsGen, which forgetPrefs
	// bumps: a read that began before a change does not cache what it read.
	prefsMu  sync.Mutex
	prefs    map[string]mam.Prefs
	prefsGen uint64

	queue   chan archiveOp
	pending atomic.Int64  // records queued and not yet committed
	gcDone  chan struct{} // closed when the value-log GC goroutine has returned; nil in memory
	// batchDelay is how long the writer waits for more records before a commit
	// (archiveBatchDelay; tests make it long, so that a commit waits for a Query). Set
	// before the writer starts.
	batchDelay time.Duration
	stop       chan struct{} // closed by close to end the writer
	done       chan struct{} // closed when the writer has returned
}

// archiveOp is one queued record, or a flush marker (flushed != nil) that the writer
// closes once everything queued before it is committed.
type archiveOp struct {
	owner   string
	rec     chunkRecord
	flushed chan struct{}
}

const (
	// idLen is the length of an archive ID in bytes: 8 of time and 7 random.
	idLen = 15
	// archiveQueueLen bounds the records waiting for the writer; Append blocks when
	// it is full, so a disk that cannot keep up slows senders down instead of filling memory.
	archiveQueueLen = 8192
	// archiveSyncInterval is how long a committed record may wait for its fsync.
	archiveSyncInterval = 100 * time.Millisecond
	// archiveBatchDelay is how long a record may wait for others to share its commit.
	// Nobody waits for it: a Query makes the writer commit at once.
	archiveBatchDelay = 10 * time.Millisecond
	// archiveBatchRecords and archiveBatchBytes bound one commit, well under Badger's
	// transaction limit (batch.go).
	archiveBatchRecords = 2000
	archiveBatchBytes   = 512 << 10
	// maxChunkRecords bounds a chunk (and fits its user byte), so that finding one
	// record (a query's cursor) never decodes more than this many.
	maxChunkRecords = 64
)

// idEncoding writes IDs: base32hex keeps byte order; 15 bytes are exactly 24 characters.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

var errArchiveClosed = errors.New("embeddb: archive closed")

// newArchive opens the archive in dir ("" in memory) and starts its writer and, on
// disk, its value-log garbage collection.
func newArchive(dir string, log *slog.Logger) (*Archive, error) {
	a, err := openArchive(dir, log)
	if err != nil {
		return nil, err
	}
	go a.writer()
	if dir != "" {
		a.gcDone = make(chan struct{})
		go a.gcLoop()
	}
	return a, nil
}

// openArchive opens the archive's database and reads its clock; the caller starts the
// writer.
func openArchive(dir string, log *slog.Logger) (*Archive, error) {
	bdb, err := openArchiveDB(dir, log)
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, errors.Join(err, bdb.Close())
	}
	a := &Archive{
		random:     mrand.NewChaCha8(seed),
		batchDelay: archiveBatchDelay,
		bdb:        bdb,
		log:        log,
		prefs:      make(map[string]mam.Prefs),
		queue:      make(chan archiveOp, archiveQueueLen),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	err = a.view(context.Background(), func(txn *badger.Txn) error {
		var err error
		a.last, err = readUint64(txn, []byte(mamClockKey))
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("embeddb: archive clock: %w", err), bdb.Close())
	}
	return a, nil
}

// close commits what is queued, stops the writer and the GC, and closes the database.
// Appends after close fail.
func (a *Archive) close() error {
	// An Append waiting for room in the queue holds mu; the writer still runs and
	// makes room, so this waits for it rather than lose its record.
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	<-a.done
	if a.gcDone != nil {
		<-a.gcDone
	}
	if err := a.bdb.Close(); err != nil {
		return fmt.Errorf("embeddb: close archive: %w", err)
	}
	return nil
}

// Append queues r for owner and returns its ID; see the type's doc for when it is durable.
// It keeps r.Stanza (mam.Archive).
func (a *Archive) Append(ctx context.Context, owner string, r mam.Record) (string, error) {
	if err := checkJID(owner); err != nil {
		return "", err
	}
	if peer := bareOf(r.With); peer == "" || strings.IndexByte(r.With, sep) >= 0 {
		return "", fmt.Errorf("embeddb: archive for %q: bad peer %q", owner, r.With)
	}
	id := make([]byte, idLen)
	op := archiveOp{owner: owner, rec: chunkRecord{id: id, with: []byte(r.With), stanza: r.Stanza}}

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return "", errArchiveClosed
	}
	a.random.Read(id[8:])
	us := uint64(max(r.Time.UnixMicro(), 0))
	if us <= a.last {
		us = a.last + 1
	}
	binary.BigEndian.PutUint64(id[:8], us)
	a.pending.Add(1)
	select {
	case a.queue <- op:
	case <-ctx.Done():
		a.pending.Add(-1)
		return "", ctx.Err()
	}
	a.last = us
	return idEncoding.EncodeToString(id), nil
}

// flush returns once every record queued before the call is committed (or failed).
func (a *Archive) flush(ctx context.Context) error {
	if a.pending.Load() == 0 {
		return nil
	}
	op := archiveOp{flushed: make(chan struct{})}
	select {
	case a.queue <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-a.stop:
		return errArchiveClosed
	}
	select {
	case <-op.flushed:
		return nil
	case <-a.done:
		return errArchiveClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer commits queued records in batches until close.
func (a *Archive) writer() {
	defer close(a.done)
	var batch []archiveOp
	// sync is armed after a commit, to sync at most archiveSyncInterval later: the
	// commits in between are covered by that one fsync.
	sync := time.NewTimer(time.Hour)
	sync.Stop()
	var lastSync time.Time
	armed := false
	syncNow := func() {
		if err := a.bdb.Sync(); err != nil {
			a.log.Error("archive sync failed", "err", err)
		}
		lastSync, armed = time.Now(), false
	}
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		batch = batch[:0]
		select {
		case op := <-a.queue:
			batch = append(batch, op)
			if op.flushed == nil {
				batch = a.gather(batch, gather)
			}
		case <-sync.C:
			syncNow()
			continue
		case <-a.stop:
			// Commit what was queued before close, then stop (Close syncs).
			for {
				batch = a.take(batch[:0])
				if len(batch) == 0 {
					return
				}
				a.commit(batch)
			}
		}
		batch = a.take(batch)
		a.commit(batch)
		clear(batch) // let the committed values go
		switch wait := archiveSyncInterval - time.Since(lastSync); {
		case wait <= 0:
			syncNow()
		case !armed:
			sync.Reset(wait)
			armed = true
		}
	}
}

// gather waits up to a.batchDelay for more records after the first of a batch, and
// returns early for a flush (a query waits), at the batch limits or at close. Waiting
// makes chunks: with a batch every few milliseconds an owner's records share an entry,
// where a commit per record would cost three entries each (chunk, count, index).
func (a *Archive) gather(batch []archiveOp, timer *time.Timer) []archiveOp {
	timer.Reset(a.batchDelay)
	defer timer.Stop()
	records, size := 1, batch[0].rec.size()
	for records < archiveBatchRecords && size < archiveBatchBytes {
		select {
		case op := <-a.queue:
			batch = append(batch, op)
			if op.flushed != nil {
				return batch
			}
			records++
			size += op.rec.size()
		case <-timer.C:
			return batch
		case <-a.stop:
			return batch
		}
	}
	return batch
}

// take adds queued ops to batch, without waiting, up to the batch limits.
func (a *Archive) take(batch []archiveOp) []archiveOp {
	records, size := 0, 0
	for _, op := range batch {
		if op.flushed == nil {
			records++
			size += op.rec.size()
		}
	}
	for records < archiveBatchRecords && size < archiveBatchBytes {
		select {
		case op := <-a.queue:
			batch = append(batch, op)
			if op.flushed == nil {
				records++
				size += op.rec.size()
			}
		default:
			return batch
		}
	}
	return batch
}

// commit writes the records of batch in one transaction, then releases its flush markers.
// Each owner's records become chunks of up to maxChunkRecords (archive_chunk.go), so under
// load one Badger entry holds many records: Badger's cost (memtable inserts, compaction,
// which rewrites every key several times over its life) is mostly per entry.
func (a *Archive) commit(batch []archiveOp) {
	var (
		owners  []string
		byOwner = make(map[string][]chunkRecord)
		clock   uint64
	)
	for _, op := range batch {
		if op.flushed != nil {
			continue
		}
		if _, ok := byOwner[op.owner]; !ok {
			owners = append(owners, op.owner)
		}
		byOwner[op.owner] = append(byOwner[op.owner], op.rec) // in ID order, as queued
		clock = max(clock, binary.BigEndian.Uint64(op.rec.id[:8]))
	}
	records := len(batch) - countFlushes(batch)
	if records > 0 {
		err := a.update(context.Background(), func(txn *badger.Txn) error {
			for _, owner := range owners {
				recs := byOwner[owner]
				for c := range slices.Chunk(recs, maxChunkRecords) {
					if err := putChunk(txn, owner, c); err != nil {
						return err
					}
				}
				count, err := readCount(txn, owner)
				if err != nil {
					return err
				}
				if err := writeCount(txn, owner, count+uint64(len(recs))); err != nil {
					return err
				}
			}
			// The clock only grows: a batch holds the newest IDs handed out so far.
			old, err := readUint64(txn, []byte(mamClockKey))
			if err != nil {
				return err
			}
			return txn.Set([]byte(mamClockKey), binary.BigEndian.AppendUint64(nil, max(old, clock)))
		})
		if err != nil {
			a.log.Error("archive write failed, messages not archived", "messages", records, "err", err)
		}
		a.pending.Add(-int64(records))
	}
	for _, op := range batch {
		if op.flushed != nil {
			close(op.flushed)
		}
	}
}

func countFlushes(batch []archiveOp) int {
	n := 0
	for _, op := range batch {
		if op.flushed != nil {
			n++
		}
	}
	return n
}

// maxCachedPrefs bounds the preferences cache; past it the cache starts again empty.
const maxCachedPrefs = 100_000

// Prefs returns owner's archiving preferences (zero if never set), from memory after the
// first read.
func (a *Archive) Prefs(ctx context.Context, owner string) (mam.Prefs, error) {
	var p mam.Prefs
	if err := checkJID(owner); err != nil {
		return p, err
	}
	a.prefsMu.Lock()
	p, ok := a.prefs[owner]
	gen := a.prefsGen
	a.prefsMu.Unlock()
	if ok {
		return clonePrefs(p), nil
	}
	err := a.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(mamPrefsKey(owner))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return json.Unmarshal(v, &p) })
	})
	if err != nil {
		return mam.Prefs{}, fmt.Errorf("embeddb: archive prefs of %q: %w", owner, err)
	}
	a.cachePrefs(owner, p, gen)
	return clonePrefs(p), nil
}

// cachePrefs keeps p, read when the cache was at generation gen, unless it changed since.
func (a *Archive) cachePrefs(owner string, p mam.Prefs, gen uint64) {
	a.prefsMu.Lock()
	defer a.prefsMu.Unlock()
	if gen != a.prefsGen {
		return
	}
	if len(a.prefs) >= maxCachedPrefs {
		clear(a.prefs)
	}
	a.prefs[owner] = p
}

// forgetPrefs drops owner's cached preferences after they changed in the database.
func (a *Archive) forgetPrefs(owner string) {
	a.prefsMu.Lock()
	delete(a.prefs, owner)
	a.prefsGen++
	a.prefsMu.Unlock()
}

// clonePrefs copies p's lists, so callers never share the cache's memory.
func clonePrefs(p mam.Prefs) mam.Prefs {
	p.Always, p.Never = slices.Clone(p.Always), slices.Clone(p.Never)
	return p
}

// SetPrefs stores owner's archiving preferences, durably.
func (a *Archive) SetPrefs(ctx context.Context, owner string, p mam.Prefs) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	v, err := json.Marshal(p)
	if err == nil {
		err = a.update(ctx, func(txn *badger.Txn) error { return txn.Set(mamPrefsKey(owner), v) })
		a.forgetPrefs(owner) // even after an error: the commit may have happened
		if err == nil {
			err = a.sync() // the user was told the preferences are set
		}
	}
	if err != nil {
		return fmt.Errorf("embeddb: set archive prefs of %q: %w", owner, err)
	}
	return nil
}

// parseArchiveID returns the key bytes of an ID, or false if it is not one of ours.
func parseArchiveID(id string) ([]byte, bool) {
	if len(id) != idEncoding.EncodedLen(idLen) {
		return nil, false
	}
	raw, err := idEncoding.DecodeString(id)
	if err != nil || len(raw) != idLen {
		return nil, false
	}
	return raw, true
}

func readCount(txn *badger.Txn, owner string) (uint64, error) {
	return readUint64(txn, mamCountKey(owner))
}

func writeCount(txn *badger.Txn, owner string, n uint64) error {
	return txn.Set(mamCountKey(owner), binary.BigEndian.AppendUint64(nil, n))
}

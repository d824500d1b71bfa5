package embeddb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
// a fast SSD, 2 ms on the test machine, more on an SD card. Done inline it would cut
// message throughput several times.
//
// So Append only assigns the ID and queues the record; one writer goroutine commits what
// is queued in a single synced transaction (group commit: under load one fsync covers
// hundreds of records). A crash loses at most the records queued in the last few
// milliseconds. Query first waits until everything queued before it is committed, so a
// client never misses a record it could know about (its stanza-id, say).
//
// Append assigns the ID and queues the record under one lock, so the queue, and so every
// commit, is in ID order: a committed record has all older records committed with or
// before it, and paging "after the newest ID I know" cannot skip an older record that
// became visible later.
//
// # Keys
//
// An ID is 15 bytes, the archive time in Unix microseconds (uint64 big-endian) then 7
// random bytes, written in base32hex, whose alphabet is in ASCII order: so IDs sort like
// their bytes, by time. The time is kept strictly increasing across the whole database
// (and across restarts, through mamclockKey), so IDs never repeat and never go backwards.
// The random part makes them unpredictable (XEP-0359 §6): an ID reveals when a message
// was archived, which the result's delay stamp says anyway, but not how many there are.
type Archive struct {
	db  *DB
	log *slog.Logger

	// mu orders Appends: it guards last and is held while a record is queued, so the
	// queue holds records in ID order.
	mu     sync.Mutex
	last   uint64 // the newest archive time handed out, Unix µs; guarded by mu
	closed bool   // no more Appends; guarded by mu

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
	stop    chan struct{} // closed by close to end the writer
	done    chan struct{} // closed when the writer has returned
}

// archiveOp is one queued record, or a flush marker (flushed != nil) that the writer
// closes once everything queued before it is committed.
type archiveOp struct {
	owner   string
	id      [idLen]byte
	peer    string // bare JID of With, for the with index
	value   []byte
	flushed chan struct{}
}

const (
	// idLen is the length of an archive ID in bytes: 8 of time and 7 random.
	idLen = 15
	// archiveQueueLen bounds the records waiting for the writer; Append blocks when
	// it is full, so a disk that cannot keep up slows senders down instead of filling memory.
	archiveQueueLen = 4096
	// archiveBatchRecords and archiveBatchBytes bound one commit, well under Badger's
	// transaction limit (batch.go): each record is two entries.
	archiveBatchRecords = 1000
	archiveBatchBytes   = 512 << 10
)

// idEncoding writes IDs: base32hex keeps byte order; 15 bytes are exactly 24 characters.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

var errArchiveClosed = errors.New("embeddb: archive closed")

func newArchive(db *DB) (*Archive, error) {
	a := &Archive{
		db:    db,
		log:   db.log,
		prefs: make(map[string]mam.Prefs),
		queue: make(chan archiveOp, archiveQueueLen),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	err := db.view(context.Background(), func(txn *badger.Txn) error {
		var err error
		a.last, err = readUint64(txn, []byte(mamClockKey))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: archive clock: %w", err)
	}
	go a.writer()
	return a, nil
}

// close commits what is queued and stops the writer. Appends after close fail.
func (a *Archive) close() {
	// An Append waiting for room in the queue holds mu; the writer still runs and
	// makes room, so this waits for it rather than lose its record.
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	<-a.done
}

// Append queues r for owner and returns its ID; see the type's doc for when it is durable.
func (a *Archive) Append(ctx context.Context, owner string, r mam.Record) (string, error) {
	if err := checkJID(owner); err != nil {
		return "", err
	}
	peer, _, _ := strings.Cut(r.With, "/")
	if peer == "" || strings.IndexByte(peer, sep) >= 0 {
		return "", fmt.Errorf("embeddb: archive for %q: bad peer %q", owner, r.With)
	}
	value := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen16+len(r.With)+len(r.Stanza)), uint64(len(r.With)))
	value = append(value, r.With...)
	value = append(value, r.Stanza...)
	op := archiveOp{owner: owner, peer: peer, value: value}
	if _, err := rand.Read(op.id[8:]); err != nil {
		return "", err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return "", errArchiveClosed
	}
	us := uint64(max(r.Time.UnixMicro(), 0))
	if us <= a.last {
		us = a.last + 1
	}
	binary.BigEndian.PutUint64(op.id[:8], us)
	a.pending.Add(1)
	select {
	case a.queue <- op:
	case <-ctx.Done():
		a.pending.Add(-1)
		return "", ctx.Err()
	}
	a.last = us
	return idEncoding.EncodeToString(op.id[:]), nil
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
	for {
		batch = batch[:0]
		select {
		case op := <-a.queue:
			batch = append(batch, op)
		case <-a.stop:
			// Commit what was queued before close, then stop.
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
	}
}

// take adds queued ops to batch, without waiting, up to the batch limits.
func (a *Archive) take(batch []archiveOp) []archiveOp {
	records, size := 0, 0
	for _, op := range batch {
		if op.flushed == nil {
			records++
			size += len(op.value)
		}
	}
	for records < archiveBatchRecords && size < archiveBatchBytes {
		select {
		case op := <-a.queue:
			batch = append(batch, op)
			if op.flushed == nil {
				records++
				size += len(op.value) + 2*len(op.owner) + len(op.peer)
			}
		default:
			return batch
		}
	}
	return batch
}

// commit writes the records of batch in one transaction, then releases its flush markers.
func (a *Archive) commit(batch []archiveOp) {
	var records int
	var clock uint64
	for _, op := range batch {
		if op.flushed == nil {
			records++
			clock = max(clock, binary.BigEndian.Uint64(op.id[:8]))
		}
	}
	if records > 0 {
		err := a.db.update(context.Background(), func(txn *badger.Txn) error {
			added := make(map[string]uint64)
			for _, op := range batch {
				if op.flushed != nil {
					continue
				}
				if err := txn.Set(mamKey(op.owner, op.id[:]), op.value); err != nil {
					return err
				}
				if err := txn.Set(mamWithKey(op.owner, op.peer, op.id[:]), nil); err != nil {
					return err
				}
				added[op.owner]++
			}
			for owner, n := range added {
				count, err := readCount(txn, owner)
				if err != nil {
					return err
				}
				if err := writeCount(txn, owner, count+n); err != nil {
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

// Query returns one page of owner's archive; see mam.Archive.
func (a *Archive) Query(ctx context.Context, owner string, q mam.Query) (mam.Page, error) {
	if err := checkJID(owner); err != nil {
		return mam.Page{}, err
	}
	if err := a.flush(ctx); err != nil {
		return mam.Page{}, fmt.Errorf("embeddb: archive query for %q: %w", owner, err)
	}
	var page mam.Page
	err := a.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		page, err = queryArchive(txn, owner, q)
		return err
	})
	if err != nil {
		return mam.Page{}, fmt.Errorf("embeddb: archive query for %q: %w", owner, err)
	}
	return page, nil
}

// bounds is a range of ID bytes: lo included, hi excluded, nil for no bound.
type bounds struct{ lo, hi []byte }

func (b bounds) contains(id []byte) bool {
	return (b.lo == nil || bytes.Compare(id, b.lo) >= 0) && (b.hi == nil || bytes.Compare(id, b.hi) < 0)
}

// after narrows b to IDs after id; before to IDs before id.
func (b *bounds) after(id []byte) {
	// id+0x00 is the smallest byte string after id, and IDs all have one length.
	next := append(slices.Clip(id), 0)
	if b.lo == nil || bytes.Compare(next, b.lo) > 0 {
		b.lo = next
	}
}

func (b *bounds) before(id []byte) {
	if b.hi == nil || bytes.Compare(id, b.hi) < 0 {
		b.hi = id
	}
}

// timeBound is the smallest ID of the microsecond us.
func timeBound(us int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, idLen), uint64(max(us, 0)))
}

func queryArchive(txn *badger.Txn, owner string, q mam.Query) (mam.Page, error) {
	// Every ID the query names must be in the archive (XEP-0313 §4.1.3, §4.3.2).
	lookup := func(id string) ([]byte, error) {
		raw, ok := parseArchiveID(id)
		if !ok {
			return nil, fmt.Errorf("%q: %w", id, mam.ErrNotFound)
		}
		if _, err := txn.Get(mamKey(owner, raw)); errors.Is(err, badger.ErrKeyNotFound) {
			return nil, fmt.Errorf("%q: %w", id, mam.ErrNotFound)
		} else if err != nil {
			return nil, err
		}
		return raw, nil
	}

	var filter bounds
	if !q.Start.IsZero() {
		us := q.Start.UnixMicro()
		if time.UnixMicro(us).Before(q.Start) {
			us++ // Start has a fraction of a µs: the records of that µs are before it
		}
		filter.lo = timeBound(us)
	}
	if !q.End.IsZero() {
		filter.hi = timeBound(q.End.UnixMicro() + 1)
	}
	for _, c := range []struct {
		id    string
		apply func(*bounds, []byte)
	}{{q.AfterID, (*bounds).after}, {q.BeforeID, (*bounds).before}} {
		if c.id == "" {
			continue
		}
		raw, err := lookup(c.id)
		if err != nil {
			return mam.Page{}, err
		}
		c.apply(&filter, raw)
	}
	paging := filter
	if q.After != "" {
		raw, err := lookup(q.After)
		if err != nil {
			return mam.Page{}, err
		}
		paging.after(raw)
	}
	if q.Before != "" {
		raw, err := lookup(q.Before)
		if err != nil {
			return mam.Page{}, err
		}
		paging.before(raw)
	}
	backward := q.Before != "" || q.Last

	s := archiveScan{txn: txn, owner: owner, with: q.With}
	if q.IDs != nil {
		return s.queryIDs(q, lookup, filter, paging, backward)
	}
	var page mam.Page
	var err error
	unfiltered := q.With == "" && q.Start.IsZero() && q.End.IsZero() && q.AfterID == "" && q.BeforeID == ""
	if unfiltered {
		var n uint64
		n, err = readCount(txn, owner)
		page.Count = int(n)
	} else {
		page.Count, err = s.count(filter)
	}
	if err != nil {
		return mam.Page{}, err
	}
	page.Items, page.Complete, err = s.page(paging, backward, q.Max)
	return page, err
}

// archiveScan reads one owner's archive, through the with index when with is set.
type archiveScan struct {
	txn   *badger.Txn
	owner string
	with  string // "" for all records
}

func (s archiveScan) prefix() []byte {
	if s.with == "" {
		return mamPrefix(s.owner)
	}
	bare, _, _ := strings.Cut(s.with, "/")
	return mamWithPrefix(s.owner, bare)
}

// exact reports whether records must be read to match s.with: a full JID matches only
// itself, and the index is by bare JID.
func (s archiveScan) exact() bool { return strings.Contains(s.with, "/") }

// each calls fn with the IDs in b, in order or in reverse, until fn returns false.
func (s archiveScan) each(b bounds, reverse bool, fn func(id []byte) (bool, error)) error {
	prefix := s.prefix()
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	opts.Reverse = reverse
	it := s.txn.NewIterator(opts)
	defer it.Close()
	var seek []byte
	switch {
	case !reverse:
		seek = append(slices.Clip(prefix), b.lo...)
	case b.hi != nil:
		seek = append(slices.Clip(prefix), b.hi...)
	default:
		seek = append(slices.Clip(prefix), 0xff)
	}
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		id := it.Item().Key()[len(prefix):]
		if !b.contains(id) {
			if reverse && b.hi != nil && bytes.Compare(id, b.hi) >= 0 {
				continue // a reverse Seek lands on hi itself, which is excluded
			}
			return nil
		}
		ok, err := fn(id)
		if err != nil || !ok {
			return err
		}
	}
	return nil
}

// record reads the record id; it reports false when s.with is a full JID that the
// record's With is not.
func (s archiveScan) record(id []byte) (mam.Record, bool, error) {
	item, err := s.txn.Get(mamKey(s.owner, id))
	if err != nil {
		return mam.Record{}, false, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return mam.Record{}, false, err
	}
	r, err := decodeRecord(id, v)
	if err != nil {
		return mam.Record{}, false, fmt.Errorf("record %s: %w", idEncoding.EncodeToString(id), err)
	}
	return r, !s.exact() || r.With == s.with, nil
}

// count counts the records in b, reading keys only unless a full JID must be matched.
func (s archiveScan) count(b bounds) (int, error) {
	n := 0
	err := s.each(b, false, func(id []byte) (bool, error) {
		if s.exact() {
			_, ok, err := s.record(id)
			if err != nil || !ok {
				return err == nil, err
			}
		}
		n++
		return true, nil
	})
	return n, err
}

// page reads up to limit records in b from the start (or from the end when backward), and
// reports whether no more lie beyond them.
func (s archiveScan) page(b bounds, backward bool, limit int) ([]mam.Record, bool, error) {
	limit = max(limit, 0)
	var items []mam.Record
	complete := true
	err := s.each(b, backward, func(id []byte) (bool, error) {
		r, ok, err := s.record(id)
		if err != nil || !ok {
			return err == nil, err
		}
		if len(items) == limit {
			complete = false
			return false, nil
		}
		items = append(items, r)
		return true, nil
	})
	if backward {
		slices.Reverse(items)
	}
	return items, complete, err
}

// queryIDs answers a query with an ids filter (XEP-0313 §4.1.3): every ID must exist.
func (s archiveScan) queryIDs(q mam.Query, lookup func(string) ([]byte, error), filter, paging bounds, backward bool) (mam.Page, error) {
	var matched []mam.Record
	seen := make(map[string]bool, len(q.IDs))
	for _, id := range q.IDs {
		raw, err := lookup(id)
		if err != nil {
			return mam.Page{}, err
		}
		if seen[id] || !filter.contains(raw) {
			continue
		}
		seen[id] = true
		r, _, err := s.record(raw)
		if err != nil {
			return mam.Page{}, err
		}
		if q.With != "" && !withMatches(q.With, r.With) {
			continue
		}
		matched = append(matched, r)
	}
	slices.SortFunc(matched, func(x, y mam.Record) int { return strings.Compare(x.ID, y.ID) })
	page := mam.Page{Count: len(matched), Complete: true}
	var inPage []mam.Record
	for _, r := range matched {
		raw, _ := parseArchiveID(r.ID)
		if paging.contains(raw) {
			inPage = append(inPage, r)
		}
	}
	if n := max(q.Max, 0); len(inPage) > n {
		page.Complete = false
		if backward {
			inPage = inPage[len(inPage)-n:]
		} else {
			inPage = inPage[:n]
		}
	}
	page.Items = inPage
	return page, nil
}

// withMatches applies XEP-0313 §4.1.1: a bare JID matches its full JIDs too.
func withMatches(with, recordWith string) bool {
	if strings.Contains(with, "/") {
		return recordWith == with
	}
	bare, _, _ := strings.Cut(recordWith, "/")
	return bare == with
}

// DeleteBefore removes every archived record older than cutoff, owner by owner, in
// transactions within Badger's size limit.
func (a *Archive) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	if err := a.flush(ctx); err != nil {
		return 0, fmt.Errorf("embeddb: archive retention: %w", err)
	}
	var owners []string
	prefix := mamCountPrefix()
	err := a.db.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			owners = append(owners, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: archive retention: %w", err)
	}
	us := cutoff.UnixMicro()
	if time.UnixMicro(us).Before(cutoff) {
		us++ // cutoff has a fraction of a µs: the records of that µs are older
	}
	limit := timeBound(us)
	total := 0
	for _, owner := range owners {
		for {
			var n int
			var more bool
			err := a.db.update(ctx, func(txn *badger.Txn) error {
				var err error
				n, more, err = deleteOldRecords(txn, owner, limit)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("embeddb: archive retention for %q: %w", owner, err)
			}
			total += n
			if !more {
				break
			}
		}
	}
	return total, nil
}

// deleteOldRecords deletes owner's records with IDs below limit, as many as one
// transaction takes, and keeps the count right.
func deleteOldRecords(txn *badger.Txn, owner string, limit []byte) (n int, more bool, err error) {
	prefix := mamPrefix(owner)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	var keys [][]byte
	b := newBudget()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		id := item.Key()[len(prefix):]
		if bytes.Compare(id, limit) >= 0 {
			break
		}
		var with []byte
		err := item.Value(func(v []byte) error {
			w, _, err := splitRecord(v)
			with = bytes.Clone(w)
			return err
		})
		if err != nil {
			it.Close()
			return 0, false, err
		}
		peer, _, _ := bytes.Cut(with, []byte("/"))
		wk := mamWithKey(owner, string(peer), id)
		if !b.take(item.Key()) || !b.take(wk) {
			more = true
			break
		}
		keys = append(keys, bytes.Clone(item.Key()), wk)
	}
	it.Close() // before Delete: Discard panics on an open iterator
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return 0, false, err
		}
	}
	n = len(keys) / 2
	if n == 0 {
		return 0, false, nil
	}
	count, err := readCount(txn, owner)
	if err != nil {
		return 0, false, err
	}
	count -= min(count, uint64(n))
	if count == 0 && !more {
		return n, false, txn.Delete(mamCountKey(owner))
	}
	return n, more, writeCount(txn, owner, count)
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
	err := a.db.view(ctx, func(txn *badger.Txn) error {
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
		err = a.db.update(ctx, func(txn *badger.Txn) error { return txn.Set(mamPrefsKey(owner), v) })
		a.forgetPrefs(owner) // even after an error: the commit may have happened
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

// splitRecord splits a stored value into With and the stanza.
func splitRecord(v []byte) (with, stanza []byte, err error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return nil, nil, errors.New("damaged archive record")
	}
	return v[k : k+int(n)], v[k+int(n):], nil
}

func decodeRecord(id, v []byte) (mam.Record, error) {
	with, st, err := splitRecord(v)
	if err != nil {
		return mam.Record{}, err
	}
	return mam.Record{
		ID:     idEncoding.EncodeToString(id),
		Time:   time.UnixMicro(int64(binary.BigEndian.Uint64(id))).UTC(),
		With:   string(with),
		Stanza: st,
	}, nil
}

func readCount(txn *badger.Txn, owner string) (uint64, error) {
	return readUint64(txn, mamCountKey(owner))
}

func writeCount(txn *badger.Txn, owner string, n uint64) error {
	return txn.Set(mamCountKey(owner), binary.BigEndian.AppendUint64(nil, n))
}

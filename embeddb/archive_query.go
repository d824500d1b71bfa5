package embeddb

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/mam"
)

// Query returns one page of owner's archive; see mam.Archive. It first waits for the
// records queued before it.
func (a *Archive) Query(ctx context.Context, owner string, q mam.Query) (mam.Page, error) {
	if err := checkJID(owner); err != nil {
		return mam.Page{}, err
	}
	if err := a.flush(ctx); err != nil {
		return mam.Page{}, fmt.Errorf("embeddb: archive query for %q: %w", owner, err)
	}
	var page mam.Page
	err := a.view(ctx, func(txn *badger.Txn) error {
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

// ceilMicro is t in Unix microseconds, rounded up.
func ceilMicro(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

func queryArchive(txn *badger.Txn, owner string, q mam.Query) (mam.Page, error) {
	s := &archiveScan{txn: txn, owner: owner, with: q.With, find: recordFinder{txn: txn, owner: owner}}
	defer s.find.close()
	// Every ID the query names must be in the archive (XEP-0313 §4.1.3, §4.3.2).
	lookup := func(id string) ([]byte, error) {
		raw, ok := parseArchiveID(id)
		if !ok {
			return nil, fmt.Errorf("%q: %w", id, mam.ErrNotFound)
		}
		_, found, err := s.find.find(raw)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("%q: %w", id, mam.ErrNotFound)
		}
		return raw, nil
	}

	var filter bounds
	if !q.Start.IsZero() {
		filter.lo = timeBound(ceilMicro(q.Start))
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

	if q.IDs != nil {
		return s.queryIDs(q, lookup, filter, paging, backward)
	}
	var page mam.Page
	var err error
	if q.With == "" && q.Start.IsZero() && q.End.IsZero() && q.AfterID == "" && q.BeforeID == "" {
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
	find  recordFinder
}

// exact reports whether records must be read to match s.with: a full JID matches only
// itself, and the index is by bare JID.
func (s *archiveScan) exact() bool { return strings.Contains(s.with, "/") }

// each calls fn with the records in b that match s.with, in ID order or in reverse,
// until fn returns false.
func (s *archiveScan) each(b bounds, reverse bool, fn func(r chunkRecord) (bool, error)) error {
	if s.with == "" {
		return eachChunk(s.txn, mamPrefix(s.owner), b, reverse, func(_, v []byte) (bool, error) {
			recs, err := decodeChunk(v)
			if err != nil {
				return false, err
			}
			if reverse {
				slices.Reverse(recs)
			}
			for _, r := range recs {
				if !b.contains(r.id) {
					continue
				}
				if ok, err := fn(r); err != nil || !ok {
					return false, err
				}
			}
			return true, nil
		})
	}
	return s.eachIndexed(b, reverse, func(id []byte) (bool, error) {
		r, found, err := s.find.find(id)
		if err != nil || !found {
			return false, fmt.Errorf("with index names %s: %w", idEncoding.EncodeToString(id), orDamaged(err))
		}
		if s.exact() && string(r.with) != s.with {
			return true, nil
		}
		return fn(r)
	})
}

// eachIndexed calls fn with the IDs in b of the records with s.with's bare JID, from
// the index.
func (s *archiveScan) eachIndexed(b bounds, reverse bool, fn func(id []byte) (bool, error)) error {
	prefix := mamWithPrefix(s.owner, bareOf(s.with))
	return eachChunk(s.txn, prefix, b, reverse, func(_, v []byte) (bool, error) {
		if len(v)%idLen != 0 {
			return false, errDamagedChunk
		}
		n := len(v) / idLen
		for i := range n {
			if reverse {
				i = n - 1 - i
			}
			id := v[i*idLen : (i+1)*idLen]
			if !b.contains(id) {
				continue
			}
			if ok, err := fn(id); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	})
}

func orDamaged(err error) error {
	if err == nil {
		return errDamagedChunk
	}
	return err
}

// count counts the records in b: from keys and their user bytes (countChunks), in the
// index where with is a bare JID, and by reading the records only for a full JID.
func (s *archiveScan) count(b bounds) (int, error) {
	switch {
	case s.exact():
		n := 0
		err := s.each(b, false, func(chunkRecord) (bool, error) { n++; return true, nil })
		return n, err
	case s.with != "":
		return countChunks(s.txn, mamWithPrefix(s.owner, bareOf(s.with)), b, indexIDs)
	}
	return countChunks(s.txn, mamPrefix(s.owner), b, chunkIDs)
}

// page reads up to limit records in b from the start (or from the end when backward),
// and reports whether no more lie beyond them.
func (s *archiveScan) page(b bounds, backward bool, limit int) ([]mam.Record, bool, error) {
	limit = max(limit, 0)
	var items []mam.Record
	complete := true
	err := s.each(b, backward, func(r chunkRecord) (bool, error) {
		if len(items) == limit {
			complete = false
			return false, nil
		}
		items = append(items, toRecord(r))
		return true, nil
	})
	if backward {
		slices.Reverse(items)
	}
	return items, complete, err
}

// toRecord copies a chunk record out of its chunk.
func toRecord(r chunkRecord) mam.Record {
	return mam.Record{
		ID:     idEncoding.EncodeToString(r.id),
		Time:   time.UnixMicro(int64(binary.BigEndian.Uint64(r.id))).UTC(),
		With:   string(r.with),
		Stanza: slices.Clone(r.stanza),
	}
}

// queryIDs answers a query with an ids filter (XEP-0313 §4.1.3): every ID must exist.
func (s *archiveScan) queryIDs(q mam.Query, lookup func(string) ([]byte, error), filter, paging bounds, backward bool) (mam.Page, error) {
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
		r, _, err := s.find.find(raw)
		if err != nil {
			return mam.Page{}, err
		}
		if q.With != "" && !withMatches(q.With, string(r.with)) {
			continue
		}
		matched = append(matched, toRecord(r))
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
	return bareOf(recordWith) == with
}

package mamtest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"xmppbox/server/mod/mam"
)

// MemStore is an in-memory mam.Archive. It is safe for concurrent use and copies stanzas
// in and out. Its IDs are hex: the archive time in microseconds, then random bits.
type MemStore struct {
	mu       sync.Mutex
	archives map[string][]mam.Record // by owner, oldest first; guarded by mu
	prefs    map[string]mam.Prefs    // guarded by mu
	last     int64                   // newest archive time handed out, Unix µs; guarded by mu
}

var _ mam.Archive = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{archives: make(map[string][]mam.Record), prefs: make(map[string]mam.Prefs)}
}

// Append stores r at once; the record is never lost.
func (m *MemStore) Append(_ context.Context, owner string, r mam.Record) (string, error) {
	var random [4]byte
	rand.Read(random[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	us := max(r.Time.UnixMicro(), m.last+1)
	m.last = us
	id := binary.BigEndian.AppendUint64(nil, uint64(us))
	r.ID = hex.EncodeToString(append(id, random[:]...))
	r.Time = time.UnixMicro(us).UTC()
	r.Stanza = slices.Clone(r.Stanza)
	m.archives[owner] = append(m.archives[owner], r)
	return r.ID, nil
}

// Query filters owner's records one by one.
func (m *MemStore) Query(_ context.Context, owner string, q mam.Query) (mam.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.archives[owner]
	index := make(map[string]int, len(all))
	for i, r := range all {
		index[r.ID] = i
	}
	for _, id := range append([]string{q.AfterID, q.BeforeID, q.After, q.Before}, q.IDs...) {
		if _, ok := index[id]; id != "" && !ok {
			return mam.Page{}, fmt.Errorf("mamtest: %q: %w", id, mam.ErrNotFound)
		}
	}
	var wanted map[string]bool
	if q.IDs != nil {
		wanted = make(map[string]bool)
		for _, id := range q.IDs {
			wanted[id] = true
		}
	}
	var matched []int
	for i, r := range all {
		switch {
		case wanted != nil && !wanted[r.ID],
			q.With != "" && !withMatches(q.With, r.With),
			!q.Start.IsZero() && r.Time.Before(q.Start),
			!q.End.IsZero() && r.Time.After(q.End),
			q.AfterID != "" && i <= index[q.AfterID],
			q.BeforeID != "" && i >= index[q.BeforeID]:
			continue
		}
		matched = append(matched, i)
	}
	page := mam.Page{Count: len(matched), Complete: true}
	var inPage []int
	for _, i := range matched {
		if (q.After == "" || i > index[q.After]) && (q.Before == "" || i < index[q.Before]) {
			inPage = append(inPage, i)
		}
	}
	if n := max(q.Max, 0); len(inPage) > n {
		page.Complete = false
		if q.Before != "" || q.Last {
			inPage = inPage[len(inPage)-n:]
		} else {
			inPage = inPage[:n]
		}
	}
	for _, i := range inPage {
		r := all[i]
		r.Stanza = slices.Clone(r.Stanza)
		page.Items = append(page.Items, r)
	}
	return page, nil
}

func withMatches(with, recordWith string) bool {
	if strings.Contains(with, "/") {
		return recordWith == with
	}
	bare, _, _ := strings.Cut(recordWith, "/")
	return bare == with
}

// DeleteBefore drops records older than cutoff.
func (m *MemStore) DeleteBefore(_ context.Context, cutoff time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for owner, recs := range m.archives {
		keep := slices.DeleteFunc(recs, func(r mam.Record) bool { return r.Time.Before(cutoff) })
		n += len(recs) - len(keep)
		m.archives[owner] = keep
	}
	return n, nil
}

// Prefs returns owner's preferences.
func (m *MemStore) Prefs(_ context.Context, owner string) (mam.Prefs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clonePrefs(m.prefs[owner]), nil
}

// SetPrefs replaces owner's preferences.
func (m *MemStore) SetPrefs(_ context.Context, owner string, p mam.Prefs) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prefs[owner] = clonePrefs(p)
	return nil
}

func clonePrefs(p mam.Prefs) mam.Prefs {
	p.Always, p.Never = slices.Clone(p.Always), slices.Clone(p.Never)
	return p
}

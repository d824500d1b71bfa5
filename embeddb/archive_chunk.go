package embeddb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Archive chunks.
//
// The writer stores the records one owner got in one batch as chunks of up to
// maxChunkRecords: each a single Badger entry, keyed by the ID of its first record, with
// the record count in the entry's user byte,
//
//	mam\x00<owner>\x00<first id>   uvarint record count, last id (15 bytes), then per
//	                               record: id (15 bytes), uvarint length of With, With,
//	                               uvarint length of the stanza, the stanza
//
// and indexes it by contact with one entry per contact (the bare JID of With) of the chunk:
//
//	mamwith\x00<owner>\x00<peer>\x00<first id>   the IDs of that contact's records, 15 bytes
//	                                             each; their count in the user byte
//
// Batches are committed in ID order, so an owner's chunks hold disjoint, ascending ID
// ranges: the chunk holding an ID is the one with the greatest key not above it. With
// little traffic a chunk holds one record; under load the chunks grow with the batches
// and Badger, whose cost is mostly per entry, does less work per message.

// chunkRecord is one archived record; in a decoded chunk its slices point into the
// chunk's value.
type chunkRecord struct {
	id, with, stanza []byte
}

// size is about what the record adds to a chunk.
func (r chunkRecord) size() int { return idLen + 2*binary.MaxVarintLen32 + len(r.with) + len(r.stanza) }

var errDamagedChunk = errors.New("damaged archive chunk")

// bareOf strips the resource from a JID string: neither localpart nor domain holds a '/'.
func bareOf(j string) string {
	bare, _, _ := strings.Cut(j, "/")
	return bare
}

// putChunk writes recs, which are in ID order, as one chunk of owner's and its index
// entries.
func putChunk(txn *badger.Txn, owner string, recs []chunkRecord) error {
	n := binary.MaxVarintLen32 + idLen
	for _, r := range recs {
		n += r.size()
	}
	v := binary.AppendUvarint(make([]byte, 0, n), uint64(len(recs)))
	v = append(v, recs[len(recs)-1].id...)
	for _, r := range recs {
		v = append(v, r.id...)
		v = binary.AppendUvarint(v, uint64(len(r.with)))
		v = append(v, r.with...)
		v = binary.AppendUvarint(v, uint64(len(r.stanza)))
		v = append(v, r.stanza...)
	}
	// The record count also goes in the entry's user byte (maxChunkRecords fits), so that
	// counting reads keys only.
	if err := txn.SetEntry(badger.NewEntry(mamKey(owner, recs[0].id), v).WithMeta(byte(len(recs)))); err != nil {
		return err
	}
	for _, ix := range chunkIndex(recs) {
		e := badger.NewEntry(mamWithKey(owner, ix.peer, ix.ids[:idLen]), ix.ids).WithMeta(byte(len(ix.ids) / idLen))
		if err := txn.SetEntry(e); err != nil {
			return err
		}
	}
	return nil
}

// deleteChunk deletes the chunk that holds exactly recs, with its index entries.
func deleteChunk(txn *badger.Txn, owner string, recs []chunkRecord) error {
	if err := txn.Delete(mamKey(owner, recs[0].id)); err != nil {
		return err
	}
	for _, ix := range chunkIndex(recs) {
		if err := txn.Delete(mamWithKey(owner, ix.peer, ix.ids[:idLen])); err != nil {
			return err
		}
	}
	return nil
}

// chunkIndexEntry is the with-index entry of one contact of a chunk.
type chunkIndexEntry struct {
	peer string
	ids  []byte
}

// chunkIndex groups the IDs of recs by contact, contacts in order of first appearance.
func chunkIndex(recs []chunkRecord) []chunkIndexEntry {
	var out []chunkIndexEntry
	for _, r := range recs {
		peer := bareOf(string(r.with))
		i := slices.IndexFunc(out, func(e chunkIndexEntry) bool { return e.peer == peer })
		if i < 0 {
			out = append(out, chunkIndexEntry{peer: peer})
			i = len(out) - 1
		}
		out[i].ids = append(out[i].ids, r.id...)
	}
	return out
}

// chunkHeader reads a chunk's record count and last ID.
func chunkHeader(v []byte) (n int, last []byte, rest []byte, err error) {
	c, k := binary.Uvarint(v)
	if k <= 0 || len(v)-k < idLen {
		return 0, nil, nil, errDamagedChunk
	}
	return int(c), v[k : k+idLen], v[k+idLen:], nil
}

// decodeChunk returns a chunk's records, in ID order; they point into v.
func decodeChunk(v []byte) ([]chunkRecord, error) {
	n, _, rest, err := chunkHeader(v)
	if err != nil {
		return nil, err
	}
	recs := make([]chunkRecord, 0, n)
	for len(rest) > 0 {
		var r chunkRecord
		if len(rest) < idLen {
			return nil, errDamagedChunk
		}
		r.id, rest = rest[:idLen], rest[idLen:]
		if r.with, rest, err = cutBytes(rest); err != nil {
			return nil, err
		}
		if r.stanza, rest, err = cutBytes(rest); err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if len(recs) != n {
		return nil, errDamagedChunk
	}
	return recs, nil
}

// cutBytes splits a uvarint-length-prefixed byte string off the front of b.
func cutBytes(b []byte) (field, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errDamagedChunk
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// iterOpts are the options of every archive iterator: values are read only where they
// are used (Badger's default prefetches a hundred of them, from the value log here).
func iterOpts(prefix []byte, reverse bool) badger.IteratorOptions {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	opts.Reverse = reverse
	return opts
}

// eachChunk calls fn with the chunks under prefix that may hold IDs in b, in ID order (or
// reverse), until fn returns false. first is the chunk's key suffix. fn must filter the
// IDs itself: the first and last chunk may hold IDs outside b. v is fn's to keep.
func eachChunk(txn *badger.Txn, prefix []byte, b bounds, reverse bool, fn func(first, v []byte) (bool, error)) error {
	if reverse {
		it := txn.NewIterator(iterOpts(prefix, true))
		defer it.Close()
		seek := append(slices.Clip(prefix), 0xff)
		if b.hi != nil {
			seek = append(slices.Clip(prefix), b.hi...)
		}
		for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
			first := bytes.Clone(it.Item().Key()[len(prefix):])
			if b.hi != nil && bytes.Compare(first, b.hi) >= 0 {
				continue // all of this chunk is at or after hi
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if ok, err := fn(first, v); err != nil || !ok {
				return err
			}
			if b.lo != nil && bytes.Compare(first, b.lo) <= 0 {
				return nil // earlier chunks end before first, so before lo
			}
		}
		return nil
	}
	// Forwards: the chunk starting before lo may reach into b.
	if b.lo != nil {
		first, v, err := chunkBefore(txn, prefix, b.lo)
		if err != nil {
			return err
		}
		if first != nil {
			if ok, err := fn(first, v); err != nil || !ok {
				return err
			}
		}
	}
	it := txn.NewIterator(iterOpts(prefix, false))
	defer it.Close()
	for it.Seek(append(slices.Clip(prefix), b.lo...)); it.ValidForPrefix(prefix); it.Next() {
		first := it.Item().Key()[len(prefix):]
		if b.hi != nil && bytes.Compare(first, b.hi) >= 0 {
			return nil
		}
		first = bytes.Clone(first)
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		if ok, err := fn(first, v); err != nil || !ok {
			return err
		}
	}
	return nil
}

// chunkBefore returns the chunk under prefix with the greatest first ID below id, or nil.
func chunkBefore(txn *badger.Txn, prefix, id []byte) (first, v []byte, err error) {
	it := txn.NewIterator(iterOpts(prefix, true))
	defer it.Close()
	for it.Seek(append(slices.Clip(prefix), id...)); it.ValidForPrefix(prefix); it.Next() {
		if bytes.Compare(it.Item().Key()[len(prefix):], id) >= 0 {
			continue // a reverse Seek lands on id itself
		}
		v, err = it.Item().ValueCopy(nil)
		return bytes.Clone(it.Item().Key()[len(prefix):]), v, err
	}
	return nil, nil, nil
}

// countChunks counts the IDs in b of the chunks under prefix reading keys and user bytes
// only, and at most two values: the chunk starting before lo, which may reach into b,
// and the last one starting before hi, which may reach past it.
func countChunks(txn *badger.Txn, prefix []byte, b bounds, idsIn func(v []byte) ([][]byte, error)) (int, error) {
	n := 0
	partial := func(v []byte, within bounds) error {
		ids, err := idsIn(v)
		for _, id := range ids {
			if within.contains(id) {
				n++
			}
		}
		return err
	}
	if b.lo != nil {
		_, v, err := chunkBefore(txn, prefix, b.lo)
		if err != nil {
			return 0, err
		}
		if v != nil {
			if err := partial(v, b); err != nil {
				return 0, err
			}
		}
	}
	it := txn.NewIterator(iterOpts(prefix, false))
	defer it.Close()
	var last []byte // key of the last chunk counted whole, when hi may cut it
	for it.Seek(append(slices.Clip(prefix), b.lo...)); it.ValidForPrefix(prefix); it.Next() {
		first := it.Item().Key()[len(prefix):]
		if b.hi != nil && bytes.Compare(first, b.hi) >= 0 {
			break
		}
		n += int(it.Item().UserMeta())
		last = append(last[:0], it.Item().Key()...)
	}
	if b.hi == nil || last == nil {
		return n, nil
	}
	// Take back the records of the last chunk that are at or after hi.
	item, err := txn.Get(last)
	if err != nil {
		return 0, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return 0, err
	}
	ids, err := idsIn(v)
	for _, id := range ids {
		if bytes.Compare(id, b.hi) >= 0 {
			n--
		}
	}
	return n, err
}

// chunkIDs returns the IDs of a main chunk.
func chunkIDs(v []byte) ([][]byte, error) {
	recs, err := decodeChunk(v)
	ids := make([][]byte, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	return ids, err
}

// indexIDs returns the IDs of an index entry.
func indexIDs(v []byte) ([][]byte, error) {
	if len(v) == 0 || len(v)%idLen != 0 {
		return nil, errDamagedChunk
	}
	ids := make([][]byte, 0, len(v)/idLen)
	for i := 0; i < len(v); i += idLen {
		ids = append(ids, v[i:i+idLen])
	}
	return ids, nil
}

// recordFinder finds records by ID in one owner's archive within one transaction. It
// keeps an iterator and the last chunk it decoded, as a page's lookups (the with index
// names its records one by one) go to nearby chunks, often the same one.
type recordFinder struct {
	txn   *badger.Txn
	owner string
	it    *badger.Iterator // reverse, over the owner's chunks; created on first use
	first []byte           // key suffix of the cached chunk
	recs  []chunkRecord    // the cached chunk's records
}

// find returns record id, if the owner has it.
func (f *recordFinder) find(id []byte) (chunkRecord, bool, error) {
	if f.recs == nil || bytes.Compare(id, f.first) < 0 || bytes.Compare(id, f.recs[len(f.recs)-1].id) > 0 {
		if err := f.load(id); err != nil || f.recs == nil {
			return chunkRecord{}, false, err
		}
	}
	i, found := slices.BinarySearchFunc(f.recs, id, func(r chunkRecord, id []byte) int { return bytes.Compare(r.id, id) })
	if !found {
		return chunkRecord{}, false, nil
	}
	return f.recs[i], true, nil
}

// load decodes the chunk that would hold id: the one keyed id itself (a direct read, the
// common case of one-record chunks), else the one before it.
func (f *recordFinder) load(id []byte) error {
	f.first, f.recs = nil, nil
	prefix := mamPrefix(f.owner)
	var v []byte
	item, err := f.txn.Get(append(slices.Clip(prefix), id...))
	switch {
	case err == nil:
		if v, err = item.ValueCopy(nil); err != nil {
			return err
		}
		f.first = bytes.Clone(id)
	case errors.Is(err, badger.ErrKeyNotFound):
		if f.it == nil {
			f.it = f.txn.NewIterator(iterOpts(prefix, true))
		}
		f.it.Seek(append(slices.Clip(prefix), id...))
		if !f.it.ValidForPrefix(prefix) {
			return nil
		}
		if v, err = f.it.Item().ValueCopy(nil); err != nil {
			return err
		}
		f.first = bytes.Clone(f.it.Item().Key()[len(prefix):])
	default:
		return err
	}
	recs, err := decodeChunk(v)
	if err != nil {
		return fmt.Errorf("chunk %s: %w", idEncoding.EncodeToString(f.first), err)
	}
	f.recs = recs
	return nil
}

// close releases the iterator; call it before the transaction ends.
func (f *recordFinder) close() {
	if f.it != nil {
		f.it.Close()
		f.it = nil
	}
}

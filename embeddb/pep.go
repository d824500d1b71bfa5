package embeddb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/pep"
)

// Kinds of the PEP store (XEP-0163). "pepnode", "pepitem" and "pepid" differ before
// their first NUL, so no prefix scan of one returns keys of another.
//
//	pepnode\x00<owner>\x00<node>             nodeMeta as JSON
//	pepitem\x00<owner>\x00<node>\x00<seq>    one item (encodeItem); seq is a uint64
//	                                         big-endian, so key order is publication order
//	pepid\x00<owner>\x00<node>\x00<item id>  the seq of that item, uint64 big-endian
const (
	kindPEPNode = "pepnode"
	kindPEPItem = "pepitem"
	kindPEPID   = "pepid"
)

func pepNodeKey(owner, node string) []byte    { return key(kindPEPNode, owner, node) }
func pepNodePrefix(owner string) []byte       { return key(kindPEPNode, owner, "") }
func pepItemPrefix(owner, node string) []byte { return key(kindPEPItem, owner, node, "") }
func pepIDKey(owner, node, id string) []byte  { return key(kindPEPID, owner, node, id) }

func pepItemKey(owner, node string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(pepItemPrefix(owner, node), seq)
}

// pepOwnerPrefixes hold all of owner's PEP records, for DeleteAccount.
func pepOwnerPrefixes(owner string) [][]byte {
	return [][]byte{pepNodePrefix(owner), key(kindPEPItem, owner, ""), key(kindPEPID, owner, "")}
}

// PEP stores the XEP-0163 nodes of every account and their items. It implements
// pep.Store.
//
// Every write reads and writes the node's meta record, so two writers of one node always
// conflict in Badger and one of them is retried: the item count, the sequence numbers and
// the trimming to MaxItems stay consistent.
type PEP struct{ db *DB }

// nodeMeta is the pepnode record: the configuration, the seq the next item gets, and how
// many items the node holds.
type nodeMeta struct {
	Config pep.Config `json:"config"`
	Next   uint64     `json:"next"`
	Count  int        `json:"count"`
}

// Node returns a node's configuration; it wraps fs.ErrNotExist for a missing node.
func (p *PEP) Node(ctx context.Context, owner, node string) (pep.Config, error) {
	if err := checkPEPNames(owner, node); err != nil {
		return pep.Config{}, err
	}
	var m nodeMeta
	err := p.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		m, err = readNodeMeta(txn, owner, node)
		return err
	})
	if err != nil {
		return pep.Config{}, fmt.Errorf("embeddb: pep node: %w", err)
	}
	return m.Config, nil
}

// Nodes returns the names of owner's nodes in byte order.
func (p *PEP) Nodes(ctx context.Context, owner string) ([]string, error) {
	if err := checkJID(owner); err != nil {
		return nil, err
	}
	var names []string
	err := p.db.view(ctx, func(txn *badger.Txn) error {
		names = keySuffixes(txn, pepNodePrefix(owner))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: pep nodes of %q: %w", owner, err)
	}
	return names, nil
}

// CreateNode creates an empty node; it wraps fs.ErrExist when the node exists.
func (p *PEP) CreateNode(ctx context.Context, owner, node string, cfg pep.Config) error {
	if err := checkPEPNames(owner, node); err != nil {
		return err
	}
	err := p.db.update(ctx, func(txn *badger.Txn) error {
		_, err := txn.Get(pepNodeKey(owner, node))
		switch {
		case err == nil:
			return fmt.Errorf("%q already has node %q: %w", owner, node, fs.ErrExist)
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		return writeNodeMeta(txn, owner, node, nodeMeta{Config: cfg, Next: 1})
	})
	if err != nil {
		return fmt.Errorf("embeddb: create pep node: %w", err)
	}
	return nil
}

// SetConfig replaces a node's configuration and deletes its oldest items beyond
// cfg.MaxItems, in one transaction.
func (p *PEP) SetConfig(ctx context.Context, owner, node string, cfg pep.Config) error {
	if err := checkPEPNames(owner, node); err != nil {
		return err
	}
	err := p.db.update(ctx, func(txn *badger.Txn) error {
		m, err := readNodeMeta(txn, owner, node)
		if err != nil {
			return err
		}
		m.Config = cfg
		if m.Count, err = trimItems(txn, owner, node, m.Count, max(cfg.MaxItems, 0)); err != nil {
			return err
		}
		return writeNodeMeta(txn, owner, node, m)
	})
	if err != nil {
		return fmt.Errorf("embeddb: configure pep node: %w", err)
	}
	return nil
}

// DeleteNode removes a node and its items. A node with more items than one transaction
// can delete loses them in several, oldest first; the node itself goes with the last
// ones, so a node that exists never shares sequence numbers with leftovers.
func (p *PEP) DeleteNode(ctx context.Context, owner, node string) error {
	if err := p.removeItems(ctx, owner, node, true); err != nil {
		return fmt.Errorf("embeddb: delete pep node: %w", err)
	}
	return nil
}

// Purge removes every item of a node, in several transactions for a large node.
func (p *PEP) Purge(ctx context.Context, owner, node string) error {
	if err := p.removeItems(ctx, owner, node, false); err != nil {
		return fmt.Errorf("embeddb: purge pep node: %w", err)
	}
	return nil
}

func (p *PEP) removeItems(ctx context.Context, owner, node string, deleteNode bool) error {
	if err := checkPEPNames(owner, node); err != nil {
		return err
	}
	for {
		var done bool
		err := p.db.update(ctx, func(txn *badger.Txn) error {
			m, err := readNodeMeta(txn, owner, node)
			if err != nil {
				return err
			}
			// Two keys per item, well inside one transaction's limits (batch.go).
			keep := max(m.Count-chunkKeys/2, 0)
			if m.Count, err = trimItems(txn, owner, node, m.Count, keep); err != nil {
				return err
			}
			done = m.Count == 0
			if done && deleteNode {
				return txn.Delete(pepNodeKey(owner, node))
			}
			return writeNodeMeta(txn, owner, node, m)
		})
		if err != nil || done {
			return err
		}
	}
}

// PutItem stores it as the node's newest item, replacing the item with the same ID, and
// deletes the oldest items beyond the node's MaxItems.
func (p *PEP) PutItem(ctx context.Context, owner, node string, it pep.Item) error {
	if err := checkPEPNames(owner, node, it.ID); err != nil {
		return err
	}
	val := encodeItem(it)
	err := p.db.update(ctx, func(txn *badger.Txn) error {
		m, err := readNodeMeta(txn, owner, node)
		if err != nil {
			return err
		}
		if old, err := readSeq(txn, pepIDKey(owner, node, it.ID)); err == nil {
			if err := txn.Delete(pepItemKey(owner, node, old)); err != nil {
				return err
			}
			m.Count--
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		limit := max(m.Config.MaxItems, 0)
		if limit == 0 {
			// The node keeps nothing; the replaced item (if any) is gone too.
			if err := txn.Delete(pepIDKey(owner, node, it.ID)); err != nil {
				return err
			}
			m.Count, err = trimItems(txn, owner, node, m.Count, 0)
			if err != nil {
				return err
			}
			return writeNodeMeta(txn, owner, node, m)
		}
		if m.Count, err = trimItems(txn, owner, node, m.Count, limit-1); err != nil {
			return err
		}
		seq := m.Next
		m.Next++
		m.Count++
		if err := txn.Set(pepItemKey(owner, node, seq), val); err != nil {
			return err
		}
		if err := txn.Set(pepIDKey(owner, node, it.ID), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return err
		}
		return writeNodeMeta(txn, owner, node, m)
	})
	if err != nil {
		return fmt.Errorf("embeddb: put pep item: %w", err)
	}
	return nil
}

// Items returns the node's items oldest first; with last > 0 only the newest last ones.
func (p *PEP) Items(ctx context.Context, owner, node string, last int) ([]pep.Item, error) {
	if err := checkPEPNames(owner, node); err != nil {
		return nil, err
	}
	var items []pep.Item
	err := p.db.view(ctx, func(txn *badger.Txn) error {
		items = nil
		if _, err := readNodeMeta(txn, owner, node); err != nil {
			return err
		}
		prefix := pepItemPrefix(owner, node)
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		opts.Reverse = last > 0
		it := txn.NewIterator(opts)
		defer it.Close()
		start := prefix
		if opts.Reverse {
			// Past every seq: a reverse iterator starts at the last key <= start.
			start = append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 9)...)
		}
		for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
			var item pep.Item
			if err := it.Item().Value(func(v []byte) error {
				var err error
				item, err = decodeItem(v)
				return err
			}); err != nil {
				return fmt.Errorf("item %x: %w", it.Item().Key()[len(prefix):], err)
			}
			items = append(items, item)
			if last > 0 && len(items) == last {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: pep items: %w", err)
	}
	if last > 0 {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	return items, nil
}

// Item returns one item of a node; it wraps fs.ErrNotExist when the node or item is missing.
func (p *PEP) Item(ctx context.Context, owner, node, id string) (pep.Item, error) {
	if err := checkPEPNames(owner, node, id); err != nil {
		return pep.Item{}, err
	}
	var item pep.Item
	err := p.db.view(ctx, func(txn *badger.Txn) error {
		if _, err := readNodeMeta(txn, owner, node); err != nil {
			return err
		}
		seq, err := readSeq(txn, pepIDKey(owner, node, id))
		if err != nil {
			return fmt.Errorf("node %q of %q has no item %q: %w", node, owner, id, err)
		}
		v, err := txn.Get(pepItemKey(owner, node, seq))
		if err != nil {
			return fmt.Errorf("item %q (seq %d): %w", id, seq, err)
		}
		return v.Value(func(v []byte) error {
			item, err = decodeItem(v)
			return err
		})
	})
	if err != nil {
		return pep.Item{}, fmt.Errorf("embeddb: pep item: %w", err)
	}
	return item, nil
}

// DeleteItem removes one item; it wraps fs.ErrNotExist when the node or item is missing.
func (p *PEP) DeleteItem(ctx context.Context, owner, node, id string) error {
	if err := checkPEPNames(owner, node, id); err != nil {
		return err
	}
	err := p.db.update(ctx, func(txn *badger.Txn) error {
		m, err := readNodeMeta(txn, owner, node)
		if err != nil {
			return err
		}
		seq, err := readSeq(txn, pepIDKey(owner, node, id))
		if err != nil {
			return fmt.Errorf("node %q of %q has no item %q: %w", node, owner, id, err)
		}
		if err := txn.Delete(pepItemKey(owner, node, seq)); err != nil {
			return err
		}
		if err := txn.Delete(pepIDKey(owner, node, id)); err != nil {
			return err
		}
		m.Count--
		return writeNodeMeta(txn, owner, node, m)
	})
	if err != nil {
		return fmt.Errorf("embeddb: delete pep item: %w", err)
	}
	return nil
}

// trimItems deletes the oldest items until at most keep are left and returns the new
// count. The caller has read the node's meta in txn, so a concurrent writer conflicts.
func trimItems(txn *badger.Txn, owner, node string, count, keep int) (int, error) {
	excess := count - keep
	if excess <= 0 {
		return count, nil
	}
	prefix := pepItemPrefix(owner, node)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	var keys, idKeys [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(keys) < excess; it.Next() {
		var id string
		if err := it.Item().Value(func(v []byte) error {
			var err error
			id, err = decodeItemID(v)
			return err
		}); err != nil {
			it.Close()
			return 0, err
		}
		keys = append(keys, bytes.Clone(it.Item().Key()))
		idKeys = append(idKeys, pepIDKey(owner, node, id))
	}
	it.Close() // before Delete: Discard panics on an open iterator
	for i := range keys {
		if err := txn.Delete(keys[i]); err != nil {
			return 0, err
		}
		if err := txn.Delete(idKeys[i]); err != nil {
			return 0, err
		}
	}
	return count - len(keys), nil
}

func readNodeMeta(txn *badger.Txn, owner, node string) (nodeMeta, error) {
	var m nodeMeta
	item, err := txn.Get(pepNodeKey(owner, node))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return m, fmt.Errorf("%q has no pep node %q: %w", owner, node, fs.ErrNotExist)
	}
	if err != nil {
		return m, err
	}
	err = item.Value(func(v []byte) error { return json.Unmarshal(v, &m) })
	return m, err
}

func writeNodeMeta(txn *badger.Txn, owner, node string, m nodeMeta) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return txn.Set(pepNodeKey(owner, node), v)
}

// readSeq reads an item's seq from its pepid key; fs.ErrNotExist when absent.
func readSeq(txn *badger.Txn, k []byte) (uint64, error) {
	seq, ok, err := getUint64(txn, k)
	if err == nil && !ok {
		return 0, fs.ErrNotExist
	}
	return seq, err
}

// itemFormat is the first byte of an encoded item, so a later layout can be told apart.
const itemFormat = 1

// encodeItem is: format byte, uvarint length + ID, uvarint length + publisher, varint
// publication time in Unix nanoseconds, then the payload to the end.
func encodeItem(it pep.Item) []byte {
	b := make([]byte, 0, 1+len(it.ID)+len(it.Publisher)+len(it.Payload)+2*binary.MaxVarintLen64)
	b = append(b, itemFormat)
	b = binary.AppendUvarint(b, uint64(len(it.ID)))
	b = append(b, it.ID...)
	b = binary.AppendUvarint(b, uint64(len(it.Publisher)))
	b = append(b, it.Publisher...)
	var published int64
	if !it.Published.IsZero() {
		published = it.Published.UnixNano()
	}
	b = binary.AppendVarint(b, published)
	return append(b, it.Payload...)
}

func decodeItem(v []byte) (pep.Item, error) {
	var it pep.Item
	rest, id, err := itemString(v, 1)
	if err != nil {
		return it, err
	}
	rest, publisher, err := itemString(rest, 0)
	if err != nil {
		return it, err
	}
	published, n := binary.Varint(rest)
	if n <= 0 {
		return it, errors.New("pep item: bad publication time")
	}
	it.ID, it.Publisher = id, publisher
	if published != 0 {
		it.Published = time.Unix(0, published).UTC()
	}
	if payload := rest[n:]; len(payload) > 0 {
		it.Payload = bytes.Clone(payload) // v is only valid inside the transaction
	}
	return it, nil
}

func decodeItemID(v []byte) (string, error) {
	_, id, err := itemString(v, 1)
	return id, err
}

// itemString reads a uvarint-prefixed string after skip bytes.
func itemString(v []byte, skip int) (rest []byte, s string, err error) {
	if len(v) < skip || (skip == 1 && v[0] != itemFormat) {
		return nil, "", errors.New("pep item: unknown format")
	}
	v = v[skip:]
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return nil, "", errors.New("pep item: truncated")
	}
	return v[k+int(n):], string(v[k : k+int(n)]), nil
}

// checkPEPNames checks the owner and refuses node names and item IDs that are empty or
// hold a NUL, which would break the key layout.
func checkPEPNames(owner string, names ...string) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	for _, n := range names {
		if n == "" || strings.IndexByte(n, sep) >= 0 {
			return fmt.Errorf("embeddb: pep name %q is empty or holds a NUL byte: %w", n, fs.ErrInvalid)
		}
	}
	return nil
}

package embeddb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/dgraph-io/badger/v4"
)

// settingsKey holds the settings the operator changed in the web page, as one opaque
// value the admin service encodes (admin.SettingsStore).
const settingsKey = "meta/settings"

// Settings returns the stored settings; it wraps fs.ErrNotExist if none were saved.
func (db *DB) Settings(ctx context.Context) ([]byte, error) {
	var out []byte
	err := db.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(settingsKey))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fs.ErrNotExist
		}
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: settings: %w", err)
	}
	return out, nil
}

// SaveSettings replaces the stored settings.
func (db *DB) SaveSettings(ctx context.Context, v []byte) error {
	err := db.update(ctx, func(txn *badger.Txn) error { return txn.Set([]byte(settingsKey), v) })
	if err != nil {
		return fmt.Errorf("embeddb: save settings: %w", err)
	}
	return nil
}

// Size returns the bytes the store takes on disk (both instances, LSM tree and value
// log), as Badger last measured them; it refreshes its figures about once a minute.
func (db *DB) Size() int64 {
	lsm, vlog := db.bdb.Size()
	alsm, avlog := db.archive.bdb.Size()
	return lsm + vlog + alsm + avlog
}

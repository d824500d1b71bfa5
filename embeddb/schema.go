package embeddb

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// schemaVersion is the key layout this build reads and writes (doc.go).
// Changing the layout means incrementing it and adding a migration.
const schemaVersion = 1

// A migration rewrites a database from schema version from to from+1. It runs
// before the database is used, so it may take its time; bulk rewrites must use
// a WriteBatch or chunked transactions (one transaction holds ~1.2 MiB).
type migration struct {
	from int
	name string
	run  func(db *badger.DB) error
}

// migrations lists every step, oldest first. Version 1 is the first layout,
// so there are none yet.
func migrations() []migration {
	return nil
}

// ensureSchema writes current into a fresh database, migrates an older one
// step by step (recording each version reached, so an interrupted upgrade
// resumes where it stopped) and refuses a newer one.
func ensureSchema(db *badger.DB, log *slog.Logger, current int, steps []migration) error {
	version, err := readSchema(db)
	if err != nil {
		return err
	}
	if version == 0 {
		empty, err := isEmpty(db)
		if err != nil {
			return fmt.Errorf("embeddb: schema: %w", err)
		}
		if !empty {
			return fmt.Errorf("embeddb: schema: database has data but no %s key: not an xmppbox database", schemaKey)
		}
		return writeSchema(db, current)
	}
	if version > current {
		return fmt.Errorf("embeddb: schema version %d, this build supports up to %d: upgrade xmppbox or restore a backup: %w",
			version, current, ErrSchemaTooNew)
	}
	for version < current {
		step, ok := findStep(steps, version)
		if !ok {
			return fmt.Errorf("embeddb: schema: no migration from version %d", version)
		}
		log.Info("migrating database", "from", version, "to", version+1, "migration", step.name)
		if err := step.run(db); err != nil {
			return fmt.Errorf("embeddb: migration %d (%s): %w", version, step.name, err)
		}
		version++
		if err := writeSchema(db, version); err != nil {
			return err
		}
	}
	return nil
}

func findStep(steps []migration, from int) (migration, bool) {
	for _, s := range steps {
		if s.from == from {
			return s, true
		}
	}
	return migration{}, false
}

// readSchema returns 0 when there is no schema key.
func readSchema(db *badger.DB) (int, error) {
	var version int
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(schemaKey))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 1 {
				return fmt.Errorf("bad value %q", v)
			}
			version = n
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("embeddb: read %s: %w", schemaKey, err)
	}
	return version, nil
}

func writeSchema(db *badger.DB, version int) error {
	err := db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(schemaKey), strconv.AppendInt(nil, int64(version), 10))
	})
	if err != nil {
		return fmt.Errorf("embeddb: write %s: %w", schemaKey, err)
	}
	return nil
}

func isEmpty(db *badger.DB) (bool, error) {
	empty := true
	err := db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	return empty, err
}

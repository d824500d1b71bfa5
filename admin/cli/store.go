package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"xmppbox/admin/config"
	"xmppbox/embeddb"
)

// storeDirName is the Badger directory inside the data directory.
const storeDirName = "db"

// probeTimeout bounds the first request to the admin socket, so a hung server gives an
// error instead of a hung command.
const probeTimeout = 5 * time.Second

// openStore opens the store of the data directory dir. The error for a locked store says
// who holds it.
func openStore(dir string, log *slog.Logger) (*embeddb.DB, error) {
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName), Logger: log})
	if errors.Is(err, embeddb.ErrLocked) {
		return nil, fmt.Errorf("another xmppbox is already using %s (its store is locked): stop it first, "+
			"or use \"xmppbox user ...\" commands, which talk to it", dir)
	}
	return db, err
}

// loadConfig reads the configuration file of dir, with a hint when there is none.
func loadConfig(dir string, o config.Overrides) (*config.Config, error) {
	cfg, err := config.Load(filepath.Join(dir, config.FileName), o)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no xmppbox setup in %s: run \"xmppbox init\" first, or give --data DIR", dir)
	}
	return cfg, err
}

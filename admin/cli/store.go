package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/config"
	"xmppbox/embeddb"
)

// storeDirName is the Badger directory inside the data directory.
const storeDirName = "db"

// Users is what the user commands need. Both *admin.Service (store opened directly) and
// *api.Client (server running) implement it.
type Users interface {
	AddUser(ctx context.Context, nameOrJID, password string) (jid string, err error)
	DeleteUser(ctx context.Context, nameOrJID string) (jid string, err error)
	SetPassword(ctx context.Context, nameOrJID, password string) (jid string, err error)
	ListUsers(ctx context.Context) ([]string, error)
}

var (
	_ Users = (*admin.Service)(nil)
	_ Users = (*api.Client)(nil)
)

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

// users returns the running server's admin API if it answers, else a Service on the store
// opened directly. The returned function releases what was opened.
func (e *env) users(ctx context.Context, log *slog.Logger) (Users, func() error, error) {
	dir, err := e.data()
	if err != nil {
		return nil, nil, err
	}
	sock := filepath.Join(dir, api.SocketName)
	c := api.NewClient(sock)
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	_, err = c.Status(pctx)
	cancel()
	switch {
	case err == nil:
		return c, func() error { c.Close(); return nil }, nil
	case errors.Is(err, fs.ErrPermission):
		return nil, nil, fmt.Errorf("cannot use the admin socket %s: permission denied; run this command as "+
			"the user that runs xmppbox (e.g. with sudo -u)", sock)
	case !errors.Is(err, api.ErrNotRunning):
		return nil, nil, fmt.Errorf("the server on %s does not answer properly: %w", sock, err)
	}

	cfg, err := loadConfig(dir, config.Overrides{})
	if err != nil {
		return nil, nil, err
	}
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName), Logger: log})
	if errors.Is(err, embeddb.ErrLocked) {
		return nil, nil, fmt.Errorf("the store in %s is locked by another process, but no xmppbox answers on %s: "+
			"if the server is starting or stopping, retry in a moment; otherwise find the process "+
			"holding it (fuser -v %s) and stop it", dir, sock, filepath.Join(dir, storeDirName))
	}
	if err != nil {
		return nil, nil, err
	}
	svc, err := admin.New(admin.Config{
		Domain:     cfg.Domain,
		Accounts:   db.Accounts(),
		Iterations: cfg.Auth.SCRAMIterations,
		Logger:     log,
	})
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return svc, db.Close, nil
}

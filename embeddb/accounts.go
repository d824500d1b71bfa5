package embeddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/sasl"
)

// Accounts stores each account's SCRAM credentials and flags. It implements
// admin.AccountStore and c2s.Accounts.
type Accounts struct{ db *DB }

// accountRecord is an account's stored value. The credentials are embedded, so records
// written before the flags existed read as enabled, non-admin accounts.
type accountRecord struct {
	sasl.Credentials
	Admin    bool `json:"admin,omitempty"`
	Disabled bool `json:"disabled,omitempty"`
}

// CreateAccount adds an account; it wraps fs.ErrExist if it exists. Data left
// under the JID by an account deleted earlier (a crash in the middle of
// DeleteAccount, or a message stored while it ran) is removed first, so a new
// account never inherits a stranger's roster or messages.
func (a *Accounts) CreateAccount(ctx context.Context, bareJID string, c sasl.Credentials) error {
	if err := checkJID(bareJID); err != nil {
		return err
	}
	val, err := json.Marshal(accountRecord{Credentials: c})
	if err != nil {
		return fmt.Errorf("embeddb: create account %q: %w", bareJID, err)
	}
	k := accountKey(bareJID)
	mustNotExist := func(txn *badger.Txn) error {
		_, err := txn.Get(k)
		switch {
		case err == nil:
			return fmt.Errorf("embeddb: account %q: %w", bareJID, fs.ErrExist)
		case errors.Is(err, badger.ErrKeyNotFound):
			return nil
		default:
			return err
		}
	}
	create := func(txn *badger.Txn) error { return txn.Set(k, val) }
	if err := a.db.purgeOwner(ctx, bareJID, mustNotExist, create); err != nil {
		return fmt.Errorf("embeddb: create account %q: %w", bareJID, err)
	}
	return nil
}

// SetCredentials replaces an account's credentials, keeping its flags; it wraps
// fs.ErrNotExist if there is no such account.
func (a *Accounts) SetCredentials(ctx context.Context, bareJID string, c sasl.Credentials) error {
	err := a.modify(ctx, bareJID, func(r *accountRecord) { r.Credentials = c })
	if err != nil {
		return fmt.Errorf("embeddb: set credentials %q: %w", bareJID, err)
	}
	return nil
}

// SetAdmin grants or withdraws administrator rights; it wraps fs.ErrNotExist if there is
// no such account.
func (a *Accounts) SetAdmin(ctx context.Context, bareJID string, admin bool) error {
	if err := a.modify(ctx, bareJID, func(r *accountRecord) { r.Admin = admin }); err != nil {
		return fmt.Errorf("embeddb: set admin %q: %w", bareJID, err)
	}
	return nil
}

// SetDisabled disables or enables an account; it wraps fs.ErrNotExist if there is no
// such account. A disabled account keeps its data but cannot log in.
func (a *Accounts) SetDisabled(ctx context.Context, bareJID string, disabled bool) error {
	if err := a.modify(ctx, bareJID, func(r *accountRecord) { r.Disabled = disabled }); err != nil {
		return fmt.Errorf("embeddb: set disabled %q: %w", bareJID, err)
	}
	return nil
}

// AccountFlags reports whether an account is an administrator and whether it is
// disabled; it wraps fs.ErrNotExist if there is no such account.
func (a *Accounts) AccountFlags(ctx context.Context, bareJID string) (admin, disabled bool, err error) {
	r, err := a.record(ctx, bareJID)
	if err != nil {
		return false, false, fmt.Errorf("embeddb: account flags: %w", err)
	}
	return r.Admin, r.Disabled, nil
}

// Account returns an account's credentials and flags in one read: a login needs both.
// It wraps fs.ErrNotExist if there is no such account.
func (a *Accounts) Account(ctx context.Context, bareJID string) (c sasl.Credentials, admin, disabled bool, err error) {
	r, err := a.record(ctx, bareJID)
	if err != nil {
		return sasl.Credentials{}, false, false, fmt.Errorf("embeddb: account: %w", err)
	}
	return r.Credentials, r.Admin, r.Disabled, nil
}

func (a *Accounts) modify(ctx context.Context, bareJID string, change func(*accountRecord)) error {
	if err := checkJID(bareJID); err != nil {
		return err
	}
	k := accountKey(bareJID)
	return a.db.update(ctx, func(txn *badger.Txn) error {
		r, err := readAccount(txn, bareJID)
		if err != nil {
			return err
		}
		change(&r)
		val, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return txn.Set(k, val)
	})
}

func (a *Accounts) record(ctx context.Context, bareJID string) (accountRecord, error) {
	var r accountRecord
	if err := checkJID(bareJID); err != nil {
		return r, err
	}
	err := a.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		r, err = readAccount(txn, bareJID)
		return err
	})
	return r, err
}

func readAccount(txn *badger.Txn, bareJID string) (accountRecord, error) {
	var r accountRecord
	item, err := txn.Get(accountKey(bareJID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return r, fmt.Errorf("account %q: %w", bareJID, fs.ErrNotExist)
	}
	if err != nil {
		return r, err
	}
	err = item.Value(func(v []byte) error { return json.Unmarshal(v, &r) })
	return r, err
}

// DeleteAccount removes an account with its roster, roster version, pending
// subscription requests and offline messages; it wraps fs.ErrNotExist if
// there is no such account. Entries about this JID in other accounts' rosters
// stay, as they would for a remote contact.
//
// An account with up to about a thousand records goes in one transaction. A
// larger one is deleted in several, the account record last, so that if the
// process dies half-way the account still exists and DeleteAccount can be
// run again.
func (a *Accounts) DeleteAccount(ctx context.Context, bareJID string) error {
	if err := checkJID(bareJID); err != nil {
		return err
	}
	k := accountKey(bareJID)
	exists := func(txn *badger.Txn) error { return mustExist(txn, k, bareJID) }
	remove := func(txn *badger.Txn) error { return txn.Delete(k) }
	if err := a.db.purgeOwner(ctx, bareJID, exists, remove); err != nil {
		return fmt.Errorf("embeddb: delete account %q: %w", bareJID, err)
	}
	return nil
}

// ListAccounts returns every account's bare JID in byte order (which is
// sorted order for strings). The result is never nil.
func (a *Accounts) ListAccounts(ctx context.Context) ([]string, error) {
	list := []string{}
	prefix := accountPrefix()
	err := a.db.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			list = append(list, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: list accounts: %w", err)
	}
	return list, nil
}

// Credentials returns an account's credentials, whether or not it is disabled; it wraps
// fs.ErrNotExist if there is no such account.
func (a *Accounts) Credentials(ctx context.Context, bareJID string) (sasl.Credentials, error) {
	r, err := a.record(ctx, bareJID)
	if err != nil {
		return sasl.Credentials{}, fmt.Errorf("embeddb: credentials: %w", err)
	}
	return r.Credentials, nil
}

func mustExist(txn *badger.Txn, k []byte, bareJID string) error {
	_, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("account %q: %w", bareJID, fs.ErrNotExist)
	}
	return err
}

// purgeOwner deletes every record owned by owner (ownerPrefixes, ownerKeys)
// in as few transactions as the size limit allows. Each transaction first
// runs check, which may fail the whole operation; the last one, which sees no
// records left, also runs final. So the records and the account change in
// one transaction unless there are too many.
func (db *DB) purgeOwner(ctx context.Context, owner string, check, final func(txn *badger.Txn) error) error {
	for {
		var done bool
		err := db.update(ctx, func(txn *badger.Txn) error {
			done = false
			if err := check(txn); err != nil {
				return err
			}
			b := newBudget()
			more := false
			for _, p := range ownerPrefixes(owner) {
				m, err := deletePrefix(txn, p, &b)
				if err != nil {
					return err
				}
				more = more || m
			}
			if more {
				return nil
			}
			for _, k := range ownerKeys(owner) {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			done = true
			return final(txn)
		})
		if err != nil || done {
			if err == nil {
				err = db.archive.purge(ctx, owner) // its own instance: archive_db.go
			}
			return err
		}
	}
}

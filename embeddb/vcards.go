package embeddb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/vcard"
)

// VCards stores each account's vCard and its photo hash. It implements vcard.Store.
//
// The hash has a key of its own (vcardphoto) so that the presence hook, which asks for it
// on every available presence, reads a few bytes rather than a vCard of up to 256 KiB.
type VCards struct{ db *DB }

// Get returns owner's vCard and photo hash from one snapshot; it wraps fs.ErrNotExist
// when owner has none.
func (v *VCards) Get(ctx context.Context, owner string) (vcard.Card, error) {
	var c vcard.Card
	if err := checkJID(owner); err != nil {
		return c, err
	}
	err := v.db.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(vcardKey(owner))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%q has no vCard: %w", owner, fs.ErrNotExist)
		}
		if err != nil {
			return err
		}
		if c.XML, err = item.ValueCopy(nil); err != nil {
			return err
		}
		c.PhotoHash, err = readPhotoHash(txn, owner)
		return err
	})
	if err != nil {
		return vcard.Card{}, fmt.Errorf("embeddb: vCard of %q: %w", owner, err)
	}
	return c, nil
}

// Put stores c as owner's vCard, replacing the earlier one; the vCard and its hash change
// in one transaction.
func (v *VCards) Put(ctx context.Context, owner string, c vcard.Card) error {
	if err := checkJID(owner); err != nil {
		return err
	}
	err := v.db.update(ctx, func(txn *badger.Txn) error {
		if err := txn.Set(vcardKey(owner), c.XML); err != nil {
			return err
		}
		return txn.Set(vcardPhotoKey(owner), []byte(c.PhotoHash))
	})
	if err != nil {
		return fmt.Errorf("embeddb: put vCard of %q: %w", owner, err)
	}
	return nil
}

// PhotoHash returns the photo hash stored with owner's vCard ("" for a vCard without a
// photo); it wraps fs.ErrNotExist when owner has no vCard.
func (v *VCards) PhotoHash(ctx context.Context, owner string) (string, error) {
	if err := checkJID(owner); err != nil {
		return "", err
	}
	var hash string
	err := v.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		hash, err = readPhotoHash(txn, owner)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("embeddb: vCard photo hash of %q: %w", owner, err)
	}
	return hash, nil
}

func readPhotoHash(txn *badger.Txn, owner string) (string, error) {
	item, err := txn.Get(vcardPhotoKey(owner))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", fmt.Errorf("%q has no vCard: %w", owner, fs.ErrNotExist)
	}
	if err != nil {
		return "", err
	}
	var hash string
	err = item.Value(func(b []byte) error {
		hash = string(b)
		return nil
	})
	return hash, err
}

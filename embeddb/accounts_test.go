package embeddb_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"testing"

	"xmppbox/embeddb"
	"xmppbox/server/mod/roster"
	"xmppbox/server/sasl"
)

const (
	alice     = "alice@example.org"
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
)

func creds(seed byte) sasl.Credentials {
	secret := func(n int) sasl.Secret {
		b := func(off byte) []byte { return slices.Repeat([]byte{seed + off}, n) }
		return sasl.Secret{Salt: b(0), Iterations: 4096, StoredKey: b(1), ServerKey: b(2)}
	}
	return sasl.Credentials{SHA1: secret(20), SHA256: secret(32), SHA512: secret(64)}
}

func TestAccounts(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, a *embeddb.Accounts) error
		want error // nil, fs.ErrExist, fs.ErrNotExist or fs.ErrInvalid
	}{
		{"CreateNew", func(t *testing.T, a *embeddb.Accounts) error {
			return a.CreateAccount(t.Context(), bob, creds(2))
		}, nil},
		{"CreateDuplicate", func(t *testing.T, a *embeddb.Accounts) error {
			return a.CreateAccount(t.Context(), alice, creds(9))
		}, fs.ErrExist},
		{"SetExisting", func(t *testing.T, a *embeddb.Accounts) error {
			return a.SetCredentials(t.Context(), alice, creds(5))
		}, nil},
		{"SetMissing", func(t *testing.T, a *embeddb.Accounts) error {
			return a.SetCredentials(t.Context(), bob, creds(5))
		}, fs.ErrNotExist},
		{"DeleteExisting", func(t *testing.T, a *embeddb.Accounts) error {
			return a.DeleteAccount(t.Context(), alice)
		}, nil},
		{"DeleteMissing", func(t *testing.T, a *embeddb.Accounts) error {
			return a.DeleteAccount(t.Context(), bob)
		}, fs.ErrNotExist},
		{"CredentialsMissing", func(t *testing.T, a *embeddb.Accounts) error {
			_, err := a.Credentials(t.Context(), bob)
			return err
		}, fs.ErrNotExist},
		{"EmptyJID", func(t *testing.T, a *embeddb.Accounts) error {
			return a.CreateAccount(t.Context(), "", creds(1))
		}, fs.ErrInvalid},
		{"FullJID", func(t *testing.T, a *embeddb.Accounts) error {
			return a.CreateAccount(t.Context(), "bob@example.org/phone", creds(1))
		}, fs.ErrInvalid},
		{"NULInJID", func(t *testing.T, a *embeddb.Accounts) error {
			return a.CreateAccount(t.Context(), "bob\x00@example.org", creds(1))
		}, fs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openMem(t).Accounts()
			if err := a.CreateAccount(t.Context(), alice, creds(1)); err != nil {
				t.Fatal(err)
			}
			err := tt.run(t, a)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAccountsCredentialsRoundTrip(t *testing.T) {
	ctx := t.Context()
	a := openMem(t).Accounts()
	steps := []struct {
		name string
		do   func() error
		want sasl.Credentials
	}{
		{"Create", func() error { return a.CreateAccount(ctx, alice, creds(1)) }, creds(1)},
		{"Set", func() error { return a.SetCredentials(ctx, alice, creds(7)) }, creds(7)},
		{"CreateDuplicateKeepsOld", func() error {
			if err := a.CreateAccount(ctx, alice, creds(3)); !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("CreateAccount = %v, want fs.ErrExist", err)
			}
			return nil
		}, creds(7)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			got, err := a.Credentials(ctx, alice)
			if err != nil || !reflect.DeepEqual(got, st.want) {
				t.Errorf("Credentials = %+v, %v; want %+v", got, err, st.want)
			}
		})
	}
}

func TestListAccountsSorted(t *testing.T) {
	ctx := t.Context()
	a := openMem(t).Accounts()
	if got, err := a.ListAccounts(ctx); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ListAccounts of empty store = %#v, %v; want empty non-nil", got, err)
	}
	for _, jid := range []string{"zoe@example.org", bob, aliceEvil, alice, "example.org", "Adam@example.org"} {
		if err := a.CreateAccount(ctx, jid, creds(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DeleteAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	want := []string{"Adam@example.org", alice, aliceEvil, "example.org", "zoe@example.org"}
	if got, err := a.ListAccounts(ctx); err != nil || !slices.Equal(got, want) {
		t.Errorf("ListAccounts = %q, %v; want %q", got, err, want)
	}
}

// fill gives owner n roster items, n pending requests and n offline messages.
func fill(t *testing.T, db *embeddb.DB, owner string, n int) {
	t.Helper()
	ctx := t.Context()
	for i := range n {
		contact := fmt.Sprintf("c%05d@example.net", i)
		if _, err := db.Rosters().PutItem(ctx, owner, roster.Item{JID: contact, Subscription: "both"}); err != nil {
			t.Fatal(err)
		}
		if err := db.Rosters().AddPending(ctx, owner, contact, []byte("<presence type='subscribe'/>")); err != nil {
			t.Fatal(err)
		}
		if err := db.Offline().Push(ctx, owner, []byte("<message/>"), n); err != nil {
			t.Fatal(err)
		}
	}
}

// contents counts what is stored for owner.
type contents struct {
	hasAccount              bool
	items, pending, offline int
}

func contentsOf(t *testing.T, db *embeddb.DB, owner string) contents {
	t.Helper()
	ctx := t.Context()
	var c contents
	_, err := db.Accounts().Credentials(ctx, owner)
	c.hasAccount = err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	items, _, err := db.Rosters().Roster(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Rosters().Pending(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Offline().Count(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	c.items, c.pending, c.offline = len(items), len(p), n
	return c
}

func TestDeleteAccountCascades(t *testing.T) {
	tests := []struct {
		name string
		n    int // records of each kind; over ~1000 the delete takes several transactions
	}{
		{"Small", 3},
		{"SeveralTransactions", 2500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			db := openMem(t)
			for _, owner := range []string{alice, aliceEvil} {
				if err := db.Accounts().CreateAccount(ctx, owner, creds(1)); err != nil {
					t.Fatal(err)
				}
				fill(t, db, owner, tt.n)
			}
			if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
				t.Fatalf("DeleteAccount: %v", err)
			}
			if got := contentsOf(t, db, alice); got != (contents{}) {
				t.Errorf("after DeleteAccount, %s has %+v; want nothing", alice, got)
			}
			if got, want := contentsOf(t, db, aliceEvil), (contents{true, tt.n, tt.n, tt.n}); got != want {
				t.Errorf("%s has %+v; want %+v untouched", aliceEvil, got, want)
			}
		})
	}
}

func TestRecreatedAccountStartsEmpty(t *testing.T) {
	ctx := t.Context()
	db := openMem(t)
	if err := db.Accounts().CreateAccount(ctx, alice, creds(1)); err != nil {
		t.Fatal(err)
	}
	fill(t, db, alice, 2)
	_, oldVersion, err := db.Rosters().Roster(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	// A message stored for the JID after the delete (a race with the
	// offline module) must not reach the next owner of the name.
	if err := db.Offline().Push(ctx, alice, []byte("<message>late</message>"), 10); err != nil {
		t.Fatal(err)
	}
	if err := db.Accounts().CreateAccount(ctx, alice, creds(2)); err != nil {
		t.Fatal(err)
	}
	if got, want := contentsOf(t, db, alice), (contents{hasAccount: true}); got != want {
		t.Errorf("re-created account has %+v, want %+v", got, want)
	}
	v, err := db.Rosters().PutItem(ctx, alice, roster.Item{JID: bob, Subscription: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if v <= oldVersion {
		t.Errorf("re-created roster version %d, want > %d (a client may have cached the old one)", v, oldVersion)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	db := openDir(t, dir)
	if err := db.Accounts().CreateAccount(ctx, alice, creds(1)); err != nil {
		t.Fatal(err)
	}
	fill(t, db, alice, 3)
	_, version, err := db.Rosters().Roster(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDir(t, dir)
	if got, want := contentsOf(t, db, alice), (contents{true, 3, 3, 3}); got != want {
		t.Errorf("after reopening: %+v, want %+v", got, want)
	}
	if c, err := db.Accounts().Credentials(ctx, alice); err != nil || !reflect.DeepEqual(c, creds(1)) {
		t.Errorf("Credentials = %+v, %v", c, err)
	}
	if _, v, err := db.Rosters().Roster(ctx, alice); err != nil || v != version {
		t.Errorf("roster version = %d, %v; want %d", v, err, version)
	}
	// Order survives a restart: the sequence continues from the stored counter.
	if err := db.Offline().Push(ctx, alice, []byte("<message>after</message>"), 10); err != nil {
		t.Fatal(err)
	}
	msgs, err := db.Offline().Take(ctx, alice)
	if err != nil || len(msgs) != 4 || string(msgs[3]) != "<message>after</message>" {
		t.Errorf("Take = %q, %v; want 3 old messages then the new one", msgs, err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir)
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		db.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, embeddb.ErrLocked) {
		t.Errorf("second Open: err = %v, want ErrLocked", err)
	}
}

func TestCloseTwice(t *testing.T) {
	db, err := embeddb.Open(embeddb.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestCancelledContext(t *testing.T) {
	db := openMem(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.Offline().Push(ctx, alice, []byte("<message/>"), 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Push: err = %v, want context.Canceled", err)
	}
	if _, err := db.Accounts().ListAccounts(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ListAccounts: err = %v, want context.Canceled", err)
	}
}

func TestAccountFlags(t *testing.T) {
	ctx := t.Context()
	a := openMem(t).Accounts()
	if err := a.CreateAccount(ctx, alice, creds(1)); err != nil {
		t.Fatal(err)
	}
	type flags struct{ admin, disabled bool }
	steps := []struct {
		name string
		do   func() error
		want flags
	}{
		{"New", func() error { return nil }, flags{}},
		{"MakeAdmin", func() error { return a.SetAdmin(ctx, alice, true) }, flags{admin: true}},
		{"Disable", func() error { return a.SetDisabled(ctx, alice, true) }, flags{admin: true, disabled: true}},
		{"PasswordKeepsFlags", func() error { return a.SetCredentials(ctx, alice, creds(9)) }, flags{admin: true, disabled: true}},
		{"Enable", func() error { return a.SetDisabled(ctx, alice, false) }, flags{admin: true}},
		{"Demote", func() error { return a.SetAdmin(ctx, alice, false) }, flags{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			admin, disabled, err := a.AccountFlags(ctx, alice)
			if err != nil || (flags{admin, disabled}) != st.want {
				t.Errorf("AccountFlags = %v, %v, %v; want %+v", admin, disabled, err, st.want)
			}
		})
	}
	if got, err := a.Credentials(ctx, alice); err != nil || !reflect.DeepEqual(got, creds(9)) {
		t.Errorf("Credentials after flag changes = %+v, %v; want creds(9)", got, err)
	}
	for name, err := range map[string]error{
		"SetAdminMissing":    a.SetAdmin(ctx, bob, true),
		"SetDisabledMissing": a.SetDisabled(ctx, bob, true),
		"FlagsMissing": func() error {
			_, _, err := a.AccountFlags(ctx, bob)
			return err
		}(),
	} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s = %v, want fs.ErrNotExist", name, err)
		}
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	db := openMem(t)
	if _, err := db.Settings(t.Context()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Settings of a new store = %v, want fs.ErrNotExist", err)
	}
	for _, v := range []string{`{"a":1}`, `{"a":2}`} {
		if err := db.SaveSettings(t.Context(), []byte(v)); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Settings(t.Context()); err != nil || string(got) != v {
			t.Errorf("Settings = %q, %v; want %q", got, err, v)
		}
	}
}

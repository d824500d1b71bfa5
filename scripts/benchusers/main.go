// Command benchusers creates the benchmark accounts user1..userN in a stopped xmppbox's
// data directory, all sharing one SCRAM record. It mirrors what ../shared/bench does for
// Prosody (it copies user1's hashed record to every other account): the server's work per
// login is the same as with distinct salts, and the load generator derives the salted
// password once instead of once per account, so a login benchmark measures the server
// rather than the load generator's PBKDF2. Never use it for real accounts: equal salts
// reveal equal passwords.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"xmppbox/embeddb"
	"xmppbox/server/sasl"
)

func main() {
	data := flag.String("data", "", "xmppbox data directory (the server must be stopped)")
	domain := flag.String("domain", "bench.local", "XMPP domain of the accounts")
	n := flag.Int("n", 5000, "number of accounts user1..userN")
	password := flag.String("password", "pw", "the shared password")
	flag.Parse()
	if err := run(*data, *domain, *n, *password); err != nil {
		fmt.Fprintln(os.Stderr, "benchusers:", err)
		os.Exit(1)
	}
}

func run(data, domain string, n int, password string) error {
	if data == "" {
		return errors.New("-data is required")
	}
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(data, "db"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer db.Close()
	creds, err := sasl.NewCredentials(password, sasl.MinIterations)
	if err != nil {
		return err
	}
	ctx := context.Background()
	created := 0
	for i := 1; i <= n; i++ {
		err := db.Accounts().CreateAccount(ctx, fmt.Sprintf("user%d@%s", i, domain), creds)
		switch {
		case err == nil:
			created++
		case errors.Is(err, fs.ErrExist):
		default:
			return err
		}
	}
	fmt.Printf("accounts user1..user%d: %d created\n", n, created)
	return nil
}

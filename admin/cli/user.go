package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/config"
	"xmppbox/embeddb"
)

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

// users returns the running server's admin API if it answers, else a Service on the store
// opened directly. The returned function releases what was opened.
func (e *env) users(ctx context.Context, log *slog.Logger) (Users, func() error, error) {
	dir, err := e.data()
	if err != nil {
		return nil, nil, err
	}
	sock := filepath.Join(dir, api.SocketName)
	c, err := probe(ctx, sock)
	if err == nil {
		return c, func() error { c.Close(); return nil }, nil
	}
	if !errors.Is(err, api.ErrNotRunning) {
		return nil, nil, err
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
		Invites:    db.Invites(),
		Iterations: cfg.Auth.SCRAMIterations,
		Logger:     log,
	})
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return svc, db.Close, nil
}

// probe returns a client of the server answering on sock. The error wraps
// api.ErrNotRunning when no server answers; other errors say what to do.
func probe(ctx context.Context, sock string) (*api.Client, error) {
	c := api.NewClient(sock)
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	_, err := c.Status(pctx)
	cancel()
	if err == nil {
		return c, nil
	}
	c.Close()
	switch {
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("cannot use the admin socket %s: permission denied; run this command as "+
			"the user that runs xmppbox (e.g. with sudo -u)", sock)
	case !errors.Is(err, api.ErrNotRunning):
		return nil, fmt.Errorf("the server on %s does not answer properly: %w", sock, err)
	}
	return nil, err
}

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage accounts",
		Long: `Manage accounts. A user is given as a name ("alice") or a bare JID of this
box's domain ("alice@example.org"); names are normalised (RFC 7622), so "Alice" is "alice".

While the server runs these commands talk to it through DATA/admin.sock; when it is
stopped they open the store directly.`,
	}
	cmd.AddCommand(newUserAddCmd(e), newUserDelCmd(e), newUserPasswdCmd(e), newUserListCmd(e))
	return cmd
}

// withUsers runs fn with the Users of the data directory and releases them afterwards.
func (e *env) withUsers(cmd *cobra.Command, fn func(Users) error) (err error) {
	u, release, err := e.users(cmd.Context(), cliLogger(cmd))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, release()) }()
	return fn(u)
}

// password returns the password from stdin, or a generated one to print.
func (e *env) password(cmd *cobra.Command, fromStdin bool) (pw string, generated bool, err error) {
	if fromStdin {
		pw, err = e.readPassword(cmd)
		return pw, false, err
	}
	pw, err = admin.GeneratePassword()
	return pw, true, err
}

func newUserAddCmd(e *env) *cobra.Command {
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "add NAME|JID [--password-stdin]",
		Short: "Create an account",
		Long: `Create an account. Prints "jid: ..." and, unless --password-stdin reads the
password from the first line of stdin, "password: ..." with a generated password.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, generated, err := e.password(cmd, passwordStdin)
			if err != nil {
				return err
			}
			return e.withUsers(cmd, func(u Users) error {
				j, err := u.AddUser(cmd.Context(), args[0], pw)
				if err != nil {
					return err
				}
				printUser(cmd, j, pw, generated)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

func newUserPasswdCmd(e *env) *cobra.Command {
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME|JID [--password-stdin]",
		Short: "Set an account's password (and end its sessions)",
		Long: `Set an account's password; its connected clients are disconnected. Prints
"jid: ..." and, unless --password-stdin reads the password from the first line of stdin,
"password: ..." with a generated password.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, generated, err := e.password(cmd, passwordStdin)
			if err != nil {
				return err
			}
			return e.withUsers(cmd, func(u Users) error {
				j, err := u.SetPassword(cmd.Context(), args[0], pw)
				if err != nil {
					return err
				}
				printUser(cmd, j, pw, generated)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

func printUser(cmd *cobra.Command, jid, pw string, generated bool) {
	fmt.Fprintf(cmd.OutOrStdout(), "jid: %s\n", jid)
	if generated {
		fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", pw)
	}
}

func newUserDelCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "del NAME|JID",
		Aliases: []string{"delete", "rm"},
		Short:   "Delete an account with its roster and offline messages (and end its sessions)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withUsers(cmd, func(u Users) error {
				j, err := u.DeleteUser(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", j)
				return nil
			})
		},
	}
}

func newUserListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List accounts, one bare JID per line",
		Long:    `List accounts, one bare JID per line, sorted; --json prints {"users": [...]}.`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withUsers(cmd, func(u Users) error {
				users, err := u.ListUsers(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if users == nil {
						users = []string{}
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(apitype.UserList{Users: users})
				}
				for _, j := range users {
					fmt.Fprintln(cmd.OutOrStdout(), j)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {\"users\": [\"alice@example.org\", ...]}")
	return cmd
}

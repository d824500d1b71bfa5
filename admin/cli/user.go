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
	Users(ctx context.Context, q admin.UserQuery) (admin.UserPage, error)
	SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (jid string, err error)
	SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (jid string, err error)
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
	// The file's peers were checked when the config loaded; a CA file that went missing
	// since only leaves them out of "peer list".
	staticPeers, _ := cfg.PeerConfigs(dir)
	svc, err := admin.New(admin.Config{
		Domain:      cfg.Domain,
		Accounts:    db.Accounts(),
		Invites:     db.Invites(),
		Peers:       db.Peers(),
		StaticPeers: staticPeers,
		Components:  db.Components(),
		MUCDomain:   mucDomainOf(cfg),
		Iterations:  cfg.Auth.SCRAMIterations,
		Logger:      log,
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
	for _, f := range userFlags() {
		cmd.AddCommand(newUserFlagCmd(e, f))
	}
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
	var passwordStdin, isAdmin bool
	cmd := &cobra.Command{
		Use:   "add [--admin] [--password-stdin] NAME|JID",
		Short: "Create an account",
		Long: `Create an account. Prints "jid: ..." and, unless --password-stdin reads the
password from the first line of stdin, "password: ..." with a generated password.

--admin makes the account an administrator, who may use the admin pages of the web
interface (the same as "xmppbox user promote" afterwards).`,
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
				// Printed before promoting, so a generated password is not lost if
				// that fails: the account exists either way.
				printUser(cmd, j, pw, generated)
				if !isAdmin {
					return nil
				}
				if _, err := u.SetAdmin(cmd.Context(), j, true); err != nil {
					return fmt.Errorf("%s was created but is not an administrator: %w; "+
						"retry with \"xmppbox user promote %s\"", j, err, j)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().BoolVar(&isAdmin, "admin", false, "make the account an administrator")
	return cmd
}

// userFlag is one of the commands that set an account's admin or disabled flag.
type userFlag struct {
	use, short, long string
	set              func(ctx context.Context, u Users, nameOrJID string) (string, error)
	done             string // printed after "JID: "
}

// userFlags describes "user disable", "enable", "promote" and "demote".
func userFlags() []userFlag {
	return []userFlag{
		{
			use:   "disable NAME|JID",
			short: "Disable an account: it cannot log in (its sessions are ended), its data is kept",
			long: `Disable an account: its connected clients are disconnected and it cannot log in
until "xmppbox user enable". Its roster and archive are kept, and messages sent to it are
stored offline. Prints "JID: disabled".`,
			set:  func(ctx context.Context, u Users, j string) (string, error) { return u.SetDisabled(ctx, j, true) },
			done: "disabled",
		},
		{
			use:   "enable NAME|JID",
			short: "Enable a disabled account again",
			long:  `Enable an account that "xmppbox user disable" disabled. Prints "JID: enabled".`,
			set:   func(ctx context.Context, u Users, j string) (string, error) { return u.SetDisabled(ctx, j, false) },
			done:  "enabled",
		},
		{
			use:   "promote NAME|JID",
			short: "Make an account an administrator",
			long: `Make an account an administrator: logged in to the web interface, it may use
the admin pages (accounts, invitations, settings). Prints "JID: promoted to administrator".`,
			set:  func(ctx context.Context, u Users, j string) (string, error) { return u.SetAdmin(ctx, j, true) },
			done: "promoted to administrator",
		},
		{
			use:   "demote NAME|JID",
			short: "Take an account's administrator rights away",
			long: `Take an account's administrator rights away; it stays an ordinary account.
Prints "JID: demoted to ordinary user".`,
			set:  func(ctx context.Context, u Users, j string) (string, error) { return u.SetAdmin(ctx, j, false) },
			done: "demoted to ordinary user",
		},
	}
}

func newUserFlagCmd(e *env, f userFlag) *cobra.Command {
	return &cobra.Command{
		Use:   f.use,
		Short: f.short,
		Long:  f.long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withUsers(cmd, func(u Users) error {
				j, err := f.set(cmd.Context(), u, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", j, f.done)
				return nil
			})
		},
	}
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
		Long: `List accounts, one bare JID per line, sorted. --json prints {"users": [...],
"details": [{"jid", "admin", "disabled", "sessions"}, ...]}, the details in the order of
"users"; "sessions" counts connected clients, 0 while the server is stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withUsers(cmd, func(u Users) error {
				if asJSON {
					all, err := allUsers(cmd.Context(), u)
					if err != nil {
						return err
					}
					out := apitype.UserList{Users: make([]string, 0, len(all)), Details: make([]apitype.UserDetail, 0, len(all))}
					for _, a := range all {
						out.Users = append(out.Users, a.JID)
						out.Details = append(out.Details, apitype.UserDetail{JID: a.JID, Admin: a.Admin, Disabled: a.Disabled, Sessions: a.Sessions})
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				// The plain list stays one bare JID per line: scripts read it so.
				users, err := u.ListUsers(cmd.Context())
				if err != nil {
					return err
				}
				for _, j := range users {
					fmt.Fprintln(cmd.OutOrStdout(), j)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"users": ["alice@example.org", ...], "details": [...]}`)
	return cmd
}

// allUsers returns every account, reading u.Users page by page.
func allUsers(ctx context.Context, u Users) ([]admin.User, error) {
	all := []admin.User{}
	for q := (admin.UserQuery{Limit: admin.MaxUserPage}); ; q.Offset += q.Limit {
		page, err := u.Users(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Users...)
		// Step by the limit, not by what came back: accounts deleted meanwhile are left
		// out of a page.
		if q.Offset+q.Limit >= page.Total {
			return all, nil
		}
	}
}

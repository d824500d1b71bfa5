package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/config"
	"xmppbox/server/tlsconf"
)

// ownEntries are the names xmppbox creates in a data directory. init --force removes
// these and nothing else: a directory holding anything more was not made by us.
func ownEntries() []string {
	return []string{config.FileName, "ca.crt", "ca.key", "certs", storeDirName, api.SocketName}
}

func newInitCmd(e *env) *cobra.Command {
	var o setupOptions
	var yes, passwordStdin bool
	cmd := &cobra.Command{
		Use:   "init [--domain D] [--data DIR] [--admin NAME] [--password-stdin] [--yes] [--force]",
		Short: "Set up a data directory: config file, local CA, store and first admin account",
		Long: `Set up a data directory: the config file, the local root CA, the store and the first
admin account. It prints the admin's JID and password, the CA's fingerprint, the ports to
open and the DNS records to add.

On a terminal it asks for the domain and the admin name (defaults in brackets); with --yes,
with --password-stdin, or when stdin is not a terminal it never asks, and takes the flags or
the defaults: the domain is this host's name, the admin is "admin". The password is
generated unless --password-stdin reads it from the first line of stdin.

An existing setup is never touched without --force; --force replaces it, which deletes its
accounts and its CA (clients then have to trust the new CA).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.data()
			if err != nil {
				return err
			}
			o.dataDir = dir
			// Fail before asking questions whose answers would be thrown away.
			if _, err := inspectDataDir(dir, o.force); err != nil {
				return err
			}
			interactive := !yes && !passwordStdin && isTerminal(cmd.InOrStdin())
			if o.domain == "" && !interactive {
				if o.domain, err = e.defaultDomain(); err != nil {
					return err
				}
			}
			if interactive {
				if err := e.prompt(cmd, &o, cmd.Flags().Changed("admin")); err != nil {
					return err
				}
			}
			if passwordStdin {
				if o.password, err = e.readPassword(cmd); err != nil {
					return err
				}
			}
			o.logger = cliLogger(cmd)
			res, err := setup(cmd.Context(), o)
			if err != nil {
				return err
			}
			printSetup(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.domain, "domain", "", "XMPP domain users will be in (default: this host's name)")
	f.StringVar(&o.admin, "admin", "admin", "name of the first admin account")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the admin password from the first line of stdin")
	f.BoolVar(&yes, "yes", false, "never prompt; take the flags and defaults")
	f.BoolVar(&o.force, "force", false, "replace an existing xmppbox setup in the data directory")
	return cmd
}

// defaultDomain is the host name, lower-cased: a box named "chat.office.lan" serves
// that domain, which is usually what its DNS already says.
func (e *env) defaultDomain() (string, error) {
	h, err := e.hostname()
	if err != nil {
		return "", fmt.Errorf("cannot read the host name for the default domain (%w): give --domain", err)
	}
	return strings.ToLower(h), nil
}

// prompt asks for the settings not given as flags, showing their defaults.
func (e *env) prompt(cmd *cobra.Command, o *setupOptions, adminGiven bool) error {
	w := cmd.ErrOrStderr()
	ask := func(question, def string) (string, error) {
		fmt.Fprintf(w, "%s [%s]: ", question, def)
		line, err := e.readLine(cmd)
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(w)
			return def, nil
		}
		if err != nil {
			return "", err
		}
		if line = strings.TrimSpace(line); line == "" {
			return def, nil
		}
		return line, nil
	}
	var err error
	if o.domain == "" {
		def, _ := e.defaultDomain()
		for {
			if o.domain, err = ask("XMPP domain (users will be name@domain)", def); err != nil {
				return err
			}
			if _, perr := config.ParseDomain(o.domain); perr == nil {
				break
			} else {
				fmt.Fprintln(w, perr)
				if def == o.domain {
					return perr // the default itself is invalid and stdin gives nothing else
				}
			}
		}
	}
	if !adminGiven {
		if o.admin, err = ask("Admin account name", o.admin); err != nil {
			return err
		}
	}
	return nil
}

type setupOptions struct {
	dataDir  string // absolute
	domain   string
	admin    string
	password string // "" generates one
	force    bool
	logger   *slog.Logger
}

type setupResult struct {
	dataDir     string
	cfg         *config.Config
	adminJID    string
	password    string // the generated password, "" if it was given
	fingerprint string
}

// setup creates a complete data directory. If it fails half-way it removes what it
// created, so the next attempt does not need --force.
func setup(ctx context.Context, o setupOptions) (res *setupResult, err error) {
	domain, err := config.ParseDomain(o.domain)
	if err != nil {
		return nil, fmt.Errorf("%w (give --domain)", err)
	}
	if err := prepareDataDir(o.dataDir, o.force); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			// Only our entries exist now: prepareDataDir made sure of that.
			for _, name := range ownEntries() {
				os.RemoveAll(filepath.Join(o.dataDir, name))
			}
		}
	}()

	cfg := config.Default(domain)
	if err := config.Write(filepath.Join(o.dataDir, config.FileName), cfg); err != nil {
		return nil, err
	}
	if err := tlsconf.CreateCA(o.dataDir, "xmppbox local CA for "+domain); err != nil {
		return nil, err
	}
	ca, err := tlsconf.LoadCA(o.dataDir)
	if err != nil {
		return nil, err
	}
	res = &setupResult{dataDir: o.dataDir, cfg: cfg, fingerprint: ca.Fingerprint()}
	pw := o.password
	if pw == "" {
		if pw, err = admin.GeneratePassword(); err != nil {
			return nil, err
		}
		res.password = pw
	}
	db, err := openStore(o.dataDir, o.logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	svc, err := admin.New(admin.Config{Domain: domain, Accounts: db.Accounts(),
		Iterations: cfg.Auth.SCRAMIterations, Logger: o.logger})
	if err != nil {
		return nil, err
	}
	if res.adminJID, err = svc.AddUser(ctx, o.admin, pw); err != nil {
		return nil, fmt.Errorf("creating the admin account: %w", err)
	}
	if _, err = svc.SetAdmin(ctx, res.adminJID, true); err != nil {
		return nil, fmt.Errorf("making %s an admin: %w", res.adminJID, err)
	}
	return res, nil
}

// inspectDataDir checks, without changing anything, that dir may be set up: it is missing,
// empty, or (with force) holds only what xmppbox creates. It returns the entries to remove.
// A directory holding files xmppbox does not create is never used, even with force.
func inspectDataDir(dir string, force bool) (ours []string, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var foreign []string
	hasConfig := false
	for _, de := range entries {
		if slices.Contains(ownEntries(), de.Name()) {
			ours = append(ours, de.Name())
			hasConfig = hasConfig || de.Name() == config.FileName
		} else {
			foreign = append(foreign, de.Name())
		}
	}
	switch {
	case len(foreign) > 0 && (hasConfig || force):
		return nil, fmt.Errorf("data dir %s holds files xmppbox did not create (%s); "+
			"move them away or choose another directory", dir, strings.Join(foreign, ", "))
	case len(foreign) > 0:
		return nil, fmt.Errorf("data dir %s is not empty (%s); choose a new or empty directory",
			dir, strings.Join(foreign, ", "))
	case len(ours) > 0 && !force:
		return nil, fmt.Errorf("data dir %s already holds an xmppbox setup; use --force to overwrite it", dir)
	}
	return ours, nil
}

// prepareDataDir makes dir an empty directory with mode 0700, after inspectDataDir.
func prepareDataDir(dir string, force bool) error {
	ours, err := inspectDataDir(dir, force)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		// Parents get the usual 0755; only the data directory itself is private.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return err
		}
		return os.Mkdir(dir, 0o700)
	}
	if len(ours) > 0 {
		if err := checkNotRunning(dir); err != nil {
			return err
		}
		for _, name := range ours {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("removing the old setup: %w", err)
			}
		}
	}
	// An existing empty directory may have been made with the umask's mode.
	return os.Chmod(dir, 0o700)
}

// checkNotRunning fails if a server answers on dir's admin socket or holds its store:
// removing the store under it would lose data.
func checkNotRunning(dir string) error {
	c := api.NewClient(filepath.Join(dir, api.SocketName))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if _, err := c.Status(ctx); !errors.Is(err, api.ErrNotRunning) {
		return fmt.Errorf("an xmppbox server is running on %s; stop it before replacing its setup", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, storeDirName)); err != nil {
		return nil // no store to be locked
	}
	db, err := openStore(dir, nil)
	if err != nil {
		return fmt.Errorf("cannot replace the setup in %s: %w", dir, err)
	}
	return db.Close()
}

// printSetup writes what the operator needs after init.
func printSetup(w io.Writer, r *setupResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("xmppbox is set up in %s\n\n", r.dataDir)
	p("domain:         %s\n", r.cfg.Domain)
	p("admin jid:      %s\n", r.adminJID)
	if r.password != "" {
		p("admin password: %s\n", r.password)
	}
	p("CA SHA-256:     %s\n", r.fingerprint)
	p("\nClients must trust the local CA: \"xmppbox cert ca > xmppbox-ca.crt\" prints it.\n")
	p("Check the fingerprint above when a client asks.\n")

	addrs := r.cfg.Addrs()
	p("\nPorts to open (TCP):\n")
	for _, a := range addrs {
		p("  %-5s  %s\n", a.Port(), a.Purpose)
	}
	if r.cfg.Domain == "localhost" {
		p("\nNo DNS records: \"localhost\" only works on this machine; run \"xmppbox init --domain D --force\" for a real domain.\n")
		return
	}
	p("\nDNS records (RFC 6120 §3.2.1, XEP-0368) pointing at this box, e.g.:\n")
	d := strings.TrimSuffix(r.cfg.Domain, ".") + "."
	for _, srv := range []struct{ service, addr string }{
		{"_xmpp-client._tcp", r.cfg.Listeners.C2S},
		{"_xmpps-client._tcp", r.cfg.Listeners.C2STLS},
		{"_xmpp-server._tcp", r.cfg.Listeners.S2S},
	} {
		if srv.addr == "" {
			continue
		}
		port := config.NamedAddr{Addr: srv.addr}.Port()
		p("  %s.%s 3600 IN SRV 0 5 %s %s\n", srv.service, d, port, d)
	}
	p("  (and an A/AAAA record for %s)\n", r.cfg.Domain)
}

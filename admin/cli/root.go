package cli

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"xmppbox/admin"

	"github.com/spf13/cobra"
)

// env is what every command shares: the process environment as given to New, and the
// persistent flags. One env belongs to one root command.
type env struct {
	lookupEnv func(key string) (string, bool)
	hostname  func() (string, error)
	dataDir   string // --data

	stdinOnce *bufio.Reader // created on first use, so prompts and --password-stdin share it
}

// New builds the root command. stdin, stdout and stderr are where commands read and write;
// environ (os.Environ() in main) provides XMPPBOX_DATA, XMPPBOX_*_ADDR, HOME and
// XDG_DATA_HOME. Nothing is read from the real environment, so tests build fresh roots.
func New(stdin io.Reader, stdout, stderr io.Writer, environ []string) *cobra.Command {
	return newRoot(newEnv(environ, os.Hostname), stdin, stdout, stderr)
}

// newEnv returns an env over environ ("KEY=value" strings).
func newEnv(environ []string, hostname func() (string, error)) *env {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return &env{
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		hostname:  hostname,
	}
}

func newRoot(e *env, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "xmppbox",
		Short: "A self-contained XMPP server",
		Long: `xmppbox is a self-contained XMPP server in one binary, with its own certificate
authority, for networks with or without internet access.

Start with "xmppbox init" (or just "xmppbox serve", which sets up a "localhost" box).`,
		Version:      versionString(),
		SilenceUsage: true,
		// Whoever runs the CLI owns the data directory: the operator, who may do
		// everything the admin service offers.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			cmd.SetContext(admin.AsOperator(cmd.Context()))
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&e.dataDir, "data", defaultDataDir(e.lookupEnv, os.Geteuid()),
		"data directory: $XMPPBOX_DATA if set, else /var/lib/xmppbox for root, else\n"+
			"$XDG_DATA_HOME/xmppbox or ~/.local/share/xmppbox")
	root.AddCommand(
		newInitCmd(e),
		newServeCmd(e),
		newUserCmd(e),
		newInviteCmd(e),
		newPeerCmd(e),
		newStatusCmd(e),
		newRoomCmd(e),
		newComponentCmd(e),
		newCertCmd(e),
		newVersionCmd(e),
	)
	return root
}

// defaultDataDir picks the data directory when --data is not given.
func defaultDataDir(lookupEnv func(string) (string, bool), euid int) string {
	if v, ok := lookupEnv("XMPPBOX_DATA"); ok && v != "" {
		return v
	}
	if euid == 0 {
		return "/var/lib/xmppbox"
	}
	// XDG Base Directory: a relative XDG_DATA_HOME is invalid and must be ignored.
	if v, ok := lookupEnv("XDG_DATA_HOME"); ok && filepath.IsAbs(v) {
		return filepath.Join(v, "xmppbox")
	}
	if v, ok := lookupEnv("HOME"); ok && v != "" {
		return filepath.Join(v, ".local", "share", "xmppbox")
	}
	return ""
}

// data returns the absolute data directory.
func (e *env) data() (string, error) {
	if e.dataDir == "" {
		return "", errors.New("no data directory: give --data DIR or set XMPPBOX_DATA (HOME is not set)")
	}
	return filepath.Abs(e.dataDir)
}

// stdin returns the shared buffered reader over the command's input.
func (e *env) stdin(cmd *cobra.Command) *bufio.Reader {
	if e.stdinOnce == nil {
		e.stdinOnce = bufio.NewReader(cmd.InOrStdin())
	}
	return e.stdinOnce
}

// readLine reads one line from the command's input without its line ending. At the end
// of the input it returns what there was, or io.EOF if there was nothing.
func (e *env) readLine(cmd *cobra.Command) (string, error) {
	line, err := e.stdin(cmd).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readPassword reads the password for --password-stdin: the first line of the input.
func (e *env) readPassword(cmd *cobra.Command) (string, error) {
	pw, err := e.readLine(cmd)
	if err != nil {
		return "", errors.New("--password-stdin: no password on stdin")
	}
	if pw == "" {
		return "", errors.New("--password-stdin: the password on stdin is empty")
	}
	return pw, nil
}

// isTerminal reports whether r is a character device such as a terminal. golang.org/x/term
// would check more exactly, but it is not a dependency; a character device that is not a
// terminal (/dev/null) only means prompts are shown and answered with their defaults.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// cliLogger is the logger of short-lived commands: warnings and errors only, on stderr.
func cliLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

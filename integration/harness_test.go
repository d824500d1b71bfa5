package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Deadlines. They bound how long a broken server can hang a test; they are never asserted
// as timings.
const (
	readyTimeout = 30 * time.Second // exec to "listening" on every client listener
	stopTimeout  = 20 * time.Second // SIGTERM to exit
	cliTimeout   = 30 * time.Second // one CLI command
	stanzaWait   = 10 * time.Second // one expected stanza
)

// defaultDomain is the XMPP domain of a test server unless a test asks for another.
const defaultDomain = "example.test"

// adminName and adminPassword are the account `xmppbox init` creates in every test server.
const (
	adminName     = "admin"
	adminPassword = "admin-secret-1"
)

// binary is the xmppbox executable built once by TestMain and shared by every test.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain builds the binary into a temporary directory (or takes XMPPBOX_TEST_BINARY, so a
// developer can point the tests at a binary built elsewhere), runs the tests and removes the
// directory. A build failure fails the run: there is nothing to test without the binary.
func runMain(m *testing.M) int {
	if b := os.Getenv("XMPPBOX_TEST_BINARY"); b != "" {
		binary = b
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "xmppbox-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "xmppbox")
	// The tests run in ./integration; the main package is the module root.
	// XMPPBOX_TEST_RACE=1 builds the server with the race detector: a data race then makes
	// the server exit non-zero at shutdown (status 66), which fails the test that ran it.
	args := []string{"build", "-o", binary}
	if os.Getenv("XMPPBOX_TEST_RACE") == "1" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Dir = ".."
	build.Stdout = os.Stderr
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: go build of xmppbox failed:", err)
		return 1
	}
	return m.Run()
}

// serverOpts changes how startServer sets up a server. The zero value is a server for
// defaultDomain.
type serverOpts struct {
	Domain string   // XMPP domain; defaultDomain if empty
	Env    []string // extra environment for `serve`, KEY=VALUE
	// Config sets keys of the config file written by init before the first start,
	// "section.key" -> TOML value (quoted as TOML wants: `"2s"`, `true`, `5`).
	Config map[string]string
}

// Server is one running xmppbox process and its data directory. Addresses change on every
// (re)start because every listener is bound to 127.0.0.1:0.
type Server struct {
	Domain  string
	DataDir string
	CAFile  string         // DataDir/ca.crt, the only root clients trust
	CAPool  *x509.CertPool // CAFile parsed
	CAPEM   []byte         // the root as printed by `xmppbox cert ca`

	// Addresses from the "listening" log lines of the current process.
	C2S, C2STLS string
	Listeners   map[string]string // every listener=name addr=host:port seen

	opts serverOpts
	proc *process
}

// startServer creates a data directory with `xmppbox init`, starts `xmppbox serve` on
// 127.0.0.1:0 listeners and returns once the server logged where c2s, c2s-tls and the admin
// socket listen.
// The server is stopped with SIGTERM when the test ends, and must exit 0.
func startServer(t *testing.T, opts serverOpts) *Server {
	t.Helper()
	if opts.Domain == "" {
		opts.Domain = defaultDomain
	}
	// A short path of our own rather than t.TempDir(): the admin socket lives in the data
	// dir and unix socket paths are limited to 108 bytes, while t.TempDir() embeds the test
	// name.
	root, err := os.MkdirTemp("", "xb")
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after the server's own cleanup has stopped it.
	t.Cleanup(func() { os.RemoveAll(root) })

	s := &Server{Domain: opts.Domain, DataDir: filepath.Join(root, "data"), opts: opts}
	out, errOut, err := s.run(t, adminPassword+"\n", "init",
		"--domain", s.Domain, "--admin", adminName, "--yes", "--password-stdin")
	if err != nil {
		t.Fatalf("xmppbox init: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("xmppbox init:\n%s%s", out, errOut)
	s.CAFile = filepath.Join(s.DataDir, "ca.crt")
	pemBytes, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatalf("init wrote no CA certificate: %v", err)
	}
	s.CAPEM = pemBytes
	s.CAPool = x509.NewCertPool()
	if !s.CAPool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", s.CAFile)
	}
	if len(opts.Config) > 0 {
		editConfig(t, filepath.Join(s.DataDir, "xmppbox.toml"), opts.Config)
	}
	// Registered before the start, so that a server that never gets ready is stopped too.
	t.Cleanup(func() { s.stop(t) })
	s.start(t)
	return s
}

// editConfig sets "section.key" values in a TOML file written by init: an existing key
// line in that section is replaced, else the key is added under the section's header (and
// the section is added when missing).
func editConfig(t *testing.T, path string, set map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for dotted, value := range set {
		section, key, ok := strings.Cut(dotted, ".")
		if !ok {
			t.Fatalf("config key %q: want section.key", dotted)
		}
		header, start := -1, -1
		for i, l := range lines {
			trimmed := strings.TrimSpace(l)
			if strings.HasPrefix(trimmed, "[") {
				if header >= 0 {
					break
				}
				if trimmed == "["+section+"]" {
					header = i
				}
				continue
			}
			if header >= 0 && (strings.HasPrefix(trimmed, key+" ") || strings.HasPrefix(trimmed, key+"=")) {
				start = i
				break
			}
		}
		line := key + " = " + value
		switch {
		case start >= 0:
			lines[start] = line
		case header >= 0:
			lines = append(lines[:header+1], append([]string{line}, lines[header+1:]...)...)
		default:
			lines = append(lines, "["+section+"]", line)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Restart stops the server with SIGTERM (it must exit 0) and starts it again on the same data
// directory, with new addresses.
func (s *Server) Restart(t *testing.T) {
	t.Helper()
	s.stop(t)
	s.start(t)
}

// Stop stops the server now (the cleanup then has nothing left to do) and reports whether it
// exited 0 after SIGTERM.
func (s *Server) Stop(t *testing.T) {
	t.Helper()
	s.stop(t)
}

// Start starts a stopped server again on its data directory, with new addresses.
func (s *Server) Start(t *testing.T) {
	t.Helper()
	if s.proc != nil {
		t.Fatal("Start: the server is running")
	}
	s.start(t)
}

func (s *Server) start(t *testing.T) {
	t.Helper()
	args := []string{"serve", "--data", s.DataDir,
		"--c2s-addr", "127.0.0.1:0",
		"--c2s-tls-addr", "127.0.0.1:0",
		"--s2s-addr", "127.0.0.1:0",
		"--https-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0",
		"--component-addr", "127.0.0.1:0",
	}
	p, err := startProcess(t, s.env(), args...)
	if err != nil {
		t.Fatalf("start xmppbox serve: %v", err)
	}
	s.proc = p
	s.Listeners = map[string]string{}
	deadline := time.Now().Add(readyTimeout)
	// admin is the local API on DATA/admin.sock that `xmppbox user ...` uses while the server
	// runs: waiting for it too makes AddUser right after the start deterministic.
	for _, name := range []string{"c2s", "c2s-tls", "admin"} {
		line, err := p.log.wait(deadline, func(l string) bool {
			return listeningRE.MatchString(l) && logValue(l, "listener") == name
		})
		if err != nil {
			t.Fatalf("xmppbox serve did not report listener %s: %v", name, err)
		}
		s.Listeners[name] = logValue(line, "addr")
	}
	// Other listeners that were already reported are recorded too, for tests that want them.
	for _, l := range p.log.snapshot() {
		if listeningRE.MatchString(l) {
			s.Listeners[logValue(l, "listener")] = logValue(l, "addr")
		}
	}
	s.C2S, s.C2STLS = s.Listeners["c2s"], s.Listeners["c2s-tls"]
}

func (s *Server) stop(t *testing.T) {
	t.Helper()
	if s.proc == nil {
		return
	}
	p := s.proc
	s.proc = nil
	if err := p.terminate(stopTimeout); err != nil {
		t.Errorf("xmppbox serve: graceful shutdown: %v", err)
	}
}

// WaitLog waits until the current server process logs a line for which match is true, and
// returns it.
func (s *Server) WaitLog(t *testing.T, timeout time.Duration, match func(line string) bool) string {
	t.Helper()
	line, err := s.proc.log.wait(time.Now().Add(timeout), match)
	if err != nil {
		t.Fatalf("server log: %v", err)
	}
	return line
}

// env is the environment for every xmppbox command: ours, without XMPPBOX_* variables a
// developer may have set, plus the test's own.
func (s *Server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XMPPBOX_") {
			env = append(env, kv)
		}
	}
	return append(env, s.opts.Env...)
}

// CLI runs `xmppbox ARGS... --data DIR` with stdin and returns its stdout and stderr. The
// command's output is logged.
func (s *Server) CLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	stdout, stderr, err = s.run(t, stdin, args...)
	t.Logf("$ xmppbox %s (err=%v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	return stdout, stderr, err
}

func (s *Server) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(args, "--data", s.DataDir)...)
	cmd.Env = s.env()
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("xmppbox %s: no exit within %v: %w", args[0], cliTimeout, err)
	}
	return o.String(), e.String(), err
}

// AddUser creates an account with `xmppbox user add NAME --password-stdin` and fails the test
// if the command fails. It works whether or not the server runs.
func (s *Server) AddUser(t *testing.T, name, password string) {
	t.Helper()
	if _, _, err := s.CLI(t, password+"\n", "user", "add", name, "--password-stdin"); err != nil {
		t.Fatalf("xmppbox user add %s: %v", name, err)
	}
}

// JID returns name@domain.
func (s *Server) JID(name string) string { return name + "@" + s.Domain }

var listeningRE = regexp.MustCompile(`(^|\s)msg="?listening"?(\s|$)`)

// logValue returns the value of key=value in an slog text line, unquoted.
func logValue(line, key string) string {
	re := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(key) + `=("(?:[^"\\]|\\.)*"|\S*)`)
	m := re.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return strings.Trim(m[1], `"`)
}

// process is one running `xmppbox serve`.
type process struct {
	cmd    *exec.Cmd
	log    *logBuffer
	exited chan struct{} // closed when Wait returned
	err    error         // Wait's result, valid after exited is closed
	copied sync.WaitGroup
}

// startProcess starts the binary. Its stdout and stderr lines go to t.Log and to a buffer
// that tests can wait on.
func startProcess(t *testing.T, env []string, args ...string) (*process, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	return runProcess(t, "xmppbox", cmd)
}

// runProcess starts cmd. Its stdout and stderr lines go to t.Log, after label and the
// process id, and to a buffer that tests can wait on.
func runProcess(t *testing.T, label string, cmd *exec.Cmd) (*process, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, log: newLogBuffer(), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	forward := func(r io.Reader, stream string) {
		defer p.copied.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			t.Logf("%s[%d] %s: %s", label, pid, stream, line)
			p.log.add(line)
		}
	}
	p.copied.Add(2)
	go forward(stdout, "stdout")
	go forward(stderr, "stderr")
	go func() {
		// Wait must follow the pipe readers: it closes the pipes.
		p.copied.Wait()
		p.err = cmd.Wait()
		p.log.close(p.err)
		close(p.exited)
	}()
	return p, nil
}

// terminate sends SIGTERM and waits for the exit. A server that needs SIGKILL or exits
// non-zero is an error: graceful shutdown is part of the contract.
func (p *process) terminate(timeout time.Duration) error {
	select {
	case <-p.exited:
		return fmt.Errorf("server had already exited: %v", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("no exit within %v of SIGTERM; killed", timeout)
	}
	if p.err != nil {
		return fmt.Errorf("exit after SIGTERM: %w", p.err)
	}
	return nil
}

// logBuffer keeps a process's output lines and wakes waiters on every new line.
type logBuffer struct {
	mu      sync.Mutex
	lines   []string      // guarded by mu
	changed chan struct{} // closed and replaced on every change; guarded by mu
	done    bool          // output ended; guarded by mu
	exitErr error         // guarded by mu
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *logBuffer) close(exitErr error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.exitErr = true, exitErr
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *logBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

var errExited = errors.New("server exited")

// wait returns the first line (from the start of the output) for which match is true.
func (b *logBuffer) wait(deadline time.Time, match func(string) bool) (string, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	next := 0
	for {
		b.mu.Lock()
		lines, changed, done, exitErr := b.lines, b.changed, b.done, b.exitErr
		b.mu.Unlock()
		for ; next < len(lines); next++ {
			if match(lines[next]) {
				return lines[next], nil
			}
		}
		if done {
			return "", fmt.Errorf("%w (%v) before the expected log line", errExited, exitErr)
		}
		select {
		case <-changed:
		case <-timer.C:
			return "", fmt.Errorf("no matching log line within the deadline")
		}
	}
}

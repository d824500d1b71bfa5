package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xmppbox/admin/api"
	"xmppbox/admin/config"
	"xmppbox/embeddb"
)

// lineWatcher is a goroutine-safe writer that closes ready once a line containing want has
// been written.
type lineWatcher struct {
	want  string
	ready chan struct{}

	mu   sync.Mutex
	buf  bytes.Buffer // guarded by mu
	seen bool         // guarded by mu
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains(w.buf.String(), w.want) {
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist: serve sets it up
	stderr := &lineWatcher{want: "msg=ready", ready: make(chan struct{})}
	var stdout bytes.Buffer
	e := newEnv([]string{"XMPPBOX_C2S_TLS_ADDR=127.0.0.1:0"}, func() (string, error) { return "box", nil })
	root := newRoot(e, strings.NewReader(""), &stdout, stderr)
	root.SetArgs([]string{"serve", "--data", dir, "--c2s-addr", "127.0.0.1:0", "--log-level", "debug",
		"--s2s-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--component-addr", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	select {
	case <-stderr.ready:
	case err := <-done:
		t.Fatalf("serve returned early: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve not ready after 30 s:\n%s", stderr)
	}
	log := stderr.String()
	for _, want := range []string{
		`No setup found in ` + dir + `: created one for the domain "localhost"`,
		"admin jid:      admin@localhost",
		"admin password: ",
		"msg=listening listener=admin addr=" + filepath.Join(dir, api.SocketName),
		"msg=listening listener=c2s addr=127.0.0.1:",
		"msg=listening listener=c2s-tls addr=127.0.0.1:",
		"msg=listening listener=component addr=127.0.0.1:",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("serve wrote to stdout: %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, config.FileName)); err != nil {
		t.Error(err)
	}

	// While it runs, the store is locked and user commands go through the socket.
	r := mustRun(t, "pencil\n", "user", "add", "alice", "--password-stdin", "--data", dir)
	if r.stdout != "jid: alice@localhost\n" {
		t.Errorf("user add: %q", r.stdout)
	}
	// A second server on the same data dir is refused.
	r = run(t, "", nil, "serve", "--data", dir, "--c2s-addr", "", "--c2s-tls-addr", "")
	if r.err == nil || !strings.Contains(r.err.Error(), "another xmppbox is already using "+dir) {
		t.Errorf("second serve: %v", r.err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of cancel")
	}
	if _, err := os.Stat(filepath.Join(dir, api.SocketName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	// The store was closed, and what was added through the API is in it.
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatalf("store not released: %v", err)
	}
	defer db.Close()
	if _, err := db.Accounts().Credentials(context.Background(), "alice@localhost"); err != nil {
		t.Errorf("alice: %v", err)
	}
}

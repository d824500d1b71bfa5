package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// SocketName is the admin socket's file name in the data directory.
const SocketName = "admin.sock"

// ErrInUse is wrapped by Listen when another process answers on the socket.
var ErrInUse = errors.New("admin api: another process is serving on the socket")

// Listen listens on the unix socket at path with mode 0600. A socket file left behind by a
// process that died without removing it (kill -9, power loss) is detected — nothing
// answers on it — and replaced; one that answers belongs to a live server, and Listen
// fails with ErrInUse rather than steal it.
//
// The listener removes the socket file when closed.
func Listen(path string) (net.Listener, error) {
	ln, err := net.Listen("unix", path)
	if errors.Is(err, syscall.EADDRINUSE) {
		if err := removeStale(path); err != nil {
			return nil, err
		}
		ln, err = net.Listen("unix", path)
	}
	if err != nil {
		return nil, fmt.Errorf("admin api: %w", err)
	}
	// chmod after listening instead of changing the umask: the umask is per process, and
	// other goroutines may be creating files meanwhile. Until the chmod the socket is
	// protected by the data directory's 0700 mode.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin api: %w", err)
	}
	return ln, nil
}

// removeStale removes the socket file at path if nothing listens on it.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("admin api: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("admin api: %s exists and is not a socket; move it away", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w %s", ErrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("admin api: checking %s: %w", path, err)
	}
	// Between this check and the new Listen another server could take the path; the
	// store lock (one process per data directory) already rules that out.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("admin api: removing stale socket: %w", err)
	}
	return nil
}

package c2s

import (
	"context"
	"errors"

	"xmppbox/server/sasl"
)

// Accounts is what authentication needs from the account store. A missing account is
// an error wrapping fs.ErrNotExist.
type Accounts interface {
	Credentials(ctx context.Context, bareJID string) (sasl.Credentials, error)
	// Account returns the credentials and flags in one read; a disabled account cannot
	// log in.
	Account(ctx context.Context, bareJID string) (c sasl.Credentials, admin, disabled bool, err error)
}

// CloseReason says why a connection ended, for logs and metrics.
type CloseReason string

const (
	CloseClientEnded  CloseReason = "client-closed"
	CloseReadError    CloseReason = "read-error"
	CloseWriteError   CloseReason = "write-error"
	CloseStreamError  CloseReason = "stream-error"
	CloseTLSFailed    CloseReason = "tls-failed"
	CloseAuthFailed   CloseReason = "auth-failed"
	CloseTimeout      CloseReason = "timeout"
	CloseQueueFull    CloseReason = "queue-full"
	CloseReplaced     CloseReason = "replaced"
	CloseShutdown     CloseReason = "shutdown"
	CloseKicked       CloseReason = "kicked"
	CloseTooManyConns CloseReason = "too-many-connections"
)

// errStreamClosed ends the read loop after the client closed its stream.
var errStreamClosed = errors.New("c2s: stream closed by client")

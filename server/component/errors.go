package component

import (
	"context"
	"errors"

	"xmppbox/server/stanza"
)

// NS is the content namespace of a component stream accepted by the server (XEP-0114).
const NS = "jabber:component:accept"

// Secrets is the component configuration the listener needs; embeddb implements it.
type Secrets interface {
	// ComponentSecret returns the shared secret of the component serving domain (a
	// normalised domain name). A domain with no component is an error wrapping
	// fs.ErrNotExist.
	ComponentSecret(ctx context.Context, domain string) (string, error)
}

// CloseReason says why a component connection ended, for logs and metrics.
type CloseReason string

const (
	CloseComponentEnded CloseReason = "component-closed"
	CloseReadError      CloseReason = "read-error"
	CloseWriteError     CloseReason = "write-error"
	CloseStreamError    CloseReason = "stream-error"
	CloseAuthFailed     CloseReason = "auth-failed"
	CloseConflict       CloseReason = "conflict"
	CloseTimeout        CloseReason = "timeout"
	CloseQueueFull      CloseReason = "queue-full"
	CloseShutdown       CloseReason = "shutdown"
	CloseRemoved        CloseReason = "removed"
	CloseTooManyConns   CloseReason = "too-many-connections"
)

// ErrQueueFull is returned by Send when the component does not read its stream; the
// connection is being closed.
var ErrQueueFull = errors.New("component: outbound queue full")

// ErrClosed is returned by Send once the connection is closing.
var ErrClosed = errors.New("component: connection closed")

// errStreamClosed ends the read loop after the component closed its stream.
var errStreamClosed = errors.New("component: stream closed by component")

// closeError is a stream error with the reason the connection ends for it, so the log
// tells a failed handshake from a conflict, though both are stream errors.
type closeError struct {
	se  *stanza.StreamError
	why CloseReason
}

func (e *closeError) Error() string { return e.se.Error() }
func (e *closeError) Unwrap() error { return e.se }

func fail(why CloseReason, condition, text string) error {
	return &closeError{se: &stanza.StreamError{Condition: condition, Text: text}, why: why}
}

package session

import "errors"

var (
	// ErrQueueFull is returned by Conn.Send when the client's outbound queue is full.
	ErrQueueFull = errors.New("session: outbound queue full")
	// ErrClosed is returned by Conn.Send once the connection is closing.
	ErrClosed = errors.New("session: connection closed")
)

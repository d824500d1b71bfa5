package admin

import (
	"errors"
	"io/fs"
)

// ErrInvalid is wrapped by errors about input that can never succeed as given: a malformed
// user name, a JID of another domain, an unusable password.
var ErrInvalid = errors.New("invalid")

// ErrUserExists is wrapped when adding an account that exists; it wraps fs.ErrExist.
var ErrUserExists error = &kindError{"user already exists", fs.ErrExist}

// ErrNoUser is wrapped when the account does not exist; it wraps fs.ErrNotExist.
var ErrNoUser error = &kindError{"no such user", fs.ErrNotExist}

// ErrRoomExists is wrapped when creating a chat room that exists; it wraps fs.ErrExist.
var ErrRoomExists error = &kindError{"room already exists", fs.ErrExist}

// ErrNoRoom is wrapped when the chat room does not exist; it wraps fs.ErrNotExist.
var ErrNoRoom error = &kindError{"no such room", fs.ErrNotExist}

// kindError is an error with its own text that still matches the fs error kind it stands
// for, so callers test errors.Is(err, fs.ErrExist) whatever the store said.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

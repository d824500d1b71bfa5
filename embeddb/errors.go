package embeddb

import "errors"

// ErrLocked is wrapped by Open when another process (normally the running
// server) holds the database directory; talk to that process instead.
var ErrLocked = errors.New("embeddb: database is locked by another process")

// ErrSchemaTooNew is wrapped by Open when the database was written by a newer
// xmppbox whose key layout this build does not know.
var ErrSchemaTooNew = errors.New("embeddb: database schema is newer than this build")

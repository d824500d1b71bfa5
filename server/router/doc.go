// Package router delivers stanzas: to the server's own handlers, to the resources of a
// local account (RFC 6121 §8.5), to offline storage, or back to the sender as an error.
// It knows no sockets and no storage; feature modules register with it (Register* methods)
// before the server starts, and the c2s layer hands it stanzas from bound resources.
//
// Registration is not safe for concurrent use and must finish before the first stanza is
// routed; after that the router is read-only and safe for concurrent use.
package router

// Package session is the registry of online client resources and the presence state each
// one carries (RFC 6120 §7 resource binding, RFC 6121 §4 presence). It knows no sockets: a
// resource reaches its connection only through the Conn interface.
//
// Lock order: Registry.mu is never held while a Resource's mu is taken or a Conn is called.
package session

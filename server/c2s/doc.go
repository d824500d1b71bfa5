// Package c2s serves client-to-server XMPP streams (RFC 6120): STARTTLS (required before
// authentication) or direct TLS (XEP-0368), SASL, resource binding, then a stanza loop
// that hands stanzas to the router. Next to SASL, an optional Config.PreAuth serves what a
// client may do before authenticating, such as in-band registration (preauth.go).
//
// Each connection has one reader goroutine that owns the XML decoder and the stream state,
// and a writer goroutine that exists only while outbound bytes are queued (see queue.go):
// an idle connection costs one parked goroutine and small buffers.
//
// Lock order: Server.mu before conn.wmu; neither is held while calling the router.
package c2s

// Package s2s links this server with other XMPP servers (RFC 6120 server-to-server
// streams): incoming streams on the s2s listener, outgoing streams dialled per remote
// domain, both over TLS, authenticated with certificates (SASL EXTERNAL, XEP-0178) or,
// where the policy allows, Server Dialback (XEP-0220).
//
// Inside the server every stanza is in jabber:client; this package renames jabber:server
// on the way in and out, so modules never see the difference.
package s2s

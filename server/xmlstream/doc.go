// Package xmlstream reads the never-ending XML stream of an XMPP connection (RFC 6120 §4)
// one top-level element at a time, and writes the stream header.
//
// Reader is built on encoding/xml.Decoder.Token in strict mode. It enforces what a server
// must not leave to the peer: the size of one stanza, its nesting depth, and the XML
// subset XMPP allows (RFC 6120 §11.1: no comments, processing instructions, DTDs or entity
// declarations). Memory is bounded even while one oversized token is still arriving: the
// decoder reads through a bufio.Reader of a fixed small size on top of a reader that stops
// supplying bytes once a stanza's budget is spent.
//
// Namespace handling follows Namespaces in XML 1.0 more strictly than encoding/xml does:
// undeclared prefixes, duplicate attributes, empty prefix bindings and misuse of the xml
// and xmlns prefixes are not-well-formed. Elements come back with resolved namespace URIs,
// so the result serializes with stanza.Element.AppendXML.
//
// A Reader belongs to one goroutine. It is good for one stream: after STARTTLS and SASL
// success the stream restarts (RFC 6120 §5.4.3.3, §6.4.6) and the caller builds a new
// Reader, which drops whatever the old one had buffered; that is what RFC 6120 §5.4.3.3
// requires of data sent before the TLS handshake.
//
// Not implemented: the XMPP over WebSocket framing of RFC 7395 (<open/> and <close/>
// instead of a stream header), and stream error elements sent by the peer are returned as
// ordinary elements for the caller to interpret.
package xmlstream

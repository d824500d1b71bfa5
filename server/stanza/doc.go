// Package stanza is the in-memory form of XMPP stanzas and nonzas: a small element tree
// (Element, Text) with a fast serializer, plus the stanza errors of RFC 6120 §8.3 and the
// stream errors of RFC 6120 §4.9.
//
// An Element keeps resolved namespace URIs, never prefixes: Name.Space is the element's
// namespace and Attr holds no xmlns declarations. Serialization (AppendXML) derives the
// declarations from the namespaces, so a tree built by xmlstream.Reader and a tree built by
// hand serialize the same way.
//
// The serializer is on the hot path (every routed stanza is written once per destination):
// it appends to a caller-owned buffer, escapes with a table-driven loop and does not
// allocate when the buffer is large enough. It does not use encoding/xml, which cannot
// write prefixes and would reflect over every value.
//
// Elements are plain data, not safe for concurrent mutation. A stanza handed to more than
// one goroutine must be treated as read-only or copied with Copy first.
//
// Not implemented: the stream errors see-other-host and reset, which carry content or are
// deprecated, and application-specific error conditions (add them as extra children of
// Error.Element's result).
package stanza

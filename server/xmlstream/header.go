package xmlstream

import "xmppbox/server/stanza"

// Header is what a stream header carries (RFC 6120 §4.7).
type Header struct {
	To, From, ID, Version, Lang string
	NS                          string // the default namespace (xmlns) of the stream: jabber:client for c2s
}

// Close ends a stream (RFC 6120 §4.4).
const Close = "</stream:stream>"

// AppendHeader appends an XML declaration and a stream header:
//
//	<?xml version='1.0'?><stream:stream xmlns='NS' xmlns:stream='http://etherx.jabber.org/streams'
//	id='…' from='…' to='…' version='1.0' xml:lang='…'>
//
// Empty fields are left out, except Version: empty means '1.0', the only version this
// server speaks; without it RFC 6120 §4.7.5 peers assume a pre-1.0 server and skip stream
// features. Values are escaped.
func AppendHeader(dst []byte, h Header) []byte {
	dst = append(dst, "<?xml version='1.0'?><stream:stream"...)
	dst = appendAttr(dst, " xmlns='", h.NS)
	dst = append(dst, " xmlns:stream='"+stanza.NSStream+"'"...)
	dst = appendAttr(dst, " id='", h.ID)
	dst = appendAttr(dst, " from='", h.From)
	dst = appendAttr(dst, " to='", h.To)
	version := h.Version
	if version == "" {
		version = "1.0"
	}
	dst = appendAttr(dst, " version='", version)
	dst = appendAttr(dst, " xml:lang='", h.Lang)
	return append(dst, '>')
}

// appendAttr appends start, the escaped value and a closing quote, unless value is empty.
func appendAttr(dst []byte, start, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, start...)
	dst = stanza.AppendEscapedAttr(dst, value)
	return append(dst, '\'')
}

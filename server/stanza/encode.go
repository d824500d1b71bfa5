package stanza

import (
	"strconv"
	"unicode/utf8"
)

// AppendXML appends the element's XML to dst and returns the extended buffer.
//
// parentNS is the default namespace in scope where the element is written: for a stanza
// that is the stream's content namespace (jabber:client). No xmlns attribute is written
// where Name.Space == parentNS; otherwise the element declares xmlns='Name.Space', and its
// children inherit it. Attributes with Space NSXML are written as xml:local; any other
// namespaced attribute gets a generated xmlns:nsN declaration on its element (consecutive
// attributes in the same namespace share one). Attributes named xmlns or in the xmlns
// namespace are skipped, since declarations are derived, never copied.
//
// Text and attribute values are escaped: & < > in text (and a carriage return as &#xD;, so
// that it survives end-of-line normalization), and additionally ' " tab and newline in
// attribute values, which are always single-quoted. Characters XML 1.0 forbids (most C0
// controls, U+FFFE, U+FFFF) and invalid UTF-8 are replaced with U+FFFD, so the output is
// always well-formed whatever the strings hold.
//
// AppendXML does not allocate when dst has room for the output.
func (e *Element) AppendXML(dst []byte, parentNS string) []byte {
	dst = append(dst, '<')
	dst = append(dst, e.Name.Local...)
	if e.Name.Space != parentNS {
		dst = append(dst, " xmlns='"...)
		dst = appendEscaped(dst, e.Name.Space, &attrEscape)
		dst = append(dst, '\'')
	}
	prefixes := 0
	prevSpace := ""
	for _, a := range e.Attr {
		switch a.Name.Space {
		case "":
			if a.Name.Local == "xmlns" {
				continue
			}
			dst = append(dst, ' ')
		case NSXML:
			dst = append(dst, " xml:"...)
		case "xmlns":
			continue
		default:
			// Prefixes are scoped to this element and children never use them (their
			// names get default-namespace declarations), so a counter cannot collide.
			if a.Name.Space != prevSpace {
				prefixes++
				prevSpace = a.Name.Space
				dst = append(dst, " xmlns:ns"...)
				dst = strconv.AppendInt(dst, int64(prefixes), 10)
				dst = append(dst, "='"...)
				dst = appendEscaped(dst, a.Name.Space, &attrEscape)
				dst = append(dst, '\'')
			}
			dst = append(dst, " ns"...)
			dst = strconv.AppendInt(dst, int64(prefixes), 10)
			dst = append(dst, ':')
		}
		dst = append(dst, a.Name.Local...)
		dst = append(dst, "='"...)
		dst = appendEscaped(dst, a.Value, &attrEscape)
		dst = append(dst, '\'')
	}
	if len(e.Children) == 0 {
		return append(dst, "/>"...)
	}
	dst = append(dst, '>')
	for _, n := range e.Children {
		switch c := n.(type) {
		case Text:
			dst = appendEscaped(dst, string(c), &textEscape)
		case *Element:
			if c != nil {
				dst = c.AppendXML(dst, e.Name.Space)
			}
		}
	}
	dst = append(dst, "</"...)
	dst = append(dst, e.Name.Local...)
	return append(dst, '>')
}

// AppendEscapedText appends s escaped as XML character data, as AppendXML writes Text.
func AppendEscapedText(dst []byte, s string) []byte {
	return appendEscaped(dst, s, &textEscape)
}

// AppendEscapedAttr appends s escaped for a single- or double-quoted attribute value, as
// AppendXML writes attribute values.
func AppendEscapedAttr(dst []byte, s string) []byte {
	return appendEscaped(dst, s, &attrEscape)
}

// Escape table entries: what to do with a byte.
const (
	escKeep    = iota // copy as is
	escReplace        // a character XML forbids: write U+FFFD
	escMulti          // first byte of a multi-byte sequence: validate the rune
	escAmp
	escLT
	escGT
	escApos
	escQuot
	escTab
	escLF
	escCR
)

var escapes = [...]string{
	escReplace: "\uFFFD",
	escAmp:     "&amp;",
	escLT:      "&lt;",
	escGT:      "&gt;",
	escApos:    "&apos;",
	escQuot:    "&quot;",
	escTab:     "&#x9;",
	escLF:      "&#xA;",
	escCR:      "&#xD;",
}

// The tables are read-only after package initialisation.
var textEscape, attrEscape = escapeTables()

func escapeTables() (text, attr [256]uint8) {
	for c := 0; c < 0x20; c++ {
		text[c] = escReplace
	}
	for c := 0x80; c < 0x100; c++ {
		text[c] = escMulti
	}
	text['\t'] = escKeep
	text['\n'] = escKeep
	text['\r'] = escCR // a literal CR would be read back as LF
	text['&'] = escAmp
	text['<'] = escLT
	text['>'] = escGT // needed only after "]]", but checking for that costs more
	attr = text
	attr['\''] = escApos
	attr['"'] = escQuot
	// A parser normalizes literal whitespace in attribute values to spaces (XML 1.0 §3.3.3).
	attr['\t'] = escTab
	attr['\n'] = escLF
	return text, attr
}

// appendEscaped appends s to dst, escaping per table. Runs of bytes that need no change
// are copied with one append.
func appendEscaped(dst []byte, s string, table *[256]uint8) []byte {
	last := 0
	for i := 0; i < len(s); {
		action := table[s[i]]
		if action == escKeep {
			i++
			continue
		}
		size := 1
		if action == escMulti {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			// DecodeRune reports invalid UTF-8 and surrogates as (RuneError, 1); every other
			// non-ASCII code point is an XML Char except U+FFFE and U+FFFF.
			if (r != utf8.RuneError || size != 1) && r != 0xFFFE && r != 0xFFFF {
				i += size
				continue
			}
			action = escReplace
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, escapes[action]...)
		i += size
		last = i
	}
	return append(dst, s[last:]...)
}

package xmlstream

import (
	"encoding/xml"
	"io"
	"strings"
	"unicode/utf8"

	"xmppbox/server/stanza"
)

// nsXMLNS is the namespace of xmlns declarations, which no prefix may be bound to.
const nsXMLNS = "http://www.w3.org/2000/xmlns/"

// checkStart checks a start tag against Namespaces in XML 1.0 where encoding/xml does not,
// records its declarations in scope, and returns its attributes without the declarations.
// For the stream header (root) it also records the stream's default namespace.
//
// It reuses t.Attr's array, which the decoder allocates for each start tag.
func (r *Reader) checkStart(t xml.StartElement, root bool) ([]xml.Attr, error) {
	// Declarations first: they apply to the element's own name and attributes.
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if !r.validLocal(a.Name.Local) || a.Name.Local == "xmlns" {
				return nil, notWellFormed("invalid namespace prefix declaration xmlns:" + a.Name.Local)
			}
			if (a.Name.Local == "xml") != (a.Value == stanza.NSXML) || a.Value == nsXMLNS {
				return nil, notWellFormed("reserved namespace bound to xmlns:" + a.Name.Local)
			}
			if a.Value == "" {
				// Undeclaring a prefix is XML 1.1 only; encoding/xml would take the
				// prefixed names as unqualified.
				return nil, notWellFormed("empty namespace for xmlns:" + a.Name.Local)
			}
			r.declare(a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if a.Value == stanza.NSXML || a.Value == nsXMLNS {
				return nil, notWellFormed("reserved namespace declared as the default")
			}
			r.declare(a.Value)
			if root {
				r.streamNS = a.Value
			}
		}
	}
	if hasDuplicate(t.Attr) {
		return nil, notWellFormed("duplicate attribute in <" + t.Name.Local + ">")
	}

	if !r.validLocal(t.Name.Local) || t.Name.Local == "xmlns" {
		// encoding/xml leaves an element named xmlns outside any namespace.
		return nil, notWellFormed("invalid element name " + t.Name.Local)
	}
	switch space := t.Name.Space; {
	case space == stanza.NSXML || space == "xmlns":
		return nil, notWellFormed("element <" + t.Name.Local + "> in a reserved namespace")
	case !r.nsDeclared(space):
		return nil, notWellFormed("undeclared namespace prefix " + space + " in <" + space + ":" + t.Name.Local + ">")
	}

	attrs := t.Attr[:0]
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		if !r.validLocal(a.Name.Local) {
			return nil, notWellFormed("invalid attribute name " + a.Name.Local)
		}
		if a.Name.Space != stanza.NSXML && !r.nsDeclared(a.Name.Space) {
			return nil, notWellFormed("undeclared namespace prefix " + a.Name.Space + " in attribute " +
				a.Name.Space + ":" + a.Name.Local)
		}
		attrs = append(attrs, a)
	}
	if len(attrs) == 0 {
		return nil, nil
	}
	return attrs, nil
}

// nsDeclared reports whether space, as resolved by encoding/xml, is a namespace name in
// scope rather than a prefix it could not resolve (it leaves those in Name.Space).
//
// A prefix cannot contain a colon, so any space with one is a namespace name; that covers
// nearly every namespace XMPP uses, at the cost of one IndexByte. The few without a colon
// (vcard-temp) are checked against the colon-free names declared in scope. What remains
// undetectable is an undeclared prefix spelled exactly like such an in-scope name: it is
// read as that namespace, and serializes well-formed either way.
func (r *Reader) nsDeclared(space string) bool {
	return space == "" || strings.IndexByte(space, ':') >= 0 || r.scopeCount[space] > 0
}

// declare records a declared namespace name for nsDeclared.
func (r *Reader) declare(name string) {
	if name == "" || strings.IndexByte(name, ':') >= 0 {
		return
	}
	if r.scopeCount == nil {
		r.scopeCount = make(map[string]int)
	}
	r.scopeCount[name]++
	r.scopeNames = append(r.scopeNames, name)
}

// popScope forgets the declarations of the element that just ended.
func (r *Reader) popScope() {
	last := len(r.scopeMarks) - 1
	mark := r.scopeMarks[last]
	r.scopeMarks = r.scopeMarks[:last]
	for _, name := range r.scopeNames[mark:] {
		if r.scopeCount[name]--; r.scopeCount[name] == 0 {
			delete(r.scopeCount, name)
		}
	}
	r.scopeNames = r.scopeNames[:mark]
}

// hasDuplicate reports whether two attributes have the same expanded name (XML 1.0
// "Unique Att Spec", Namespaces in XML 1.0 §6.3); encoding/xml does not check.
func hasDuplicate(attrs []xml.Attr) bool {
	if len(attrs) <= 8 {
		for i := 1; i < len(attrs); i++ {
			for j := 0; j < i; j++ {
				if attrs[i].Name == attrs[j].Name {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[xml.Name]struct{}, len(attrs))
	for _, a := range attrs {
		if _, ok := seen[a.Name]; ok {
			return true
		}
		seen[a.Name] = struct{}{}
	}
	return false
}

// validLocal reports whether a local name, as split by encoding/xml, is an NCName.
// encoding/xml checks the whole qualified name, so "p:1x" passes with local part "1x",
// and ":a" or "a:" come back with the colon in the local part.
func (r *Reader) validLocal(local string) bool {
	if local == "" || strings.IndexByte(local, ':') >= 0 {
		return false
	}
	if c := local[0]; c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
	}
	// The rest of the name passed the decoder's check, so only the first character can be
	// wrong. Ask encoding/xml itself, so that what we write is what it reads: the encoder
	// checks a processing instruction target with the decoder's name rules before writing
	// anything. It costs ~45 ns; a throwaway decoder cost ~1.6 µs and made a stanza of
	// such names three times as expensive to read.
	if r.nameCheck == nil {
		r.nameCheck = xml.NewEncoder(io.Discard)
	}
	_, size := utf8.DecodeRuneInString(local)
	return r.nameCheck.EncodeToken(xml.ProcInst{Target: local[:size]}) == nil
}

func notWellFormed(text string) error {
	return &stanza.StreamError{Condition: stanza.NotWellFormed, Text: text}
}

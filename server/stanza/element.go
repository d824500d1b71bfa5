package stanza

import (
	"encoding/xml"
	"slices"
	"strings"
)

// Namespaces of the core protocol (RFC 6120).
const (
	NSClient  = "jabber:client"
	NSStream  = "http://etherx.jabber.org/streams"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSStreams = "urn:ietf:params:xml:ns:xmpp-streams"
	NSXML     = "http://www.w3.org/XML/1998/namespace"
)

// Node is a child of an Element: *Element or Text. The set is closed.
type Node interface{ node() }

// Text is character data, already unescaped.
type Text string

func (Text) node() {}

// Element is an XML element with resolved namespaces.
//
// Name.Space is the namespace URI, never a prefix. Attr holds no xmlns or xmlns:*
// declarations: AppendXML derives them. An attribute in the XML namespace (xml:lang) has
// Name.Space NSXML; an unqualified attribute has an empty Space. Names must be valid XML
// names without a colon; AppendXML writes them as they are.
type Element struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []Node
}

func (*Element) node() {}

// New returns an element in namespace space with the given unqualified attributes, given as
// name, value pairs. Pairs with an empty value are left out, as Set would, so optional
// attributes can be passed straight from Get: New(NSClient, "iq", "id", orig.Get("id")).
// An odd number of attrs is a programming error and panics.
func New(space, local string, attrs ...string) *Element {
	if len(attrs)%2 != 0 {
		panic("stanza.New: odd number of attribute arguments")
	}
	e := &Element{Name: xml.Name{Space: space, Local: local}}
	if len(attrs) > 0 {
		e.Attr = make([]xml.Attr, 0, len(attrs)/2)
		for i := 0; i < len(attrs); i += 2 {
			if attrs[i+1] != "" {
				e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
			}
		}
	}
	return e
}

// Get returns the value of the unqualified attribute local, or "" if it is absent.
func (e *Element) Get(local string) string {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Set sets the unqualified attribute local, replacing an existing one in place. An empty
// value removes the attribute: XMPP gives no meaning to empty to, from, id or type.
func (e *Element) Set(local, value string) {
	for i, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			if value == "" {
				e.Attr = slices.Delete(e.Attr, i, i+1)
			} else {
				e.Attr[i].Value = value
			}
			return
		}
	}
	if value != "" {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: local}, Value: value})
	}
}

// Child returns the first child element named {space, local}, or nil.
func (e *Element) Child(space, local string) *Element {
	for _, n := range e.Children {
		if c, ok := n.(*Element); ok && c != nil && c.Name.Local == local && c.Name.Space == space {
			return c
		}
	}
	return nil
}

// ChildElements returns the element children in document order, in a new slice.
func (e *Element) ChildElements() []*Element {
	var out []*Element
	for _, n := range e.Children {
		if c, ok := n.(*Element); ok && c != nil {
			out = append(out, c)
		}
	}
	return out
}

// FirstChild returns the first element child, or nil. An IQ's payload is its first child.
func (e *Element) FirstChild() *Element {
	for _, n := range e.Children {
		if c, ok := n.(*Element); ok && c != nil {
			return c
		}
	}
	return nil
}

// Text returns the concatenation of the direct Text children (not of descendants).
func (e *Element) Text() string {
	var first string
	var b *strings.Builder
	for _, n := range e.Children {
		t, ok := n.(Text)
		if !ok {
			continue
		}
		switch {
		case b != nil:
			b.WriteString(string(t))
		case first == "":
			first = string(t)
		default:
			// Only a second text node costs an allocation; the Reader merges adjacent
			// character data, so parsed elements have at most one run between children.
			b = &strings.Builder{}
			b.WriteString(first)
			b.WriteString(string(t))
		}
	}
	if b != nil {
		return b.String()
	}
	return first
}

// Append adds children and returns e. Nil nodes are skipped.
func (e *Element) Append(n ...Node) *Element {
	for _, c := range n {
		if c == nil {
			continue
		}
		if el, ok := c.(*Element); ok && el == nil {
			continue
		}
		e.Children = append(e.Children, c)
	}
	return e
}

// AppendText adds s as a Text child and returns e. An empty s adds nothing.
func (e *Element) AppendText(s string) *Element {
	if s != "" {
		e.Children = append(e.Children, Text(s))
	}
	return e
}

// Copy returns a deep copy of e: no slice is shared with e, so either may be changed
// without affecting the other. Copy of nil is nil.
func (e *Element) Copy() *Element {
	if e == nil {
		return nil
	}
	c := &Element{Name: e.Name}
	if len(e.Attr) > 0 {
		c.Attr = slices.Clone(e.Attr)
	}
	if len(e.Children) > 0 {
		c.Children = make([]Node, len(e.Children))
		for i, n := range e.Children {
			if el, ok := n.(*Element); ok {
				c.Children[i] = el.Copy()
				continue
			}
			c.Children[i] = n // Text is an immutable string
		}
	}
	return c
}

// String returns the element's XML with jabber:client as the namespace in scope. It is
// for logs and tests; the hot path uses AppendXML with a reused buffer.
func (e *Element) String() string {
	return string(e.AppendXML(nil, NSClient))
}

// Rename moves e and its descendants from namespace from to namespace to, in place: for
// an element just parsed, which nothing else holds yet. Server-to-server and component
// streams carry stanzas in jabber:server and jabber:component:accept; inside the server
// they are jabber:client, so the modules see one namespace whatever stream a stanza came
// on.
func (e *Element) Rename(from, to string) { e.rename(from, to) }

func (e *Element) rename(from, to string) {
	if e.Name.Space == from {
		e.Name.Space = to
	}
	for _, n := range e.Children {
		if el, ok := n.(*Element); ok {
			el.rename(from, to)
		}
	}
}

package integration

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespaces the tests look for.
const (
	nsClient   = "jabber:client"
	nsStream   = "http://etherx.jabber.org/streams"
	nsStreams  = "urn:ietf:params:xml:ns:xmpp-streams"
	nsStanzas  = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsTLS      = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind     = "urn:ietf:params:xml:ns:xmpp-bind"
	nsRoster   = "jabber:iq:roster"
	nsDiscoInf = "http://jabber.org/protocol/disco#info"
	nsPing     = "urn:xmpp:ping"
	nsVersion  = "jabber:iq:version"
	nsTime     = "urn:xmpp:time"
	nsDelay    = "urn:xmpp:delay"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
)

// Elem is a generic XML element as received from the server: names carry resolved namespace
// URIs, namespace declarations are dropped, character data directly inside is in Text.
type Elem struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*Elem
	Text     string
}

// Get returns the value of the unqualified attribute local, or "".
func (e *Elem) Get(local string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Is reports whether e is the element {space}local; an empty space matches any namespace.
func (e *Elem) Is(space, local string) bool {
	return e != nil && e.Name.Local == local && (space == "" || e.Name.Space == space)
}

// Child returns the first child element {space}local, or nil. An empty space matches any.
func (e *Elem) Child(space, local string) *Elem {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Is(space, local) {
			return c
		}
	}
	return nil
}

// ChildText returns the text of the first child element {space}local, or "".
func (e *Elem) ChildText(space, local string) string {
	if c := e.Child(space, local); c != nil {
		return c.Text
	}
	return ""
}

// All returns every child element {space}local.
func (e *Elem) All(space, local string) []*Elem {
	if e == nil {
		return nil
	}
	var out []*Elem
	for _, c := range e.Children {
		if c.Is(space, local) {
			out = append(out, c)
		}
	}
	return out
}

// ErrorCondition returns the local name of the defined condition inside a stanza's <error/>
// or a <stream:error/> itself, or "".
func (e *Elem) ErrorCondition() string {
	if e == nil {
		return ""
	}
	errEl := e
	ns := nsStreams
	if !e.Is(nsStream, "error") {
		errEl = e.Child("", "error")
		ns = nsStanzas
	}
	if errEl == nil {
		return ""
	}
	for _, c := range errEl.Children {
		if c.Name.Space == ns && c.Name.Local != "text" {
			return c.Name.Local
		}
	}
	return ""
}

// String renders e as XML, declaring a default namespace wherever it changes. Good enough to
// read in a log and to search with strings.Contains; not a canonical form.
func (e *Elem) String() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	e.write(&b, "")
	return b.String()
}

// InnerXML renders e's children and text.
func (e *Elem) InnerXML() string {
	var b strings.Builder
	if e.Text != "" {
		xml.EscapeText(&b, []byte(e.Text))
	}
	for _, c := range e.Children {
		c.write(&b, e.Name.Space)
	}
	return b.String()
}

func (e *Elem) write(b *strings.Builder, parentNS string) {
	name := e.Name.Local
	if e.Name.Space == nsStream {
		name = "stream:" + name
	}
	b.WriteString("<" + name)
	if e.Name.Space != parentNS && e.Name.Space != nsStream {
		fmt.Fprintf(b, " xmlns='%s'", e.Name.Space)
	}
	for _, a := range e.Attr {
		n := a.Name.Local
		if a.Name.Space == nsXML {
			n = "xml:" + n
		} else if a.Name.Space != "" {
			n = a.Name.Space + ":" + n
		}
		b.WriteString(" " + n + "='")
		xml.EscapeText(b, []byte(a.Value))
		b.WriteString("'")
	}
	if e.Text == "" && len(e.Children) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	if e.Text != "" {
		xml.EscapeText(b, []byte(e.Text))
	}
	ns := e.Name.Space
	for _, c := range e.Children {
		c.write(b, ns)
	}
	b.WriteString("</" + name + ">")
}

// tokenReader is what readElem needs: encoding/xml.Decoder and mellium's readers fit.
type tokenReader interface {
	Token() (xml.Token, error)
}

// readElem reads the rest of the element that start opened from r and builds its tree.
// Tokens must already carry resolved namespaces (xml.Decoder.Token does this).
func readElem(r tokenReader, start xml.StartElement) (*Elem, error) {
	root := newElem(start)
	stack := []*Elem{root}
	for len(stack) > 0 {
		tok, err := r.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			child := newElem(tok)
			top.Children = append(top.Children, child)
			stack = append(stack, child)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.Text += string(tok)
		}
	}
	return root, nil
}

func newElem(start xml.StartElement) *Elem {
	e := &Elem{Name: start.Name}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue // namespace declarations: already resolved into names
		}
		e.Attr = append(e.Attr, a)
	}
	return e
}

// parseElem parses one element from s. The default namespace is jabber:client and the stream
// prefix is declared, so transcripts and tests can write stanzas as they appear on the wire.
func parseElem(s string) (*Elem, error) {
	d := xml.NewDecoder(strings.NewReader(
		"<wrap xmlns='" + nsClient + "' xmlns:stream='" + nsStream + "'>" + s + "</wrap>"))
	if _, err := d.Token(); err != nil { // <wrap>
		return nil, err
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", s, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			return readElem(d, tok)
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				return nil, fmt.Errorf("parse %q: text outside an element", s)
			}
		default:
			return nil, fmt.Errorf("parse %q: unexpected %T", s, tok)
		}
	}
}

// matches reports whether got contains want: the same name, every attribute of want with the
// same value, the same text if want has text, and for every child of want a matching child
// of got (in any order). This is the "expect contains" of the transcripts.
func matches(want, got *Elem) bool {
	if want == nil || got == nil {
		return want == got
	}
	if want.Name != got.Name {
		return false
	}
	for _, a := range want.Attr {
		found := false
		for _, b := range got.Attr {
			if a.Name == b.Name && a.Value == b.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if t := strings.TrimSpace(want.Text); t != "" && t != strings.TrimSpace(got.Text) {
		return false
	}
	for _, wc := range want.Children {
		found := false
		for _, gc := range got.Children {
			if matches(wc, gc) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

package xmlstream

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"xmppbox/server/stanza"
)

// Defaults for zero (or negative) Limits fields.
const (
	DefaultMaxStanzaBytes  = 256 << 10
	DefaultMaxDepth        = 32
	DefaultReadBufferBytes = 512
)

// renewAfterBytes is the size of a top-level element after which the decoder is replaced.
// encoding/xml keeps the buffer it grew for the largest token for its whole life; one
// avatar upload would otherwise pin ~256 KiB to an idle connection that should cost ~25 KiB.
const renewAfterBytes = 8 << 10

// maxHeaderBytes bounds the stream header (with any XML declaration), if MaxStanzaBytes is
// not smaller. Real headers have a few hundred bytes; the Reader keeps the header for the
// life of the stream (see renewDecoder), and it arrives before authentication.
const maxHeaderBytes = 4 << 10

// Limits bound what one peer can make a Reader hold. Zero values take the defaults.
type Limits struct {
	MaxStanzaBytes  int64 // bytes of one top-level element, from '<' to its end tag (default 256 KiB)
	MaxDepth        int   // nesting depth inside a stanza; the stanza itself is depth 1 (default 32)
	ReadBufferBytes int   // bufio size (default 512, at least 16): idle connections stay cheap
}

func (l Limits) headerBytes() int64 { return min(l.MaxStanzaBytes, maxHeaderBytes) }

func (l Limits) withDefaults() Limits {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = DefaultMaxStanzaBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.ReadBufferBytes <= 0 {
		l.ReadBufferBytes = DefaultReadBufferBytes
	}
	return l
}

// errUnsupportedEncoding is what the decoder's CharsetReader answers for any encoding
// other than UTF-8, which RFC 6120 §11.6 makes the only one.
var errUnsupportedEncoding = errors.New("xmlstream: encoding other than UTF-8")

// errNoHeader is a programming error: Next before a successful Header.
var errNoHeader = errors.New("xmlstream: Next called before Header")

// Reader reads one XML stream: Header once, then Next until it returns an error.
//
// Errors are final: once Header or Next has failed, every later call returns the same
// error. That includes read errors such as an expired read deadline, because the decoder
// cannot resume in the middle of a token.
type Reader struct {
	lim Limits
	lr  limitReader
	br  *bufio.Reader
	dec *xml.Decoder

	// base + dec.InputOffset() is the number of stream bytes consumed so far, in the same
	// units as lr.n. It is not zero after renewDecoder, whose decoder also read the replayed
	// header.
	base int64

	headerDone bool
	streamNS   string // default namespace declared on the stream header
	err        error  // sticky: the first error returned

	primer []byte        // the stream header as received, replayed into a renewed decoder
	replay *bytes.Reader // primer plus read-ahead, feeding the renewed decoder first
	renew  bool          // replace the decoder before reading on
	// renewAfter is renewAfterBytes; tests lower it to exercise renewDecoder.
	renewAfter int64

	nameCheck *xml.Encoder // see validLocal; made on first use, dropped after each stanza

	stack []*stanza.Element // open elements of the stanza being read; reused
	text  []byte            // character data not yet attached; reused

	// Colon-free namespace names in scope (see nsDeclared). Most namespace names contain a
	// colon and are never tracked, so these stay empty for ordinary traffic.
	scopeCount map[string]int // name -> open declarations of it
	scopeNames []string       // declared names, in order, for popping
	scopeMarks []int          // len(scopeNames) at each open element of the stanza
}

// NewReader returns a Reader for the stream read from r. The Reader buffers at most
// lim.ReadBufferBytes ahead of what it has parsed.
func NewReader(r io.Reader, lim Limits) *Reader {
	lim = lim.withDefaults()
	rd := &Reader{lim: lim, renewAfter: renewAfterBytes}
	rd.br = bufio.NewReaderSize(&rd.lr, lim.ReadBufferBytes)
	rd.lr = limitReader{
		r:      r,
		limit:  lim.headerBytes() + int64(rd.br.Size()),
		record: make([]byte, 0, 256),
	}
	rd.dec = newDecoder(rd.br)
	return rd
}

func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r) // r is an io.ByteReader, so the decoder adds no buffer of its own
	d.CharsetReader = refuseCharset
	return d
}

func refuseCharset(string, io.Reader) (io.Reader, error) { return nil, errUnsupportedEncoding }

// offset is the number of stream bytes the decoder has consumed.
func (r *Reader) offset() int64 { return r.base + r.dec.InputOffset() }

// Header reads an optional XML declaration and the stream header, the start tag of
// {http://etherx.jabber.org/streams}stream; any other root is *stanza.StreamError
// invalid-namespace. A UTF-8 byte order mark and whitespace before the header are skipped.
// Together they may have 4 KiB (or MaxStanzaBytes if smaller), else policy-violation.
// A stream closed before the first byte gives io.EOF; errors are otherwise those of Next.
func (r *Reader) Header() (Header, error) {
	if r.err != nil {
		return Header{}, r.err
	}
	if r.headerDone {
		return Header{}, errors.New("xmlstream: Header called twice")
	}
	h, err := r.header()
	r.lr.record = nil
	if err != nil {
		r.err = err
		return Header{}, err
	}
	r.headerDone = true
	return h, nil
}

func (r *Reader) header() (Header, error) {
	declAllowed := true // the XML declaration must come first (after a byte order mark)
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return Header{}, r.mapError(err)
		}
		if r.offset() > r.lim.headerBytes() {
			return Header{}, &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "stream header too large"}
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" || !declAllowed {
				return Header{}, restricted(tok)
			}
			declAllowed = false
		case xml.CharData:
			if declAllowed && r.offset() == 3 && string(t) == "\uFEFF" {
				continue
			}
			declAllowed = false
			if !isSpace(t) {
				return Header{}, &stanza.StreamError{Condition: stanza.NotWellFormed, Text: "text before the stream header"}
			}
		case xml.StartElement:
			if t.Name.Space != stanza.NSStream || t.Name.Local != "stream" {
				return Header{}, &stanza.StreamError{Condition: stanza.InvalidNamespace,
					Text: "the root element must be stream in " + stanza.NSStream}
			}
			attrs, err := r.checkStart(t, true)
			if err != nil {
				return Header{}, err
			}
			h := Header{NS: r.streamNS}
			for _, a := range attrs {
				switch a.Name {
				case xml.Name{Local: "to"}:
					h.To = a.Value
				case xml.Name{Local: "from"}:
					h.From = a.Value
				case xml.Name{Local: "id"}:
					h.ID = a.Value
				case xml.Name{Local: "version"}:
					h.Version = a.Value
				case xml.Name{Space: stanza.NSXML, Local: "lang"}:
					h.Lang = a.Value
				}
			}
			r.primer = bytes.Clone(r.lr.record[:r.offset()])
			return h, nil
		default: // Comment, Directive; EndElement cannot come before a start
			return Header{}, restricted(tok)
		}
	}
}

// Next returns the next top-level element of the stream (a stanza or a nonza), complete,
// as soon as its end tag has arrived; it never waits for more bytes than that. Whitespace
// between elements (keepalives, RFC 6120 §4.6.1) is skipped. At </stream:stream> it
// returns io.EOF.
//
// Errors:
//   - *stanza.StreamError not-well-formed: malformed XML, including an undeclared namespace
//     prefix, a duplicate attribute, invalid UTF-8 or a character XML forbids;
//   - restricted-xml: a comment, processing instruction, DTD or other directive;
//   - policy-violation: an element over MaxStanzaBytes or deeper than MaxDepth;
//   - bad-format: character data other than whitespace between elements;
//   - unsupported-encoding: an XML declaration naming another encoding than UTF-8;
//   - an error wrapping io.ErrUnexpectedEOF: the connection ended inside the stream;
//   - an error wrapping the underlying reader's error, unchanged in kind (errors.Is with
//     net.ErrClosed or os.ErrDeadlineExceeded works).
//
// The returned element belongs to the caller; the Reader keeps no reference to it.
func (r *Reader) Next() (*stanza.Element, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.headerDone {
		return nil, errNoHeader
	}
	el, err := r.next()
	if err != nil {
		r.err = err
		r.stack, r.text = nil, nil
		return nil, err
	}
	return el, nil
}

func (r *Reader) next() (*stanza.Element, error) {
	if r.renew {
		if err := r.renewDecoder(); err != nil {
			return nil, err
		}
	}
	maxBytes := r.lim.MaxStanzaBytes
	slack := int64(r.br.Size())
	start := r.offset()
	r.lr.limit = start + maxBytes + slack
	stack := r.stack[:0]
	nsBytes := 0 // bytes of namespace declarations AppendXML will write for this stanza
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, r.mapError(err)
		}
		if len(stack) == 0 {
			switch t := tok.(type) {
			case xml.CharData:
				if !isSpace(t) {
					return nil, &stanza.StreamError{Condition: stanza.BadFormat, Text: "text between stanzas"}
				}
				// A keepalive: the budget starts again at the next element.
				start = r.offset()
				r.lr.limit = start + maxBytes + slack
				continue
			case xml.EndElement:
				// The decoder has matched it with the stream header: </stream:stream>.
				return nil, io.EOF
			case xml.StartElement:
				// a stanza or nonza begins; handled below
			default:
				return nil, restricted(tok)
			}
		}
		if r.offset()-start > maxBytes {
			return nil, errTooBig()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= r.lim.MaxDepth {
				return nil, &stanza.StreamError{Condition: stanza.StreamPolicyViolation,
					Text: fmt.Sprintf("elements nested deeper than %d", r.lim.MaxDepth)}
			}
			r.scopeMarks = append(r.scopeMarks, len(r.scopeNames))
			attrs, err := r.checkStart(t, false)
			if err != nil {
				return nil, err
			}
			el := &stanza.Element{Name: t.Name, Attr: attrs}
			parentNS := r.streamNS
			if n := len(stack); n > 0 {
				parent := stack[n-1]
				r.flushText(parent)
				parent.Children = append(parent.Children, el)
				parentNS = parent.Name.Space
			}
			// A prefix declared once can be used by many descendants, while AppendXML
			// writes a declaration on each of them. Without this budget a 256 KiB stanza
			// could serialize to gigabytes.
			if el.Name.Space != parentNS {
				nsBytes += len(el.Name.Space)
			}
			for _, a := range attrs {
				if a.Name.Space != "" && a.Name.Space != stanza.NSXML {
					nsBytes += len(a.Name.Space) + len(" xmlns:ns1=''")
				}
			}
			if int64(nsBytes) > maxBytes {
				return nil, &stanza.StreamError{Condition: stanza.StreamPolicyViolation,
					Text: "namespace declarations would exceed the stanza size limit"}
			}
			stack = append(stack, el)
		case xml.EndElement:
			n := len(stack)
			el := stack[n-1]
			r.flushText(el)
			stack[n-1] = nil // the Reader keeps no reference to returned elements
			stack = stack[:n-1]
			r.popScope()
			if n == 1 {
				r.stack = stack
				r.afterElement(r.offset() - start)
				return el, nil
			}
		case xml.CharData:
			r.text = append(r.text, t...)
		default:
			return nil, restricted(tok)
		}
	}
}

// flushText attaches pending character data to el. Adjacent text and CDATA sections
// become one Text node.
func (r *Reader) flushText(el *stanza.Element) {
	if len(r.text) > 0 {
		el.Children = append(el.Children, stanza.Text(r.text))
		r.text = r.text[:0]
	}
}

// afterElement lets go of memory a large element made the Reader grow.
func (r *Reader) afterElement(size int64) {
	if size > r.renewAfter {
		r.renew = true
	}
	if cap(r.text) > renewAfterBytes {
		r.text = nil
	}
	r.nameCheck = nil // its 4 KiB buffer is rarely needed again
}

// renewDecoder replaces the decoder, dropping the buffers it grew. The new decoder first
// reads the stream header again from r.primer, so it has the same namespace bindings and
// expects the same end tag, then the bytes the old one had buffered, then the connection.
func (r *Reader) renewDecoder() error {
	r.renew = false
	consumed := r.offset()
	pending := r.br.Buffered()
	rest := 0
	if r.replay != nil {
		rest = r.replay.Len()
	}
	buf := make([]byte, len(r.primer), len(r.primer)+pending+rest)
	copy(buf, r.primer)
	ahead, _ := r.br.Peek(pending) // cannot fail: the bytes are buffered
	buf = append(buf, ahead...)
	if rest > 0 {
		// Bytes of an earlier replay the buffer had not taken in yet.
		n, _ := r.replay.Read(buf[len(buf) : len(buf)+rest])
		buf = buf[:len(buf)+n]
	}
	r.replay = bytes.NewReader(buf)
	r.br.Reset(io.MultiReader(r.replay, &r.lr))
	d := newDecoder(r.br)
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("xmlstream: replaying the stream header: %w", err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			break
		}
	}
	r.dec = d
	r.base = consumed - d.InputOffset()
	return nil
}

// mapError turns a decoder error into what Next and Header return.
func (r *Reader) mapError(err error) error {
	var re *readError
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errOverLimit):
		return errTooBig()
	case errors.As(err, &re):
		return fmt.Errorf("xmlstream: read: %w", re.err)
	case err == io.EOF:
		// Only before the stream header: inside the stream the decoder reports an EOF as
		// a syntax error.
		return io.EOF
	case errors.Is(err, errUnsupportedEncoding):
		return &stanza.StreamError{Condition: stanza.UnsupportedEncoding, Text: "only UTF-8 is supported"}
	case errors.As(err, &se):
		if r.lr.eof && strings.HasPrefix(se.Msg, "unexpected EOF") {
			// The peer closed the connection: nobody is left to read a stream error.
			return fmt.Errorf("xmlstream: stream ended without </stream:stream>: %w", io.ErrUnexpectedEOF)
		}
		return &stanza.StreamError{Condition: stanza.NotWellFormed, Text: se.Msg}
	default:
		// e.g. an XML declaration with a version other than 1.0
		return &stanza.StreamError{Condition: stanza.NotWellFormed, Text: err.Error()}
	}
}

func errTooBig() error {
	return &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "stanza too large"}
}

// restricted is the error for XML that RFC 6120 §11.1 forbids in a stream.
func restricted(tok xml.Token) error {
	what := "processing instruction"
	switch tok.(type) {
	case xml.Comment:
		what = "comment"
	case xml.Directive:
		what = "DTD or directive"
	}
	return &stanza.StreamError{Condition: stanza.RestrictedXML, Text: what + " not allowed"}
}

// isSpace reports whether b is only XML whitespace (XML 1.0 §2.3, S).
func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

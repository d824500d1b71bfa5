package xmlstream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"xmppbox/server/stanza"
)

const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>"

// transcript is what a Reader made of a whole stream.
type transcript struct {
	header   Header
	elements []string // AppendXML of each element, with the stream namespace in scope
	err      error    // what ended it: io.EOF for </stream:stream>
}

// readStream runs a Reader over in to its first error.
func readStream(t testing.TB, in io.Reader, lim Limits) transcript {
	t.Helper()
	r := NewReader(in, lim)
	var tr transcript
	tr.header, tr.err = r.Header()
	if tr.err != nil {
		return tr
	}
	for range 10000 {
		el, err := r.Next()
		if err != nil {
			tr.err = err
			if _, again := r.Next(); again != err {
				t.Errorf("Next after an error returned %v, want the same error %v", again, err)
			}
			return tr
		}
		tr.elements = append(tr.elements, string(el.AppendXML(nil, tr.header.NS)))
	}
	t.Fatal("more than 10000 elements")
	return tr
}

// checkErr compares err with want: nil, a sentinel error, or a *stanza.StreamError whose
// condition must match.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	var wantSE *stanza.StreamError
	if errors.As(want, &wantSE) {
		var se *stanza.StreamError
		if !errors.As(err, &se) || se.Condition != wantSE.Condition {
			t.Errorf("error = %v, want stream error %s", err, wantSE.Condition)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("error = %v, want %v", err, want)
	}
}

func streamErr(condition string) error { return &stanza.StreamError{Condition: condition} }

func TestNext(t *testing.T) {
	tests := []struct {
		name    string
		in      string // after the stream header
		lim     Limits
		want    []string
		wantErr error
	}{
		{
			name:    "chat message",
			in:      "<message to='bob@example.org' type='chat' id='1'><body>hi</body></message></stream:stream>",
			want:    []string{"<message to='bob@example.org' type='chat' id='1'><body>hi</body></message>"},
			wantErr: io.EOF,
		},
		{
			name:    "whitespace keepalives between stanzas",
			in:      " \n<presence/>\t \r\n <presence type='unavailable'/> \n </stream:stream>",
			want:    []string{"<presence/>", "<presence type='unavailable'/>"},
			wantErr: io.EOF,
		},
		{
			name:    "xml:lang kept, declarations dropped",
			in:      "<message xml:lang='de' xmlns='jabber:client'><body xmlns:x='urn:x'>x</body></message>",
			want:    []string{"<message xml:lang='de'><body>x</body></message>"},
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name: "prefixes resolved",
			in: "<iq type='get' id='r'><q:query xmlns:q='jabber:iq:roster' ver=''><q:item jid='a@b'/></q:query></iq>" +
				"</stream:stream>",
			want:    []string{"<iq type='get' id='r'><query xmlns='jabber:iq:roster' ver=''><item jid='a@b'/></query></iq>"},
			wantErr: io.EOF,
		},
		{
			name:    "prefixed stanza in the stream namespace",
			in:      "<c:message xmlns:c='jabber:client'/></stream:stream>",
			want:    []string{"<message/>"},
			wantErr: io.EOF,
		},
		{
			name:    "namespaced attributes",
			in:      "<m xmlns:p='urn:p' p:a='1' b='2'/></stream:stream>",
			want:    []string{"<m xmlns:ns1='urn:p' ns1:a='1' b='2'/>"},
			wantErr: io.EOF,
		},
		{
			name:    "namespace name without a colon",
			in:      "<iq type='set'><vCard xmlns='vcard-temp'><v:FN xmlns:v='vcard-temp'>A</v:FN></vCard></iq></stream:stream>",
			want:    []string{"<iq type='set'><vCard xmlns='vcard-temp'><FN>A</FN></vCard></iq>"},
			wantErr: io.EOF,
		},
		{
			name:    "undeclaring the default namespace",
			in:      "<iq><x xmlns=''/></iq></stream:stream>",
			want:    []string{"<iq><x xmlns=''/></iq>"},
			wantErr: io.EOF,
		},
		{
			name:    "text and CDATA merged",
			in:      "<body>a<![CDATA[<b>&]]>c</body></stream:stream>",
			want:    []string{"<body>a&lt;b&gt;&amp;c</body>"},
			wantErr: io.EOF,
		},
		{
			name:    "references and line ends",
			in:      "<body a='&apos;&#x9;'>&lt;&#x41;&#65;&#xD;\r\n&quot;</body></stream:stream>",
			want:    []string{"<body a='&apos;&#x9;'>&lt;AA&#xD;\n\"</body>"},
			wantErr: io.EOF,
		},
		{
			name:    "mixed content keeps whitespace",
			in:      "<message>\n  <body>x</body>\n</message></stream:stream>",
			want:    []string{"<message>\n  <body>x</body>\n</message>"},
			wantErr: io.EOF,
		},
		{
			name:    "non-ASCII names",
			in:      "<ü:ñame xmlns:ü='urn:ü' ü:ä='1'/></stream:stream>",
			want:    []string{"<ñame xmlns='urn:ü' xmlns:ns1='urn:ü' ns1:ä='1'/>"},
			wantErr: io.EOF,
		},
		{
			name:    "stanza at the size limit",
			in:      "<m>" + strings.Repeat("x", 193) + "</m><m/>",
			lim:     Limits{MaxStanzaBytes: 200},
			want:    []string{"<m>" + strings.Repeat("x", 193) + "</m>", "<m/>"},
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name:    "nesting at the depth limit",
			in:      "<a><b><c><d/></c></b></a>",
			lim:     Limits{MaxDepth: 4},
			want:    []string{"<a><b><c><d/></c></b></a>"},
			wantErr: io.ErrUnexpectedEOF,
		},

		// The peer goes away.
		{name: "closed between stanzas", in: "<presence/>", want: []string{"<presence/>"}, wantErr: io.ErrUnexpectedEOF},
		{name: "closed inside a stanza", in: "<message><body>", wantErr: io.ErrUnexpectedEOF},
		{name: "closed inside a tag", in: "<message to='a", wantErr: io.ErrUnexpectedEOF},
		{name: "closed inside CDATA", in: "<body><![CDATA[abc", wantErr: io.ErrUnexpectedEOF},

		// Malformed XML.
		{name: "mismatched end tag", in: "<message></iq>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "mismatched prefix", in: "<a:m xmlns:a='urn:a' xmlns:b='urn:a'></b:m>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "wrong stream end tag", in: "</stream>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "undefined entity", in: "<body>&lol9;</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "bare ampersand", in: "<body>a & b</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "]]> in text", in: "<body>]]></body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "unquoted attribute", in: "<m a=1/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "attribute without value", in: "<m a/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "< in attribute", in: "<m a='<'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "invalid UTF-8 in text", in: "<body>\xff\xfe</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "invalid UTF-8 in attribute", in: "<m a='\xc3\x28'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "invalid UTF-8 in name", in: "<m\xff/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "surrogate encoded in UTF-8", in: "<body>\xed\xa0\x80</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "control character", in: "<body>\x01</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "NUL by reference", in: "<body>&#0;</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "U+FFFF by reference", in: "<body>&#xFFFF;</body>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "undeclared element prefix", in: "<foo:message/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "undeclared attribute prefix", in: "<message foo:bar='1'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "prefix out of scope", in: "<m><x xmlns:p='urn:p'/><p:y/></m>", wantErr: streamErr(stanza.NotWellFormed)},
		{
			name:    "undeclared prefix while a colon-free namespace is in scope",
			in:      "<iq><vCard xmlns='vcard-temp'/><foo:x/></iq>",
			wantErr: streamErr(stanza.NotWellFormed),
		},
		{
			name:    "colon-free namespace out of scope",
			in:      "<iq><vCard xmlns='vcard-temp'/></iq><vcard-temp:x/>",
			want:    []string{"<iq><vCard xmlns='vcard-temp'/></iq>"},
			wantErr: streamErr(stanza.NotWellFormed),
		},
		{name: "duplicate attribute", in: "<message to='a' to='b'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{
			name:    "duplicate attribute through two prefixes",
			in:      "<m xmlns:a='urn:x' xmlns:b='urn:x' a:y='1' b:y='2'/>",
			wantErr: streamErr(stanza.NotWellFormed),
		},
		{
			name:    "many attributes with a duplicate",
			in:      "<m a1='' a2='' a3='' a4='' a5='' a6='' a7='' a8='' a9='' a3=''/>",
			wantErr: streamErr(stanza.NotWellFormed),
		},
		{name: "duplicate declaration", in: "<m xmlns='urn:a' xmlns='urn:b'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "empty prefix binding", in: "<m xmlns:a=''><a:x/></m>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "xml prefix rebound", in: "<m xmlns:xml='urn:x'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "xml namespace bound to another prefix", in: "<m xmlns:x='http://www.w3.org/XML/1998/namespace'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "xmlns prefix declared", in: "<m xmlns:xmlns='urn:x'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "xml namespace as default", in: "<m xmlns='http://www.w3.org/XML/1998/namespace'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "element in the xml namespace", in: "<xml:m/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "element with the xmlns prefix", in: "<xmlns:m/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "element named xmlns", in: "<xmlns/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "local name starting with a digit", in: "<a:1b xmlns:a='urn:a'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "local name starting with a combining mark", in: "<a:\u0301b xmlns:a='urn:a'/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "empty prefix", in: "<:a/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "empty local part", in: "<a:/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "two colons", in: "<a:b:c/>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "text between stanzas", in: "hello<presence/>", wantErr: streamErr(stanza.BadFormat)},

		// Restricted XML (RFC 6120 §11.1).
		{name: "comment between stanzas", in: "<!-- hi --><presence/>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "comment inside a stanza", in: "<message><!-- hi --></message>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "processing instruction", in: "<?foo bar?>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "processing instruction inside", in: "<m><?foo bar?></m>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "XML declaration mid-stream", in: "<?xml version='1.0'?><m/>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "billion laughs", in: billionLaughs + "<m>&lol9;</m>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "directive inside a stanza", in: "<m><!ENTITY a 'b'></m>", wantErr: streamErr(stanza.RestrictedXML)},

		// Limits.
		{
			name:    "stanza one byte over the size limit",
			in:      "<m>" + strings.Repeat("x", 194) + "</m>",
			lim:     Limits{MaxStanzaBytes: 200},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "huge text",
			in:      "<body>" + strings.Repeat("x", 1<<20) + "</body>",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "huge attribute",
			in:      "<m a='" + strings.Repeat("x", 1<<20) + "'/>",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "huge name",
			in:      "<m" + strings.Repeat("x", 1<<20) + "/>",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "huge comment",
			in:      "<!--" + strings.Repeat("x", 1<<20) + "-->",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "huge whitespace run",
			in:      strings.Repeat(" ", 1<<20) + "<m/>",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "many small elements",
			in:      "<m>" + strings.Repeat("<a/>", 30000) + "</m>",
			lim:     Limits{MaxStanzaBytes: 10000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "too deep",
			in:      "<a><b><c><d><e/></d></c></b></a>",
			lim:     Limits{MaxDepth: 4},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name:    "deep nesting with the default limit",
			in:      strings.Repeat("<a>", 100000),
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name: "namespace amplification",
			// 1 KiB namespace declared once, used by 2000 children: 14 KB in, 2 MB out.
			in:      "<m xmlns:p='urn:" + strings.Repeat("x", 1000) + "'>" + strings.Repeat("<p:a/>", 2000) + "</m>",
			lim:     Limits{MaxStanzaBytes: 100000},
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readStream(t, strings.NewReader(header+tt.in), tt.lim)
			checkErr(t, got.err, tt.wantErr)
			if strings.Join(got.elements, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("elements:\n got  %q\n want %q", got.elements, tt.want)
			}
		})
	}
}

const billionLaughs = `<!DOCTYPE lolz [<!ENTITY lol "lol">` +
	`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
	`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
	`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>`

func TestHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Header
		wantErr error
	}{
		{
			name: "client stream",
			in: "<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns='jabber:client' " +
				"xmlns:stream='http://etherx.jabber.org/streams' to='example.org' from='alice@example.org' " +
				"id='i' version='1.0' xml:lang='en'>",
			want: Header{To: "example.org", From: "alice@example.org", ID: "i", Version: "1.0", Lang: "en", NS: "jabber:client"},
		},
		{
			name: "no declaration, double quotes, other prefix",
			in:   `<s:stream xmlns:s="http://etherx.jabber.org/streams" xmlns="jabber:server" to="a">`,
			want: Header{To: "a", NS: "jabber:server"},
		},
		{
			name: "byte order mark and whitespace",
			in:   "\uFEFF<?xml version='1.0'?>\n<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
			want: Header{},
		},
		{
			name: "streams namespace as the default",
			in:   "<stream xmlns='http://etherx.jabber.org/streams'>",
			want: Header{NS: stanza.NSStream},
		},
		{name: "empty input", in: "", wantErr: io.EOF},
		{name: "cut off", in: "<?xml version='1.0'?><stream:str", wantErr: io.ErrUnexpectedEOF},
		{
			name:    "wrong stream namespace",
			in:      "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>",
			wantErr: streamErr(stanza.InvalidNamespace),
		},
		{
			name:    "undeclared stream prefix",
			in:      "<stream:stream xmlns='jabber:client'>",
			wantErr: streamErr(stanza.InvalidNamespace),
		},
		{name: "wrong root", in: "<message xmlns='jabber:client'>", wantErr: streamErr(stanza.InvalidNamespace)},
		{
			name:    "duplicate attribute",
			in:      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='a' to='b'>",
			wantErr: streamErr(stanza.NotWellFormed),
		},
		{
			name:    "billion laughs before the header",
			in:      "<?xml version='1.0'?>" + billionLaughs + "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>&lol9;",
			wantErr: streamErr(stanza.RestrictedXML),
		},
		{name: "comment", in: "<!-- x --><stream:stream>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "processing instruction", in: "<?php x?><stream:stream>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "declaration after whitespace", in: " <?xml version='1.0'?><stream:stream>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "two declarations", in: "<?xml version='1.0'?><?xml version='1.0'?>", wantErr: streamErr(stanza.RestrictedXML)},
		{name: "other encoding", in: "<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream>", wantErr: streamErr(stanza.UnsupportedEncoding)},
		{name: "XML 1.1", in: "<?xml version='1.1'?><stream:stream>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "text first", in: "hello<stream:stream>", wantErr: streamErr(stanza.NotWellFormed)},
		{name: "end tag first", in: "</stream:stream>", wantErr: streamErr(stanza.NotWellFormed)},
		{
			name:    "huge header",
			in:      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + strings.Repeat("x", 1<<20) + "'>",
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
		{
			name: "header just under 4 KiB",
			in:   "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + strings.Repeat("x", 4000) + "'>",
			want: Header{To: strings.Repeat("x", 4000)},
		},
		{
			name:    "header over 4 KiB",
			in:      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + strings.Repeat("x", 4100) + "'>",
			wantErr: streamErr(stanza.StreamPolicyViolation),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), Limits{MaxStanzaBytes: 10000})
			got, err := r.Header()
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("header = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNextBeforeHeader(t *testing.T) {
	r := NewReader(strings.NewReader(header+"<m/>"), Limits{})
	if _, err := r.Next(); err == nil {
		t.Fatal("Next before Header succeeded")
	}
	if _, err := r.Header(); err != nil {
		t.Fatalf("Header after a premature Next: %v", err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("Next: %v", err)
	}
}

func TestStreamLevelDeclarations(t *testing.T) {
	in := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
		"xmlns:v='vcard-temp' xmlns:d='jabber:iq:roster'>" +
		"<iq><v:vCard/><d:query/></iq><v:x/></stream:stream>"
	got := readStream(t, strings.NewReader(in), Limits{})
	want := []string{"<iq><vCard xmlns='vcard-temp'/><query xmlns='jabber:iq:roster'/></iq>", "<x xmlns='vcard-temp'/>"}
	if strings.Join(got.elements, "\n") != strings.Join(want, "\n") || got.err != io.EOF {
		t.Errorf("got %q, %v; want %q, EOF", got.elements, got.err, want)
	}
}

// countingReader counts what the Reader takes from the connection.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestMemoryBound checks that a Reader stops reading from the connection once one
// token is over the budget, instead of buffering it whole.
func TestMemoryBound(t *testing.T) {
	const maxStanza = 10000
	const buf = 512
	tests := []struct{ name, open string }{
		{"text", "<presence/><body>"},
		{"attribute value", "<presence/><m a='"},
		{"comment", "<presence/><!--"},
		{"whitespace", "<presence/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill := byte('x')
			if tt.name == "whitespace" {
				fill = ' '
			}
			src := &countingReader{r: io.MultiReader(strings.NewReader(header+tt.open), repeatReader(fill))}
			got := readStream(t, src, Limits{MaxStanzaBytes: maxStanza, ReadBufferBytes: buf})
			checkErr(t, got.err, streamErr(stanza.StreamPolicyViolation))
			limit := int64(len(header)+len("<presence/>")) + maxStanza + buf
			if src.n > limit {
				t.Errorf("read %d bytes from the connection, want at most %d", src.n, limit)
			}
		})
	}
}

func TestHeaderMemoryBound(t *testing.T) {
	src := &countingReader{r: io.MultiReader(
		strings.NewReader("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='"), repeatReader('x'))}
	_, err := NewReader(src, Limits{}).Header()
	checkErr(t, err, streamErr(stanza.StreamPolicyViolation))
	if limit := int64(maxHeaderBytes + DefaultReadBufferBytes); src.n > limit {
		t.Errorf("read %d bytes of an endless header, want at most %d", src.n, limit)
	}
}

// repeatReader returns an endless stream of b.
type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

const splitStream = "<?xml version='1.0'?>\n<stream:stream xmlns='jabber:client' " +
	"xmlns:stream='http://etherx.jabber.org/streams' xmlns:v='vcard-temp' version='1.0'> " +
	"<message to='bob@example.org' xml:lang='en'><body>héllo &amp; 😀<![CDATA[<raw>]]>&#xD;\r\n</body></message>\n" +
	"<iq type='get' id='x'><q:query xmlns:q='jabber:iq:roster' xmlns:p='urn:p' p:a='1'/><v:vCard/></iq>  " +
	"<presence/></stream:stream>"

// TestSplitReads feeds one stream in every possible pair of pieces and one byte per
// Read, and expects the same result as in one piece.
func TestSplitReads(t *testing.T) {
	want := readStream(t, strings.NewReader(splitStream), Limits{ReadBufferBytes: 16})
	if want.err != io.EOF || len(want.elements) != 3 {
		t.Fatalf("whole stream: %q, %v", want.elements, want.err)
	}
	check := func(t *testing.T, got transcript) {
		t.Helper()
		if got.err != io.EOF || got.header != want.header || strings.Join(got.elements, "|") != strings.Join(want.elements, "|") {
			t.Errorf("got %+v %q %v\nwant %+v %q EOF", got.header, got.elements, got.err, want.header, want.elements)
		}
	}
	t.Run("one byte at a time", func(t *testing.T) {
		check(t, readStream(t, iotest.OneByteReader(strings.NewReader(splitStream)), Limits{}))
	})
	t.Run("half reads", func(t *testing.T) {
		check(t, readStream(t, iotest.HalfReader(strings.NewReader(splitStream)), Limits{ReadBufferBytes: 16}))
	})
	t.Run("data with EOF", func(t *testing.T) {
		check(t, readStream(t, iotest.DataErrReader(strings.NewReader(splitStream)), Limits{}))
	})
	t.Run("every split point", func(t *testing.T) {
		for i := range len(splitStream) + 1 {
			in := io.MultiReader(strings.NewReader(splitStream[:i]), strings.NewReader(splitStream[i:]))
			got := readStream(t, in, Limits{ReadBufferBytes: 16})
			if got.err != io.EOF || strings.Join(got.elements, "|") != strings.Join(want.elements, "|") {
				t.Fatalf("split at %d: %q, %v", i, got.elements, got.err)
			}
		}
	})
}

// TestNextDoesNotWaitForMore checks that an element is returned as soon as its end tag
// has arrived, on a connection that stays open.
func TestNextDoesNotWaitForMore(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	// Only a failure would hit the deadline; it turns a hang into an error.
	if err := server.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}

	writes := make(chan string)
	writeErr := make(chan error, 1)
	go func() {
		for s := range writes {
			if _, err := io.WriteString(client, s); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()

	r := NewReader(server, Limits{})
	writes <- header
	if _, err := r.Header(); err != nil {
		t.Fatalf("Header: %v", err)
	}
	for _, s := range []string{"<message><body>one</body></message>", "<presence/>", " <iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>"} {
		writes <- s // net.Pipe: the write completes only when the Reader takes the bytes
		el, err := r.Next()
		if err != nil {
			t.Fatalf("Next after %q: %v", s, err)
		}
		if got, want := string(el.AppendXML(nil, stanza.NSClient)), strings.TrimSpace(s); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	writes <- " " + Close
	close(writes)
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next at the end of the stream: %v, want io.EOF", err)
	}
	if err := <-writeErr; err != nil {
		t.Errorf("write: %v", err)
	}
}

// errReader returns data, then err.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReadErrorsKeepTheirKind(t *testing.T) {
	tests := []struct {
		name string
		in   string
		err  error
	}{
		{"closed between stanzas", header + "<presence/>", net.ErrClosed},
		{"closed inside a stanza", header + "<message><bo", net.ErrClosed},
		{"deadline", header, os.ErrDeadlineExceeded},
		{"before the header", "", net.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readStream(t, &errReader{data: []byte(tt.in), err: tt.err}, Limits{})
			if !errors.Is(got.err, tt.err) {
				t.Errorf("error = %v, want one wrapping %v", got.err, tt.err)
			}
			var se *stanza.StreamError
			if errors.As(got.err, &se) {
				t.Errorf("a read error came back as a stream error: %v", se)
			}
		})
	}
}

// TestRenewDecoder checks that the stream goes on correctly after the decoder has been
// replaced to free memory, whatever prefix the stream element used.
func TestRenewDecoder(t *testing.T) {
	tests := []struct {
		name, header, close string
	}{
		{"stream prefix", header, Close},
		{"other prefix and declaration", "\uFEFF<?xml version='1.0'?> <s:stream xmlns:s='http://etherx.jabber.org/streams' " +
			"xmlns='jabber:client' xmlns:v='vcard-temp'>", "</s:stream>"},
	}
	body := strings.Repeat("y", 100)
	stanzas := "<message><body>" + body + "</body></message>" + " <presence/>" +
		"<iq><query xmlns='jabber:iq:roster'/></iq>" + "<message><body>" + body + "</body></message>"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.header + stanzas + stanzas + tt.close
			for _, buf := range []int{16, 64, 512} {
				r := NewReader(iotest.HalfReader(strings.NewReader(in)), Limits{ReadBufferBytes: buf, MaxStanzaBytes: 1000})
				r.renewAfter = 50
				h, err := r.Header()
				if err != nil {
					t.Fatal(err)
				}
				decoders := map[any]bool{r.dec: true}
				var got []string
				for {
					el, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("buffer %d, after %d elements: %v", buf, len(got), err)
					}
					decoders[r.dec] = true
					got = append(got, string(el.AppendXML(nil, h.NS)))
				}
				want := readStream(t, strings.NewReader(header+stanzas+stanzas+Close), Limits{}).elements
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("buffer %d:\n got  %q\n want %q", buf, got, want)
				}
				if len(decoders) < 3 {
					t.Errorf("buffer %d: the decoder was replaced %d times, want at least 2", buf, len(decoders)-1)
				}
			}
		})
	}
}

func TestRenewDecoderKeepsSizeLimit(t *testing.T) {
	// After renewals the budget must still be counted from the right place: a stanza of
	// exactly the limit passes and one byte more fails.
	exact := "<m>" + strings.Repeat("x", 193) + "</m>" // 200 bytes
	over := "<m>" + strings.Repeat("x", 194) + "</m>"
	in := header + exact + exact + " " + exact + over
	r := NewReader(strings.NewReader(in), Limits{MaxStanzaBytes: 200, ReadBufferBytes: 16})
	r.renewAfter = 10
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := r.Next(); err != nil {
			t.Fatalf("stanza %d at the limit: %v", i, err)
		}
	}
	_, err := r.Next()
	checkErr(t, err, streamErr(stanza.StreamPolicyViolation))
}

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want string
	}{
		{
			name: "server response",
			h:    Header{NS: stanza.NSClient, ID: "abc", From: "example.org", To: "alice@example.org", Lang: "en"},
			want: "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
				"id='abc' from='example.org' to='alice@example.org' version='1.0' xml:lang='en'>",
		},
		{
			name: "empty fields left out",
			h:    Header{},
			want: "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
		},
		{
			name: "values escaped",
			h:    Header{NS: "jabber:server", ID: "a'b<", Version: "1.0"},
			want: "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " +
				"id='a&apos;b&lt;' version='1.0'>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendHeader([]byte("x"), tt.h)
			if string(got[1:]) != tt.want {
				t.Errorf("got  %s\nwant %s", got[1:], tt.want)
			}
			// What we write, we read.
			back, err := NewReader(bytes.NewReader(append(got[1:], Close...)), Limits{}).Header()
			if err != nil {
				t.Fatal(err)
			}
			want := tt.h
			if want.Version == "" {
				want.Version = "1.0"
			}
			if back != want {
				t.Errorf("read back %+v, want %+v", back, want)
			}
		})
	}
}

// loopReader returns the same bytes forever, without allocating.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

const benchMessage = "<message from='alice@example.org/phone' to='bob@example.org' type='chat' id='a1b2c3d4'>" +
	"<body>Still on for lunch today?</body></message>"

func BenchmarkNext(b *testing.B) {
	if len(benchMessage) != 135 {
		b.Fatalf("message is %d bytes, want 135", len(benchMessage))
	}
	r := NewReader(io.MultiReader(strings.NewReader(header), &loopReader{data: []byte(benchMessage)}), Limits{})
	if _, err := r.Header(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMessage)))
	for b.Loop() {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchMessageRoundTrip(t *testing.T) {
	got := readStream(t, strings.NewReader(header+benchMessage+Close), Limits{})
	if len(got.elements) != 1 || got.elements[0] != benchMessage {
		t.Errorf("got %q", got.elements)
	}
}

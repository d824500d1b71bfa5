package stanza

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestAppendXML(t *testing.T) {
	tests := []struct {
		name     string
		el       *Element
		parentNS string
		want     string
	}{
		{
			name:     "stanza in the stream namespace has no xmlns",
			el:       New(NSClient, "presence"),
			parentNS: NSClient,
			want:     "<presence/>",
		},
		{
			name: "child namespaces declared once and inherited",
			el: New(NSClient, "iq", "type", "get", "id", "r1").Append(
				New("jabber:iq:roster", "query").Append(New("jabber:iq:roster", "item", "jid", "a@b"))),
			parentNS: NSClient,
			want:     "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>",
		},
		{
			name:     "element outside the parent namespace",
			el:       New(NSClient, "message"),
			parentNS: "jabber:server",
			want:     "<message xmlns='jabber:client'/>",
		},
		{
			name:     "no namespace under a default namespace",
			el:       New(NSClient, "a").Append(New("", "b")),
			parentNS: NSClient,
			want:     "<a><b xmlns=''/></a>",
		},
		{
			name: "xml:lang",
			el: &Element{Name: xml.Name{Space: NSClient, Local: "message"},
				Attr: []xml.Attr{{Name: xml.Name{Space: NSXML, Local: "lang"}, Value: "en"}}},
			parentNS: NSClient,
			want:     "<message xml:lang='en'/>",
		},
		{
			name: "namespaced attributes get generated prefixes",
			el: &Element{Name: xml.Name{Space: "urn:a", Local: "x"}, Attr: []xml.Attr{
				{Name: xml.Name{Space: "urn:p", Local: "one"}, Value: "1"},
				{Name: xml.Name{Space: "urn:p", Local: "two"}, Value: "2"},
				{Name: xml.Name{Local: "plain"}, Value: "3"},
				{Name: xml.Name{Space: "urn:q", Local: "one"}, Value: "4"},
			}},
			parentNS: "urn:a",
			want:     "<x xmlns:ns1='urn:p' ns1:one='1' ns1:two='2' plain='3' xmlns:ns2='urn:q' ns2:one='4'/>",
		},
		{
			name: "declarations in Attr are not copied",
			el: &Element{Name: xml.Name{Space: "urn:a", Local: "x"}, Attr: []xml.Attr{
				{Name: xml.Name{Local: "xmlns"}, Value: "urn:evil"},
				{Name: xml.Name{Space: "xmlns", Local: "p"}, Value: "urn:evil"},
			}},
			parentNS: "urn:a",
			want:     "<x/>",
		},
		{
			name:     "text escaping keeps quotes",
			el:       New(NSClient, "body").AppendText(`a<b & c>d "q" 'a' ]]>`),
			parentNS: NSClient,
			want:     `<body>a&lt;b &amp; c&gt;d "q" 'a' ]]&gt;</body>`,
		},
		{
			name:     "attribute escaping",
			el:       New(NSClient, "m", "id", "a'b\"c<d>e&f\tg\nh\ri"),
			parentNS: NSClient,
			want:     "<m id='a&apos;b&quot;c&lt;d&gt;e&amp;f&#x9;g&#xA;h&#xD;i'/>",
		},
		{
			name:     "text keeps tab and newline, escapes CR",
			el:       New(NSClient, "body").AppendText("a\tb\nc\rd"),
			parentNS: NSClient,
			want:     "<body>a\tb\nc&#xD;d</body>",
		},
		{
			name:     "forbidden characters and bad UTF-8 replaced",
			el:       New(NSClient, "body", "x", "\x00").AppendText("a\x01b\x1fc\xffd\xed\xa0\x80e\uFFFEf\uFFFFg"),
			parentNS: NSClient,
			want:     "<body x='\uFFFD'>a\uFFFDb\uFFFDc\uFFFDd\uFFFD\uFFFD\uFFFDe\uFFFDf\uFFFDg</body>",
		},
		{
			name:     "multi-byte text untouched",
			el:       New(NSClient, "body").AppendText("grüße 😀 \uFFFD \U0010FFFD 中文"),
			parentNS: NSClient,
			want:     "<body>grüße 😀 \uFFFD \U0010FFFD 中文</body>",
		},
		{
			name:     "mixed content and nil children",
			el:       &Element{Name: xml.Name{Space: NSClient, Local: "p"}, Children: []Node{Text("a"), (*Element)(nil), New(NSClient, "b"), Text("c")}},
			parentNS: NSClient,
			want:     "<p>a<b/>c</p>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix:")
			got := tt.el.AppendXML(prefix, tt.parentNS)
			if !bytes.HasPrefix(got, []byte("prefix:")) {
				t.Fatalf("AppendXML did not append to dst: %q", got)
			}
			if got := string(got[len("prefix:"):]); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			assertWellFormed(t, tt.el, tt.parentNS)
		})
	}
}

// assertWellFormed parses the output with encoding/xml, inside a wrapper that declares
// parentNS, and checks that the element comes back as a parser should see it.
func assertWellFormed(t *testing.T, el *Element, parentNS string) {
	t.Helper()
	doc := "<wrap xmlns='" + parentNS + "'>" + string(el.AppendXML(nil, parentNS)) + "</wrap>"
	d := xml.NewDecoder(strings.NewReader(doc))
	var stack []*Element
	var wrap *Element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &Element{Name: tok.Name}
			for _, a := range tok.Attr {
				if a.Name.Space != "xmlns" && (a.Name.Space != "" || a.Name.Local != "xmlns") {
					n.Attr = append(n.Attr, a)
				}
			}
			if len(stack) == 0 {
				wrap = n
			} else {
				stack[len(stack)-1].Append(n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].AppendText(string(tok))
		}
	}
	parsed := wrap.FirstChild()
	if parsed == nil {
		t.Fatalf("no element parsed from %s", doc)
	}
	want := string(sanitized(el).AppendXML(nil, parentNS))
	if got := string(parsed.AppendXML(nil, parentNS)); got != want {
		t.Errorf("reparsed element differs:\n got  %s\n want %s", got, want)
	}
}

// sanitized is el as a parser sees it: nil children dropped, adjacent text merged, and
// characters XML forbids already replaced.
func sanitized(el *Element) *Element {
	c := &Element{Name: el.Name}
	for _, a := range el.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		a.Value = replaceInvalid(a.Value)
		c.Attr = append(c.Attr, a)
	}
	var text strings.Builder
	flush := func() {
		c.AppendText(replaceInvalid(text.String()))
		text.Reset()
	}
	for _, n := range el.Children {
		switch n := n.(type) {
		case Text:
			text.WriteString(string(n))
		case *Element:
			if n != nil {
				flush()
				c.Append(sanitized(n))
			}
		}
	}
	flush()
	return c
}

// replaceInvalid applies only the U+FFFD replacement of the escaper.
func replaceInvalid(s string) string {
	escaped := string(AppendEscapedText(nil, s))
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#xD;", "\r").Replace(escaped)
}

// chatMessage is a typical one-to-one chat message: 135 bytes serialized.
func chatMessage() *Element {
	return New(NSClient, "message",
		"from", "alice@example.org/phone",
		"to", "bob@example.org",
		"type", "chat",
		"id", "a1b2c3d4",
	).Append(New(NSClient, "body").AppendText("Still on for lunch today?"))
}

func TestChatMessageSize(t *testing.T) {
	if n := len(chatMessage().AppendXML(nil, NSClient)); n != 135 {
		t.Errorf("benchmark message is %d bytes, want 135", n)
	}
}

func TestAppendXMLAllocs(t *testing.T) {
	m := chatMessage()
	withEscapes := New(NSClient, "message", "id", "it's").
		Append(New(NSClient, "body").AppendText("a < b & c > d — ünïcödé"))
	for _, tc := range []struct {
		name string
		el   *Element
	}{{"chat message", m}, {"escapes and non-ASCII", withEscapes}} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 0, 1024)
			allocs := testing.AllocsPerRun(1000, func() {
				buf = tc.el.AppendXML(buf[:0], NSClient)
			})
			if allocs != 0 {
				t.Errorf("AppendXML into a preallocated buffer: %v allocs, want 0", allocs)
			}
		})
	}
}

func BenchmarkAppendXML(b *testing.B) {
	m := chatMessage()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(m.AppendXML(nil, NSClient))))
	for b.Loop() {
		buf = m.AppendXML(buf[:0], NSClient)
	}
}

func BenchmarkAppendXMLNewBuffer(b *testing.B) {
	m := chatMessage()
	b.ReportAllocs()
	b.SetBytes(int64(len(m.AppendXML(nil, NSClient))))
	for b.Loop() {
		_ = m.AppendXML(nil, NSClient)
	}
}

func BenchmarkAppendEscapedText(b *testing.B) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20)
	buf := make([]byte, 0, 2*len(s))
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendEscapedText(buf[:0], s)
	}
}

package xmlstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"xmppbox/server/stanza"
)

// fuzzLimits are small, so the fuzzer reaches the limits and the buffer boundaries.
var fuzzLimits = Limits{MaxStanzaBytes: 2048, MaxDepth: 8, ReadBufferBytes: 16}

// FuzzReader feeds arbitrary bytes to a Reader, as a whole stream and as the content of a
// fixed stream header, each in one piece and in two. It checks that the Reader neither
// panics nor does unbounded work, that the split does not change the result, and that
// every element it accepts serializes to XML that reads back as the same element.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		splitStream,
		header + benchMessage + Close,
		"<message><body>hi</body></message><presence/>",
		" <iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>\n</stream:stream>",
		"<m xmlns:p='urn:p' p:a='1' xml:lang='en'><p:x xmlns=''/></m>",
		"<body>a<![CDATA[<b>&]]>c&#xD;&lt;&#65;\r\n</body>",
		"<iq><vCard xmlns='vcard-temp'><v:FN xmlns:v='vcard-temp'/></vCard></iq>",
		"<a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a>",
		"<!-- c --><?pi x?>" + billionLaughs,
		"<m a='&quot;&apos;&#x9;&#xA;' b=\"'\"/>",
		"<ü:ñ xmlns:ü='urn:ü' ü:ä='1'/>",
		"<message to='a' to='b'/><foo:bar/>",
		"\uFEFF<?xml version='1.0'?><s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server'><db:result xmlns:db='jabber:server:dialback'/></s:stream>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, append([]byte(header), data...)} {
			whole := fuzzRead(t, bytes.NewReader(in))
			half := len(in) / 2
			split := fuzzRead(t, io.MultiReader(bytes.NewReader(in[:half]), bytes.NewReader(in[half:])))
			if fmt.Sprint(whole.err) != fmt.Sprint(split.err) || !slices.Equal(whole.elements, split.elements) {
				t.Fatalf("split at %d changed the result:\n whole %q %v\n split %q %v",
					half, whole.elements, whole.err, split.elements, split.err)
			}
			if len(whole.elements) > len(in)/4+1 { // the smallest element, <a/>, has 4 bytes
				t.Fatalf("%d elements from %d bytes", len(whole.elements), len(in))
			}
			for _, out := range whole.elements {
				roundTrip(t, whole.header.NS, out)
			}
		}
	})
}

type fuzzResult struct {
	header   Header
	elements []string
	err      error
}

func fuzzRead(t *testing.T, in io.Reader) fuzzResult {
	r := NewReader(in, fuzzLimits)
	r.renewAfter = 64 // replace the decoder often, so renewDecoder is fuzzed too
	var res fuzzResult
	res.header, res.err = r.Header()
	for res.err == nil {
		var el *stanza.Element
		el, res.err = r.Next()
		if res.err != nil {
			break
		}
		out := el.AppendXML(nil, res.header.NS)
		// Escaping grows a value at most 6 times (" is &quot;), and namespace declarations
		// are budgeted at MaxStanzaBytes per stanza.
		if limit := 7*fuzzLimits.MaxStanzaBytes + 64; int64(len(out)) > limit {
			t.Fatalf("a stanza of at most %d bytes serialized to %d bytes", fuzzLimits.MaxStanzaBytes, len(out))
		}
		res.elements = append(res.elements, string(out))
	}
	var se *stanza.StreamError
	if res.err != io.EOF && !errors.Is(res.err, io.ErrUnexpectedEOF) && !errors.As(res.err, &se) {
		t.Fatalf("error of an unexpected kind: %v", res.err)
	}
	return res
}

// roundTrip reads out, an accepted element serialized, inside a new stream and checks
// that it serializes the same again.
func roundTrip(t *testing.T, ns, out string) {
	stream := AppendHeader(nil, Header{NS: ns})
	stream = append(stream, out...)
	stream = append(stream, Close...)
	r := NewReader(bytes.NewReader(stream), Limits{MaxStanzaBytes: int64(len(stream)), MaxDepth: fuzzLimits.MaxDepth})
	if _, err := r.Header(); err != nil {
		t.Fatalf("round trip: header %q: %v", stream, err)
	}
	el, err := r.Next()
	if err != nil {
		t.Fatalf("round trip: reading back %q: %v", out, err)
	}
	if again := string(el.AppendXML(nil, ns)); again != out {
		t.Fatalf("round trip changed the element:\n first  %q\n second %q", out, again)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("round trip: after the element: %v, want io.EOF", err)
	}
}

package xmlstream

import (
	"bytes"
	"io"

	"xmppbox/server/stanza"
)

// streamPrefix opens a jabber:client stream around stored stanzas, so they parse with
// the same rules and limits as live ones.
const streamPrefix = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"

// Parse reads one element serialised by stanza.Element.AppendXML with the jabber:client
// default namespace (as the stores keep stanzas).
func Parse(b []byte) (*stanza.Element, error) {
	r := NewReader(io.MultiReader(bytes.NewReader([]byte(streamPrefix)), bytes.NewReader(b)), Limits{MaxStanzaBytes: int64(len(b)) + 1024, ReadBufferBytes: 4096})
	if _, err := r.Header(); err != nil {
		return nil, err
	}
	return r.Next()
}

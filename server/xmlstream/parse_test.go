package xmlstream

import (
	"errors"
	"io"
	"testing"

	"xmppbox/server/stanza"
)

func TestParse(t *testing.T) {
	stored := stanza.New(stanza.NSClient, "message", "from", "alice@example.org/a", "to", "bob@example.org").
		Append(stanza.New(stanza.NSClient, "body").AppendText("it's <here> & now")).
		Append(stanza.New("urn:xmpp:delay", "delay", "stamp", "2026-01-01T00:00:00Z"))
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{name: "stored stanza", in: stored.String(), want: stored.String()},
		{name: "empty", in: "", wantErr: io.ErrUnexpectedEOF},
		{name: "truncated", in: "<message><body>", wantErr: io.ErrUnexpectedEOF},
		{name: "malformed", in: "<message></iq>", wantErr: &stanza.StreamError{Condition: stanza.NotWellFormed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el, err := Parse([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := el.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

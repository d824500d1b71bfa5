package vcard

import (
	"errors"
	"testing"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

func TestPhotoHash(t *testing.T) {
	// SHA-1("hello"); "hello" is aGVsbG8= in base64.
	const hello = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
	tests := []struct {
		name    string
		vcard   string
		want    string
		wantErr bool
	}{
		{"NoPhoto", "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>", "", false},
		{"PhotoWithoutBinval", "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE></PHOTO></vCard>", "", false},
		{"ExtvalOnly", "<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>https://example.org/a.png</EXTVAL></PHOTO></vCard>", "", false},
		{"EmptyBinval", "<vCard xmlns='vcard-temp'><PHOTO><BINVAL/></PHOTO></vCard>", "", false},
		{"Binval", "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard>", hello, false},
		{"BinvalWrapped", "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>\n  aGVs\r\n\tbG8=\n</BINVAL></PHOTO></vCard>", hello, false},
		{"BinvalUnpadded", "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>aGVsbG8</BINVAL></PHOTO></vCard>", hello, false},
		{"BinvalNotBase64", "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>not base64!</BINVAL></PHOTO></vCard>", "", true},
		{"PhotoInOtherNamespace", "<vCard xmlns='vcard-temp'><PHOTO xmlns='urn:other'><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard>", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, err := xmlstream.Parse([]byte(tt.vcard))
			if err != nil {
				t.Fatal(err)
			}
			got, err := PhotoHash(card)
			var se stanza.Error
			if tt.wantErr != (err != nil) || (err != nil && (!errors.As(err, &se) || se.Condition != stanza.BadRequest)) {
				t.Fatalf("PhotoHash err = %v, want error: %v (bad-request)", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("PhotoHash = %q, want %q", got, tt.want)
			}
		})
	}
}

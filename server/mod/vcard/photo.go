package vcard

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"xmppbox/server/stanza"
)

// PhotoHash returns the XEP-0153 avatar hash of a vCard: the lower-case hex SHA-1 of the
// image data in PHOTO/BINVAL, base64-decoded with whitespace ignored (§4.5). It returns ""
// when there is no PHOTO, or a PHOTO with no or an empty BINVAL (such as one that only
// points to an EXTVAL URL), and a stanza.Error (bad-request) when the BINVAL is not base64.
func PhotoHash(card *stanza.Element) (string, error) {
	photo := card.Child(NS, "PHOTO")
	if photo == nil {
		return "", nil
	}
	binval := photo.Child(NS, "BINVAL")
	if binval == nil {
		return "", nil
	}
	data := strings.Map(dropSpace, binval.Text())
	if data == "" {
		return "", nil
	}
	img, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		// Some clients leave out the padding; the image is the same.
		if img, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "=")); err != nil {
			return "", stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "PHOTO BINVAL is not base64"}
		}
	}
	sum := sha1.Sum(img)
	return hex.EncodeToString(sum[:]), nil
}

// dropSpace removes the XML whitespace that base64 text may be wrapped with (RFC 2045 §6.8
// lines of 76 characters).
func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\r', '\n':
		return -1
	}
	return r
}

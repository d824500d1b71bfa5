package s2s

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// dialbackKeys makes and checks Server Dialback keys (XEP-0220 §2.4): HMAC-SHA256 keyed
// with the hex SHA-256 of a secret, over "receiving originating streamID". The secret is
// made per process: a key only needs to verify while the stream it was made for is being
// authenticated.
type dialbackKeys struct{ key []byte }

func newDialbackKeys() dialbackKeys {
	var secret [32]byte
	rand.Read(secret[:])
	sum := sha256.Sum256(secret[:])
	return dialbackKeys{key: []byte(hex.EncodeToString(sum[:]))}
}

func (d dialbackKeys) make(receiving, originating, streamID string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(receiving + " " + originating + " " + streamID))
	return hex.EncodeToString(m.Sum(nil))
}

func (d dialbackKeys) check(receiving, originating, streamID, key string) bool {
	return hmac.Equal([]byte(d.make(receiving, originating, streamID)), []byte(key))
}

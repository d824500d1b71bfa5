package sasl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// stepPlain handles the one PLAIN message (RFC 4616 §2): [authzid] NUL authcid NUL passwd.
// Mechanisms offers PLAIN only with TLS, and NewConversation refuses it otherwise, because
// the password crosses the wire.
func (c *Conversation) stepPlain(ctx context.Context, in []byte) ([]byte, bool, error) {
	parts := bytes.Split(in, []byte{0})
	if len(parts) != 3 || !utf8.Valid(in) {
		return nil, false, c.malformed("message", errors.New("want authzid NUL authcid NUL passwd in UTF-8"))
	}
	authzid, authcid, passwd := string(parts[0]), string(parts[1]), string(parts[2])
	if authcid == "" || passwd == "" {
		return nil, false, c.malformed("message", errors.New("empty authcid or passwd"))
	}

	name, ok := normalizeUsername(authcid)
	if !ok {
		name = authcid
	}
	var creds Credentials
	known := false
	if ok {
		var err error
		creds, err = c.lookup(ctx, name)
		switch {
		case isUnknownUser(err):
		case err != nil:
			return nil, false, fmt.Errorf("sasl: %s: lookup %q: %w", c.mech.name, name, err)
		default:
			known = true
		}
	}
	if !known {
		// Spend the PBKDF2 work a real account costs, so the answer's timing does not
		// tell a missing account from a wrong password.
		decoy := Credentials{SHA256: decoySecret(hashSHA256, name)}
		decoy.VerifyPassword(passwd)
		return nil, false, fmt.Errorf("sasl: %s: unknown user %q: %w", c.mech.name, name, ErrAuthFailed)
	}
	if !creds.VerifyPassword(passwd) {
		return nil, false, fmt.Errorf("sasl: %s: user %q: wrong password: %w", c.mech.name, name, ErrAuthFailed)
	}
	if err := checkAuthzID(c.mech.name, authzid, name); err != nil {
		return nil, false, err
	}
	c.username, c.authzID = name, authzid
	return nil, true, nil
}

package sasl

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"strings"

	"github.com/xdg-go/scram"
	"golang.org/x/text/secure/precis"
)

// Mechanism and channel binding names as they appear on the wire.
const (
	mechPlain = "PLAIN"

	cbExporter       = "tls-exporter"         // RFC 9266
	cbServerEndPoint = "tls-server-end-point" // RFC 5929 §4
)

// Lookup returns the stored credentials of an account. username is the localpart,
// already prepared with PRECIS UsernameCaseMapped (RFC 8265 §3.3), 1 to 1023 bytes and
// free of the characters RFC 7622 §3.3.1 forbids in a localpart. For a missing account it
// returns an error wrapping ErrUnknownUser or fs.ErrNotExist; any other error aborts the
// exchange and is returned by Step as it is (wrapped), never as ErrAuthFailed.
type Lookup func(ctx context.Context, username string) (Credentials, error)

// Binding is the TLS state of the stream being authenticated.
type Binding struct {
	// State is the connection state after the handshake; nil on a stream without TLS.
	State *tls.ConnectionState
	// Leaf is the certificate the server presented on this connection. It is needed for
	// tls-server-end-point, which hashes the server's own certificate (RFC 5929 §4.1):
	// on the server side State.PeerCertificates holds the client's, if any.
	Leaf *x509.Certificate
	// ClientCannotBind is set by the stream layer after a -PLUS attempt on this stream
	// failed with ErrUnsupportedBinding (clients such as slixmpp 1.8 send tls-unique on
	// TLS 1.3). Such a client's later gs2 flag 'y' is then accepted instead of being
	// treated as a downgrade: it cannot bind with any type offered, so refusing it would
	// only push it to PLAIN.
	ClientCannotBind bool
}

// Mechanisms lists the mechanisms to offer on a stream with TLS state b, strongest first:
// the three SCRAM -PLUS variants when ChannelBindingTypes(b) is not empty, then
// SCRAM-SHA-512, SCRAM-SHA-256 and SCRAM-SHA-1, then PLAIN when b.State is not nil. The
// result is a new slice each time.
func Mechanisms(b Binding) []string {
	mechs := make([]string, 0, 7)
	if len(ChannelBindingTypes(b)) > 0 {
		mechs = append(mechs, "SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS")
	}
	mechs = append(mechs, "SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1")
	if b.State != nil {
		mechs = append(mechs, mechPlain)
	}
	return mechs
}

// ChannelBindingTypes lists the channel binding types usable on b, for the XEP-0440
// <sasl-channel-binding/> stream feature: "tls-exporter" on TLS 1.3 (RFC 9266 §3 rules it
// out for TLS 1.2), then "tls-server-end-point" when Leaf is set and its signature names
// one hash (RFC 5929 §4.1; an Ed25519 certificate has none, so it is not offered). Nil
// without TLS or before the handshake is complete.
func ChannelBindingTypes(b Binding) []string {
	if b.State == nil || !b.State.HandshakeComplete {
		return nil
	}
	var types []string
	if b.State.Version == tls.VersionTLS13 {
		types = append(types, cbExporter)
	}
	if b.Leaf != nil && endPointHash(b.Leaf) != nil {
		types = append(types, cbServerEndPoint)
	}
	return types
}

// channelBinding computes the binding data of type typ, which must be one that
// ChannelBindingTypes(b) lists.
func channelBinding(b Binding, typ string) (scram.ChannelBinding, error) {
	switch typ {
	case cbExporter:
		// xdg's constructor uses the RFC 9266 label and length: EXPORTER-Channel-Binding, 32.
		return scram.NewTLSExporterBinding(b.State)
	case cbServerEndPoint:
		// Not scram.NewTLSServerEndpointBinding: it hashes PeerCertificates[0], which on
		// the server is the client's certificate, not ours.
		h := endPointHash(b.Leaf)()
		h.Write(b.Leaf.Raw)
		return scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: h.Sum(nil)}, nil
	}
	return scram.ChannelBinding{}, fmt.Errorf("channel binding type %q not supported", typ)
}

// endPointHash picks the tls-server-end-point hash for cert (RFC 5929 §4.1): the hash of
// its signature algorithm, SHA-256 instead of MD5 or SHA-1, nil when there is not exactly
// one hash.
func endPointHash(cert *x509.Certificate) func() hash.Hash {
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return sha512.New384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return sha512.New
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256:
		return sha256.New
	}
	return nil
}

// hashID names one SCRAM hash function.
type hashID uint8

const (
	hashNone hashID = iota // PLAIN
	hashSHA1
	hashSHA256
	hashSHA512
)

func (h hashID) String() string {
	switch h {
	case hashSHA1:
		return "SHA-1"
	case hashSHA256:
		return "SHA-256"
	case hashSHA512:
		return "SHA-512"
	}
	return "none"
}

func (h hashID) newHash() hash.Hash {
	switch h {
	case hashSHA1:
		return sha1.New()
	case hashSHA512:
		return sha512.New()
	}
	return sha256.New()
}

func (h hashID) scram() scram.HashGeneratorFcn {
	switch h {
	case hashSHA1:
		return scram.SHA1
	case hashSHA512:
		return scram.SHA512
	}
	return scram.SHA256
}

// field returns the Secret of c that belongs to h.
func (h hashID) field(c *Credentials) *Secret {
	switch h {
	case hashSHA1:
		return &c.SHA1
	case hashSHA512:
		return &c.SHA512
	}
	return &c.SHA256
}

// mechanism is a parsed mechanism name.
type mechanism struct {
	name string
	hash hashID // hashNone for PLAIN
	plus bool   // SCRAM with channel binding
}

func parseMechanism(name string) (mechanism, bool) {
	m := mechanism{name: name}
	base, plus := strings.CutSuffix(name, "-PLUS")
	m.plus = plus
	switch base {
	case mechPlain:
		m.hash = hashNone
		return m, !plus
	case "SCRAM-SHA-1":
		m.hash = hashSHA1
	case "SCRAM-SHA-256":
		m.hash = hashSHA256
	case "SCRAM-SHA-512":
		m.hash = hashSHA512
	default:
		return mechanism{}, false
	}
	return m, true
}

// convState is where a Conversation stands.
type convState uint8

const (
	stateStart      convState = iota // nothing received yet
	stateChallenged                  // no initial response; an empty challenge went out
	stateFinal                       // SCRAM: server-first sent, waiting for client-final
	stateDone                        // succeeded or failed; no more input
)

// Conversation is one SASL exchange on one stream. It is not safe for concurrent use; the
// stream's reader goroutine owns it. Create a new one for every <auth/>.
type Conversation struct {
	mech    mechanism
	binding Binding
	lookup  Lookup

	// nonceGen makes the server's part of the SCRAM nonce; nil means xdg's default (24
	// random bytes, base64). Tests pin it to replay the RFC 5802 and RFC 7677 exchanges.
	nonceGen scram.NonceGeneratorFcn

	state  convState
	server *scram.ServerConversation // SCRAM, from client-first on

	// candidate is the prepared username from the client's message, pending the proof.
	candidate string
	// decoy is set when the account is unknown: the exchange runs on a decoy secret and
	// must fail, whatever the proof.
	decoy bool
	// lookupErr is a Lookup failure other than a missing account.
	lookupErr error

	username string // set on success
	authzID  string // set on success
}

// NewConversation starts an exchange for mech on a stream with TLS state b. mech must be
// one that Mechanisms(b) lists, else the error wraps ErrUnsupportedMechanism. For a SCRAM
// mechanism without -PLUS while ChannelBindingTypes(b) is not empty (so -PLUS variants are
// offered), a client that sets the gs2 flag 'y' ("I support channel binding but the server
// does not") has seen a stripped mechanism list: Step fails with ErrAuthFailed (RFC 5802 §6).
func NewConversation(mech string, b Binding, lookup Lookup) (*Conversation, error) {
	m, ok := parseMechanism(mech)
	if !ok || !offered(b, mech) {
		return nil, fmt.Errorf("sasl: %q: %w", mech, ErrUnsupportedMechanism)
	}
	if lookup == nil {
		return nil, errors.New("sasl: nil Lookup")
	}
	return &Conversation{mech: m, binding: b, lookup: lookup}, nil
}

func offered(b Binding, mech string) bool {
	for _, m := range Mechanisms(b) {
		if m == mech {
			return true
		}
	}
	return false
}

// Step takes the client's next message, already base64-decoded (the initial response of
// <auth/>, then each <response/>), and returns the server's next message, not yet encoded.
//
//   - out == nil, done == false, err == nil on the first call with empty in: the client sent
//     no initial response (RFC 6120 §6.4.2); send an empty <challenge/>. Only once.
//   - done == false, err == nil: send out in a <challenge/> (SCRAM server-first).
//   - done == true, err == nil: success. Send out in <success/> (SCRAM server-final
//     "v=…", which the client checks); out is nil for PLAIN (empty <success/>). Username
//     and AuthzID are then set.
//   - err != nil: failure, out is nil and done is true. errors.Is tells the condition:
//     ErrInvalidAuthzID (check it first), ErrAuthFailed, ErrMalformed; anything else is a
//     server-side failure (Lookup error, context, TLS export) for <temporary-auth-failure/>.
//     The message carries details for the log, never a password or key.
//
// Any call after the exchange ended returns an error wrapping ErrAborted. ctx bounds the
// Lookup call.
func (c *Conversation) Step(ctx context.Context, in []byte) (out []byte, done bool, err error) {
	switch c.state {
	case stateDone:
		return nil, true, fmt.Errorf("sasl: %s: step after the end of the exchange: %w", c.mech.name, ErrAborted)
	case stateStart:
		if len(in) == 0 {
			c.state = stateChallenged
			return nil, false, nil
		}
	}
	if err := ctx.Err(); err != nil {
		c.state = stateDone
		return nil, true, fmt.Errorf("sasl: %s: %w", c.mech.name, err)
	}
	switch {
	case c.mech.hash == hashNone:
		out, done, err = c.stepPlain(ctx, in)
	case c.state == stateFinal:
		out, done, err = c.scramFinal(in)
	default:
		out, done, err = c.scramFirst(ctx, in)
	}
	if err != nil {
		c.state = stateDone
		return nil, true, err
	}
	if done {
		c.state = stateDone
	}
	return out, done, nil
}

// Username returns the prepared localpart the client authenticated as, or "" before
// success.
func (c *Conversation) Username() string { return c.username }

// AuthzID returns the authorization identity the client asked for, as sent (after SCRAM
// "=2C"/"=3D" decoding), or "" if it sent none or before success. Step has checked that it
// is the authenticated localpart or a bare JID with that localpart; it has not checked the
// domainpart, which this package does not know: if AuthzID contains '@', the caller must
// check that the domain is its own.
func (c *Conversation) AuthzID() string { return c.authzID }

// isUnknownUser reports whether a Lookup error means the account does not exist.
func isUnknownUser(err error) bool {
	return errors.Is(err, ErrUnknownUser) || errors.Is(err, fs.ErrNotExist)
}

// normalizeUsername prepares a username with PRECIS UsernameCaseMapped (RFC 8265 §3.3) and
// checks that it can be a JID localpart (RFC 7622 §3.3). XMPP's SASL "simple user name"
// is the localpart (RFC 6120 §6.3.8).
func normalizeUsername(raw string) (string, bool) {
	name, err := precis.UsernameCaseMapped.String(raw)
	if err != nil || name == "" || len(name) > 1023 || strings.ContainsAny(name, "\"&'/:<>@") {
		return "", false
	}
	return name, true
}

// checkAuthzID allows an empty authzid, the authenticated localpart itself, or a bare JID
// with that localpart (case-mapped like the username); the caller checks the domain.
func checkAuthzID(mech, authzid, username string) error {
	if authzid == "" {
		return nil
	}
	local, domain, isJID := strings.Cut(authzid, "@")
	name, ok := normalizeUsername(local)
	if !ok || name != username || strings.Contains(authzid, "/") ||
		(isJID && (domain == "" || strings.Contains(domain, "@"))) {
		return fmt.Errorf("sasl: %s: authzid %q for user %q: %w: %w", mech, authzid, username, ErrInvalidAuthzID, ErrAuthFailed)
	}
	return nil
}

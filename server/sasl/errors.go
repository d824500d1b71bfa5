package sasl

import "errors"

var (
	// ErrUnknownUser is what a Lookup returns (wrapped) for an account that does not exist;
	// an error wrapping fs.ErrNotExist means the same. A Conversation never returns it: the
	// client must not learn which accounts exist, so it gets ErrAuthFailed instead.
	ErrUnknownUser = errors.New("sasl: unknown user")

	// ErrAuthFailed means the client did not prove who it claims to be: wrong password,
	// unknown user, channel binding mismatch, downgrade or unsupported binding type. It maps
	// to <not-authorized/> (RFC 6120 §6.5.10).
	ErrAuthFailed = errors.New("sasl: authentication failed")

	// ErrInvalidAuthzID means the client proved its identity but asked to act as someone
	// else (RFC 6120 §6.5.6 <invalid-authzid/>). Errors wrapping it wrap ErrAuthFailed too,
	// so a caller that checks only ErrAuthFailed still answers <not-authorized/>.
	ErrInvalidAuthzID = errors.New("sasl: authorization identity not allowed")

	// ErrUnsupportedBinding means a -PLUS exchange named a channel binding type this stream
	// does not offer, such as tls-unique on TLS 1.3, where RFC 9266 leaves it undefined.
	// Errors wrapping it wrap ErrAuthFailed too; no password was checked.
	ErrUnsupportedBinding = errors.New("sasl: channel binding type not offered")

	// ErrMalformed means a client message could not be parsed or broke the mechanism's
	// rules. It maps to <malformed-request/> (RFC 6120 §6.5.8).
	ErrMalformed = errors.New("sasl: malformed request")

	// ErrUnsupportedMechanism means NewConversation was asked for a mechanism that
	// Mechanisms does not offer for that Binding. It maps to <invalid-mechanism/>.
	ErrUnsupportedMechanism = errors.New("sasl: unsupported mechanism")

	// ErrAborted means the exchange is over: Step was called after it succeeded or failed.
	// The stream layer also uses it for a client's <abort/> (RFC 6120 §6.4.4, <aborted/>).
	ErrAborted = errors.New("sasl: exchange aborted")
)

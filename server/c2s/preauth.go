package c2s

import (
	"context"

	"xmppbox/server/stanza"
)

// PreAuth serves what a client may ask on its TLS-protected stream before it
// authenticates, besides SASL: in-band registration (XEP-0077 §3.1.1) is the one use. c2s
// knows nothing of what the elements mean; it only offers the features and passes the
// elements on.
type PreAuth interface {
	// Open is called when a stream reaches the SASL stage and returns the handler for
	// that stream, which c2s drops once the client has authenticated. remoteIP is the
	// client's address, for per-address limits.
	Open(remoteIP string) PreAuthStream
}

// PreAuthStream serves one unauthenticated stream. Its methods are called from the
// connection's reader goroutine only, one at a time, so it needs no locking for its own
// per-stream state.
type PreAuthStream interface {
	// Features returns elements offered next to the SASL mechanisms in the stream
	// features; c2s does not change them.
	Features() []*stanza.Element
	// Handle is given each top-level element other than SASL's <auth/> and <abort/>.
	// handled false means it is not the handler's: the stream ends with <not-authorized/>,
	// as without a PreAuth. Otherwise reply, when not nil, is written to the client
	// before the next element is read.
	Handle(ctx context.Context, el *stanza.Element) (reply *stanza.Element, handled bool)
}

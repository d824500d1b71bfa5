package router

import (
	"context"
	"fmt"
	"slices"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// Target says which addressee an IQ handler answers for.
type Target int

const (
	// ToServer: IQs addressed to the domain itself.
	ToServer Target = iota
	// ToSelf: IQs a client sends to its own account (no 'to', or its bare JID), such as roster.
	ToSelf
	// ToAccount: IQs anyone sends to an account's bare JID, answered by the server on the
	// account's behalf (RFC 6120 §10.5.3.1), such as disco#info or PEP.
	ToAccount
)

// IQ is a request handed to an IQHandler.
type IQ struct {
	Stanza  *stanza.Element
	Payload *stanza.Element
	From    jid.JID // full JID of the sender
	To      jid.JID // the addressee: the domain, or an account's bare JID
	// Session is the sender's resource when it is a client of this server, else nil.
	Session *session.Resource
}

// IQHandler answers a get or set. It returns the result payload (nil for an empty result)
// or an error: a stanza.Error goes back as is, anything else as internal-server-error.
type IQHandler func(ctx context.Context, iq IQ) (*stanza.Element, error)

// Presence is a presence stanza in flight.
type Presence struct {
	Stanza *stanza.Element
	From   jid.JID // full JID for a client's presence, bare for subscription stanzas
	To     jid.JID // empty for broadcast presence
	// Session is the sending resource for outbound presence from a local client, else nil.
	Session *session.Resource
}

// PresenceHandler handles presence stanzas.
type PresenceHandler func(ctx context.Context, p Presence)

// SessionHook is called when a resource becomes available for the first time
// (initial presence) or when it goes away.
type SessionHook func(ctx context.Context, res *session.Resource)

// OfflineStore keeps a message for an account with no resource to deliver it to. It
// returns a stanza.Error when the message cannot be stored.
type OfflineStore func(ctx context.Context, to jid.JID, msg *stanza.Element) error

type iqKey struct {
	typ    string
	ns     string
	target Target
}

// RegisterIQ adds a handler for IQs of type typ ("get" or "set") whose payload is in
// namespace ns. Registering the same pattern twice panics: a wiring mistake is found at start-up.
func (r *Router) RegisterIQ(typ, ns string, target Target, h IQHandler) {
	k := iqKey{typ, ns, target}
	if _, dup := r.iq[k]; dup {
		panic(fmt.Sprintf("router: IQ handler for %s %s target %d registered twice", typ, ns, target))
	}
	r.iq[k] = h
}

// RegisterFeature advertises a feature namespace in the server's disco#info.
func (r *Router) RegisterFeature(ns string) {
	if !slices.Contains(r.features, ns) {
		r.features = append(r.features, ns)
	}
}

// RegisterAccountFeature advertises a feature in an account's disco#info.
func (r *Router) RegisterAccountFeature(ns string) {
	if !slices.Contains(r.accountFeatures, ns) {
		r.accountFeatures = append(r.accountFeatures, ns)
	}
}

// Identity is a XEP-0030 identity: category/type with an optional human-readable name.
type Identity struct{ Category, Type, Name string }

// RegisterAccountIdentity adds an identity to an account's disco#info, besides
// account/registered (such as pubsub/pep, XEP-0163 §9.1).
func (r *Router) RegisterAccountIdentity(id Identity) {
	if !slices.Contains(r.accountIdentities, id) {
		r.accountIdentities = append(r.accountIdentities, id)
	}
}

// RegisterStreamFeature adds an element to the stream features offered after
// authentication (such as roster versioning).
func (r *Router) RegisterStreamFeature(el *stanza.Element) {
	r.streamFeatures = append(r.streamFeatures, el)
}

// HandlePresence sets the handlers for outbound presence (from a local client) and
// inbound presence (to a local account). One module owns presence; a second call panics.
func (r *Router) HandlePresence(outbound, inbound PresenceHandler) {
	if r.outPresence != nil {
		panic("router: presence handlers registered twice")
	}
	r.outPresence, r.inPresence = outbound, inbound
}

// OnAvailable adds a hook run after a resource's initial presence.
func (r *Router) OnAvailable(h SessionHook) { r.onAvailable = append(r.onAvailable, h) }

// OnSessionEnd adds a hook run after a resource is unbound.
func (r *Router) OnSessionEnd(h SessionHook) { r.onEnd = append(r.onEnd, h) }

// HandleOffline sets where messages for accounts without resources go.
func (r *Router) HandleOffline(h OfflineStore) {
	if r.offline != nil {
		panic("router: offline store registered twice")
	}
	r.offline = h
}

// Features returns the server's disco#info features, in registration order.
func (r *Router) Features() []string { return slices.Clone(r.features) }

// AccountFeatures returns the features of an account's disco#info.
func (r *Router) AccountFeatures() []string { return slices.Clone(r.accountFeatures) }

// AccountIdentities returns the identities modules added to an account's disco#info.
func (r *Router) AccountIdentities() []Identity { return slices.Clone(r.accountIdentities) }

// StreamFeatures returns the post-authentication stream features modules registered.
func (r *Router) StreamFeatures() []*stanza.Element { return r.streamFeatures }

// Available runs the OnAvailable hooks for res; the presence module calls it on initial presence.
func (r *Router) Available(ctx context.Context, res *session.Resource) {
	for _, h := range r.onAvailable {
		h(ctx, res)
	}
}

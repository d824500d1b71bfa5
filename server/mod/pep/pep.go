package pep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// Namespaces of XEP-0060, XEP-0115 and the forms they use.
const (
	NS               = "http://jabber.org/protocol/pubsub"
	NSOwner          = NS + "#owner"
	NSEvent          = NS + "#event"
	NSErrors         = NS + "#errors"
	NSPublishOptions = NS + "#publish-options"
	NSNodeConfig     = NS + "#node_config"
	NSCaps           = "http://jabber.org/protocol/caps"
	NSData           = "jabber:x:data"
	nsDiscoInfo      = "http://jabber.org/protocol/disco#info"
	nsDelay          = "urn:xmpp:delay"
)

// features are the XEP-0060 features this service has (XEP-0060 §10, registry §14.2),
// advertised in every account's disco#info.
var features = []string{
	NS + "#access-open",
	NS + "#access-presence",
	NS + "#access-roster",
	NS + "#access-whitelist",
	NS + "#auto-create",
	NS + "#auto-subscribe",
	NS + "#config-node",
	NS + "#config-node-max",
	NS + "#create-and-configure",
	NS + "#create-nodes",
	NS + "#delete-items",
	NS + "#delete-nodes",
	NS + "#filtered-notifications",
	NS + "#item-ids",
	NS + "#last-published",
	NS + "#multi-items",
	NS + "#persistent-items",
	NS + "#presence-notifications",
	NS + "#publish",
	NS + "#publish-options",
	NS + "#purge-nodes",
	NS + "#retract-items",
	NS + "#retrieve-default",
	NS + "#retrieve-items",
}

// Defaults of Options.
const (
	DefaultMaxItems      = 256 // what pubsub#max_items "max" means, as in Prosody
	DefaultMaxNodes      = 1000
	DefaultCapsCacheSize = 4096
	DefaultDiscoTimeout  = 30 * time.Second
)

// Rosters is what the module reads of rosters: who shares presence with an account.
// roster.Store satisfies it.
type Rosters interface {
	Item(ctx context.Context, owner, contact string) (roster.Item, error)
}

// Options bound what one account can store and how caps are resolved. Zero values take
// the defaults above.
type Options struct {
	MaxItems      int           // items kept per node at most; "max" in a form means this
	MaxNodes      int           // nodes per account
	CapsCacheSize int           // verified XEP-0115 answers kept, shared by all accounts
	DiscoTimeout  time.Duration // how long a disco#info query for caps may take
	// Private, when set, is the XEP-0049 storage that XEP-0402 bookmarks are mirrored
	// with (urn:xmpp:bookmarks:1#compat, bookmarks.go).
	Private Private
}

// Module is the PEP service of every account.
type Module struct {
	store   Store
	router  *router.Router
	rosters Rosters
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	caps    *tracker

	// locks serialise the writes to one account's nodes (lock striping by owner), so that
	// the check of a node's configuration and the write that depends on it (auto-create,
	// publish-options preconditions, configure) are one step without a compare-and-set in
	// the store.
	locks [64]sync.Mutex
	seed  maphash.Seed
}

// New returns the PEP module.
func New(store Store, r *router.Router, rosters Rosters, opts Options, log *slog.Logger) *Module {
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	if opts.MaxNodes <= 0 {
		opts.MaxNodes = DefaultMaxNodes
	}
	if opts.CapsCacheSize <= 0 {
		opts.CapsCacheSize = DefaultCapsCacheSize
	}
	if opts.DiscoTimeout <= 0 {
		opts.DiscoTimeout = DefaultDiscoTimeout
	}
	return &Module{
		store: store, router: r, rosters: rosters, log: log, opts: opts,
		now: time.Now, caps: newTracker(opts.CapsCacheSize), seed: maphash.MakeSeed(),
	}
}

// Register wires the pubsub IQs (to the account itself and to others: a contact reads
// items, only the owner changes anything), the pubsub/pep identity and features, and the
// presence observers that drive notifications.
func (m *Module) Register(r *router.Router) {
	r.RegisterIQ("get", NS, router.ToAccount, m.get)
	r.RegisterIQ("set", NS, router.ToAccount, m.set)
	// Owner use cases are ToSelf only: the router answers anyone else with forbidden.
	r.RegisterIQ("get", NSOwner, router.ToSelf, m.ownerGet)
	r.RegisterIQ("set", NSOwner, router.ToSelf, m.ownerSet)
	r.RegisterAccountIdentity(router.Identity{Category: "pubsub", Type: "pep"})
	for _, f := range features {
		r.RegisterAccountFeature(f)
	}
	if m.opts.Private != nil {
		m.opts.Private.OnChange(m.privateChanged)
		r.RegisterAccountFeature(FeatureBookmarksCompat)
	}
	r.OnOutbound(m.outbound)
	r.OnInbound(m.inbound)
	r.OnAvailable(m.available)
	r.OnSessionEnd(m.sessionEnd)
}

// get serves <pubsub/> gets: items retrieval.
func (m *Module) get(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	op := iq.Payload.FirstChild()
	if op == nil || op.Name.Space != NS {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	switch op.Name.Local {
	case "items":
		return m.items(ctx, iq, op)
	case "subscriptions":
		return nil, unsupported("retrieve-subscriptions")
	case "affiliations":
		return nil, unsupported("retrieve-affiliations")
	case "options":
		return nil, unsupported("subscription-options")
	case "default":
		return nil, unsupported("retrieve-default-sub")
	}
	return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
}

// set serves <pubsub/> sets: publish, retract, create. Subscriptions are implicit in PEP
// (presence subscription plus +notify), so explicit ones are not offered.
func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	op := iq.Payload.FirstChild()
	if op == nil || op.Name.Space != NS {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	switch op.Name.Local {
	case "publish":
		return m.publish(ctx, iq, op)
	case "retract":
		return m.retract(ctx, iq, op)
	case "create":
		return m.create(ctx, iq, op)
	case "subscribe", "unsubscribe":
		return nil, unsupported("subscribe")
	case "options":
		return nil, unsupported("subscription-options")
	}
	return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
}

// lock takes the write lock of owner's service and returns its unlock.
func (m *Module) lock(owner string) func() {
	mu := &m.locks[maphash.String(m.seed, owner)%uint64(len(m.locks))]
	mu.Lock()
	return mu.Unlock
}

// randomID returns a fresh identifier for items and notifications.
func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

package mam

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// Namespaces this module speaks.
const (
	NS         = "urn:xmpp:mam:2"          // XEP-0313
	NSExtended = "urn:xmpp:mam:2#extended" // XEP-0313 §7: before-id, after-id, ids, flip-page, metadata
	NSStanzaID = "urn:xmpp:sid:0"          // XEP-0359
	NSRSM      = "http://jabber.org/protocol/rsm"
	NSForward  = "urn:xmpp:forward:0" // XEP-0297
	NSDelay    = "urn:xmpp:delay"     // XEP-0203
	NSData     = "jabber:x:data"      // XEP-0004
	NSHints    = "urn:xmpp:hints"     // XEP-0334

	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsValidate   = "http://jabber.org/protocol/xdata-validate"
)

// DefaultRetention is how long records are kept unless configured otherwise.
const DefaultRetention = 365 * 24 * time.Hour

// Page sizes (XEP-0313 §4.3.1: a server may limit how many results it sends at once).
const (
	DefaultPage = 50
	MaxPage     = 250
)

// retentionInterval is how often Run deletes expired records. Records are at most this
// much older than the retention period when they go.
const retentionInterval = time.Hour

// Config is what the module needs.
type Config struct {
	// Archive stores the messages. Nil turns archiving off: the module registers nothing.
	Archive Archive
	// Rosters answers the 'roster' archiving default (XEP-0441 §2.1.1).
	Rosters roster.Store
	// Retention is how long records are kept; 0 means DefaultRetention.
	Retention time.Duration
	Logger    *slog.Logger
}

// Module archives messages and answers archive queries.
type Module struct {
	archive   Archive
	rosters   roster.Store
	retention atomic.Int64 // time.Duration; see SetRetention
	log       *slog.Logger
	now       func() time.Time
	router    *router.Router // set by Register
}

// New returns the module.
func New(cfg Config) *Module {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	m := &Module{
		archive: cfg.Archive,
		rosters: cfg.Rosters,
		log:     cfg.Logger,
		now:     time.Now,
	}
	m.retention.Store(int64(cfg.Retention))
	return m
}

// Register wires the archive IQs, the message hooks and the account features. With no
// Archive it does nothing, so nothing is advertised that does not work.
func (m *Module) Register(r *router.Router) {
	if m.archive == nil {
		return
	}
	m.router = r
	// The query form, metadata and preferences share the namespace: one handler per type
	// picks by the payload's name.
	r.RegisterIQ("get", NS, router.ToSelf, m.get)
	r.RegisterIQ("set", NS, router.ToSelf, m.set)
	r.OnOutbound(m.outbound)
	r.OnInbound(m.inbound)
	// XEP-0313 §7: features of the archive's JID, the account.
	r.RegisterAccountFeature(NS)
	r.RegisterAccountFeature(NSExtended)
	r.RegisterAccountFeature(NSStanzaID)
}

func (m *Module) get(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	switch iq.Payload.Name.Local {
	case "query":
		return QueryForm(), nil
	case "metadata":
		return m.metadata(ctx, iq)
	case "prefs":
		return m.getPrefs(ctx, iq)
	}
	return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented}
}

func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	switch iq.Payload.Name.Local {
	case "query":
		return m.query(ctx, iq)
	case "prefs":
		return m.setPrefs(ctx, iq)
	}
	return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented}
}

// Run deletes expired records now and then every retentionInterval until ctx is done.
// The server starts it with the listeners and waits for it.
func (m *Module) Run(ctx context.Context) {
	if m.archive == nil {
		return
	}
	tick := time.NewTicker(retentionInterval)
	defer tick.Stop()
	for {
		m.expire(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// expire deletes the records older than the retention period.
func (m *Module) expire(ctx context.Context) {
	start := m.now()
	n, err := m.archive.DeleteBefore(ctx, start.Add(-m.Retention()))
	switch {
	case err != nil && ctx.Err() == nil:
		m.log.Error("archive retention failed", "deleted", n, "err", err)
	case n > 0:
		m.log.Info("expired archived messages", "deleted", n, "dur", time.Since(start))
	}
}

// Retention returns how long records are kept.
func (m *Module) Retention() time.Duration { return time.Duration(m.retention.Load()) }

// SetRetention changes how long records are kept, from the next hourly purge on; d <= 0
// means DefaultRetention. The operator changes it live from the web page.
func (m *Module) SetRetention(d time.Duration) {
	if d <= 0 {
		d = DefaultRetention
	}
	m.retention.Store(int64(d))
}

package router

import (
	"context"
	"errors"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// Users tells whether an account exists; the router asks only when no resource is online.
type Users interface {
	UserExists(ctx context.Context, bare string) (bool, error)
}

// Router routes stanzas for one domain.
type Router struct {
	domain   string
	domainID jid.JID
	sessions *session.Registry
	users    Users
	log      *slog.Logger

	// Set during registration, read-only afterwards.
	iq              map[iqKey]IQHandler
	features        []string
	accountFeatures []string
	streamFeatures  []*stanza.Element
	outPresence     PresenceHandler
	inPresence      PresenceHandler
	onAvailable     []SessionHook
	onEnd           []SessionHook
	offline         OfflineStore
	outHooks        []OutboundHook
	inHooks         []InboundHook
	delivered       []DeliveredHook

	accountIdentities []Identity // set during registration, read-only afterwards

	pending pendingIQs

	services    map[string]ServiceHandler // by domain; set during registration
	serviceList []Service
	remotes     []RemoteHandler    // set during registration; see RegisterRemote
	directories []func() []Service // set during registration; see RegisterServiceDirectory
}

// New returns a router for domain with no modules registered.
func New(domain jid.JID, sessions *session.Registry, users Users, log *slog.Logger) *Router {
	return &Router{
		domain:   domain.String(),
		domainID: domain,
		sessions: sessions,
		users:    users,
		log:      log,
		iq:       make(map[iqKey]IQHandler),
	}
}

// Domain returns the served domain.
func (r *Router) Domain() jid.JID { return r.domainID }

// Sessions returns the registry of online resources.
func (r *Router) Sessions() *session.Registry { return r.sessions }

// IsLocal reports whether j is the served domain or an address in it.
func (r *Router) IsLocal(j jid.JID) bool { return j.Domainpart() == r.domain }

// Bind registers a freshly bound resource and returns the one it replaced, if any.
func (r *Router) Bind(res *session.Resource) (replaced *session.Resource) {
	return r.sessions.Add(res)
}

// Unbind removes a resource whose stream ended and runs the session-end hooks (which
// broadcast unavailable presence). It does nothing for a resource already replaced.
func (r *Router) Unbind(ctx context.Context, res *session.Resource) {
	if !r.sessions.Remove(res) {
		// Replaced by a newer session on the same full JID (RFC 6120 §7.7.2.2): that
		// session is the one contacts see, so the old one leaves without a word.
		return
	}
	for _, h := range r.onEnd {
		h(ctx, res)
	}
}

// Outbound handles a stanza from a bound local client. The c2s layer has checked the
// stanza kind and stamped 'from' with res's full JID.
func (r *Router) Outbound(ctx context.Context, res *session.Resource, st *stanza.Element) {
	to, ok := r.parseTo(ctx, st)
	if !ok {
		return
	}
	from := res.JID()
	if !r.runOutbound(ctx, res, st, to) {
		return
	}
	switch st.Name.Local {
	case "presence":
		r.outPresence(ctx, Presence{Stanza: st, From: from, To: to, Session: res})
	case "iq":
		if to.Domainpart() == "" {
			// RFC 6120 §10.3.3: no 'to' means the account itself.
			to = from.Bare()
		}
		r.deliverIQ(ctx, st, from, to, res)
	default:
		if to.Domainpart() == "" {
			to = from.Bare()
		}
		r.deliverMessage(ctx, st, to)
	}
}

// Route delivers a stanza created or relayed by the server to its 'to' address. Its
// 'from' must already be set.
func (r *Router) Route(ctx context.Context, st *stanza.Element) {
	to, ok := r.parseTo(ctx, st)
	if !ok || to.Domainpart() == "" {
		return
	}
	switch st.Name.Local {
	case "presence":
		from, err := jid.Parse(st.Get("from"))
		if err != nil {
			r.log.Warn("route presence with bad from", "err", err)
			return
		}
		r.routePresence(ctx, Presence{Stanza: st, From: from, To: to})
	case "iq":
		from, err := jid.Parse(st.Get("from"))
		if err != nil {
			r.log.Warn("route iq with bad from", "err", err)
			return
		}
		r.deliverIQ(ctx, st, from, to, nil)
	default:
		r.deliverMessage(ctx, st, to)
	}
}

// RoutePresence delivers a presence stanza whose addresses the caller already parsed.
func (r *Router) RoutePresence(ctx context.Context, p Presence) {
	r.routePresence(ctx, p)
}

func (r *Router) routePresence(ctx context.Context, p Presence) {
	if !r.IsLocal(p.To) {
		r.remote(ctx, p.Stanza, p.To)
		return
	}
	if p.To.Localpart() == "" {
		// Presence to the server itself carries nothing the server acts on yet.
		return
	}
	if !r.runInbound(ctx, p.Stanza, p.To) {
		return
	}
	r.inPresence(ctx, p)
}

func (r *Router) parseTo(ctx context.Context, st *stanza.Element) (jid.JID, bool) {
	raw := st.Get("to")
	if raw == "" {
		return jid.JID{}, true
	}
	to, err := jid.Parse(raw)
	if err != nil {
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed})
		return jid.JID{}, false
	}
	return to, true
}

// Bounce answers st with an error, unless st is itself an error (RFC 6120 §8.3.1: never
// answer an error with an error). The reply goes back to st's sender.
func (r *Router) Bounce(ctx context.Context, st *stanza.Element, e stanza.Error) {
	if st.Get("type") == "error" || st.Get("from") == "" {
		return
	}
	reply := stanza.ErrorReply(st, e)
	if reply.Get("from") == "" {
		reply.Set("from", r.domain)
	}
	r.Route(ctx, reply)
}

// remote handles stanzas for other domains: a service of this server takes its own, then
// the remote handlers in registration order (components, federation); when none takes it,
// the sender learns the remote server cannot be reached.
func (r *Router) remote(ctx context.Context, st *stanza.Element, to jid.JID) {
	if r.toService(ctx, st, to) {
		return
	}
	for _, h := range r.remotes {
		if h(ctx, st, to) {
			return
		}
	}
	r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.RemoteServerNotFound})
}

// userExists answers for an account with no online resource.
func (r *Router) userExists(ctx context.Context, bare jid.JID) bool {
	if len(r.sessions.Resources(bare.String())) > 0 {
		return true
	}
	ok, err := r.users.UserExists(ctx, bare.String())
	if err != nil {
		r.log.Error("account lookup failed", "jid", bare.String(), "err", err)
		return false
	}
	return ok
}

// UserExists reports whether bare is a local account.
func (r *Router) UserExists(ctx context.Context, bare jid.JID) bool {
	return r.IsLocal(bare) && bare.Localpart() != "" && r.userExists(ctx, bare)
}

// send queues st for a resource, storing messages offline when the client cannot keep up.
func (r *Router) send(ctx context.Context, res *session.Resource, st *stanza.Element) {
	err := res.Send(st)
	if err == nil {
		return
	}
	if st.Name.Local == "message" && errors.Is(err, session.ErrQueueFull) && r.offline != nil {
		if err := r.offline(ctx, res.JID().Bare(), st); err != nil {
			r.log.Warn("message lost for slow client", "jid", res.Full(), "err", err)
		}
		return
	}
	if r.log.Enabled(ctx, slog.LevelDebug) {
		r.log.LogAttrs(ctx, slog.LevelDebug, "stanza not queued", slog.String("jid", res.Full()), slog.Any("err", err))
	}
}

package router

import (
	"context"
	"fmt"
	"slices"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// ServiceHandler handles every stanza addressed to a service domain of this server (such
// as conference.example.org), whatever its localpart or resource. 'from' is set and
// parsed; the handler answers through Route and Bounce.
type ServiceHandler func(ctx context.Context, st *stanza.Element, from, to jid.JID)

// Service is a registered service domain, for disco#items.
type Service struct {
	Domain string
	Name   string
}

// RegisterService routes stanzas for domain to h. Registering a domain twice panics.
func (r *Router) RegisterService(domain, name string, h ServiceHandler) {
	if r.services == nil {
		r.services = make(map[string]ServiceHandler)
	}
	if _, dup := r.services[domain]; dup {
		panic(fmt.Sprintf("router: service %s registered twice", domain))
	}
	r.services[domain] = h
	r.serviceList = append(r.serviceList, Service{Domain: domain, Name: name})
}

// Services lists the registered service domains in registration order, then those of the
// service directories.
func (r *Router) Services() []Service {
	out := slices.Clone(r.serviceList)
	for _, d := range r.directories {
		out = append(out, d()...)
	}
	return out
}

// RemoteHandler takes a stanza for a domain that is neither this server's nor one of its
// registered services, and reports whether it took it. A handler that takes a stanza
// answers for it: delivers it, or bounces it to its sender.
type RemoteHandler func(ctx context.Context, st *stanza.Element, to jid.JID) bool

// RegisterRemote adds h to the handlers of other domains, after those registered before:
// external components (XEP-0114) before federation (RFC 6120 server-to-server).
func (r *Router) RegisterRemote(h RemoteHandler) { r.remotes = append(r.remotes, h) }

// RegisterServiceDirectory adds services that come and go while the server runs (such as
// connected components) to what Services lists, for disco#items. d is called each time
// and must be safe for concurrent use.
func (r *Router) RegisterServiceDirectory(d func() []Service) {
	r.directories = append(r.directories, d)
}

// toService hands st to the service that owns to's domain and reports whether there was one.
func (r *Router) toService(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	h := r.services[to.Domainpart()]
	if h == nil {
		return false
	}
	from, err := jid.Parse(st.Get("from"))
	if err != nil {
		r.log.Warn("stanza for a service without a valid from", "to", to.String(), "err", err)
		return true
	}
	h(ctx, st, from, to)
	return true
}

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

// Services lists the registered service domains in registration order.
func (r *Router) Services() []Service { return slices.Clone(r.serviceList) }

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

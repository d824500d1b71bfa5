package s2s

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
)

// Resolver is the part of *net.Resolver the links use.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// target is one address to try, and whether TLS starts at once (XEP-0368) or after
// STARTTLS.
type target struct {
	addr      string
	directTLS bool
}

// defaultPort is the s2s port when DNS has no SRV record (RFC 6120 §3.2.2).
const defaultPort = 5269

// targets lists where to connect for domain, in order (RFC 6120 §3.2, XEP-0368): a
// configured address alone; else the SRV records of _xmpps-server (direct TLS) and
// _xmpp-server merged by priority, direct TLS first at equal priority; else the domain
// itself on port 5269. A "." target means the domain offers no service.
func targets(ctx context.Context, r Resolver, domain string, p Peer, pinned bool) ([]target, error) {
	if pinned && p.Addr != "" {
		return []target{{addr: p.Addr}}, nil
	}
	type rec struct {
		srv    *net.SRV
		direct bool
	}
	var recs []rec
	for _, svc := range []struct {
		name   string
		direct bool
	}{{"xmpps-server", true}, {"xmpp-server", false}} {
		_, srvs, err := r.LookupSRV(ctx, svc.name, "tcp", domain)
		var dnsErr *net.DNSError
		if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
			// A lookup that failed for another reason than "no such record" may work on
			// the next attempt; the other service may still answer.
			continue
		}
		for _, s := range srvs {
			recs = append(recs, rec{s, svc.direct})
		}
	}
	if len(recs) == 0 {
		return []target{{addr: net.JoinHostPort(domain, strconv.Itoa(defaultPort))}}, nil
	}
	slices.SortStableFunc(recs, func(a, b rec) int {
		if a.srv.Priority != b.srv.Priority {
			return int(a.srv.Priority) - int(b.srv.Priority)
		}
		switch {
		case a.direct && !b.direct:
			return -1
		case !a.direct && b.direct:
			return 1
		}
		return int(b.srv.Weight) - int(a.srv.Weight)
	})
	var out []target
	for _, r := range recs {
		if r.srv.Target == "." {
			if len(recs) == 1 {
				return nil, errNoService
			}
			continue
		}
		out = append(out, target{addr: net.JoinHostPort(r.srv.Target, strconv.Itoa(int(r.srv.Port))), directTLS: r.direct})
	}
	return out, nil
}

var errNoService = errors.New("the domain says it offers no XMPP server service")

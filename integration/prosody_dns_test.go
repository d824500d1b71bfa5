package integration

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// peerResolver is a DNS server on 127.0.0.1 that tells Prosody where its peers' s2s
// listeners are (prosodyOpts.Peers). Prosody's resolver, libunbound, forwards every query to
// it. For a peer domain D it answers
//
//	_xmpp-server._tcp.D. SRV 0 0 PORT D.
//	D.                   A   127.0.0.1   (AAAA for an IPv6 peer)
//
// and NODATA for any other name at or below D, so Prosody takes the SRV target and port
// (RFC 6120 §3.2.1) and skips direct TLS (_xmpps-server, XEP-0368). Every other name is
// NXDOMAIN: a test never reaches out to real DNS.
type peerResolver struct {
	t     *testing.T
	conn  net.PacketConn
	peers map[string]netip.AddrPort // "d." lower-case -> where its s2s listens
	done  chan struct{}             // closed when serve returned
}

// startPeerResolver starts the server for peers (domain -> "127.0.0.1:port") and returns
// its UDP address. It stops when the test ends.
func startPeerResolver(t *testing.T, peers map[string]string) string {
	t.Helper()
	r := &peerResolver{t: t, peers: map[string]netip.AddrPort{}, done: make(chan struct{})}
	for domain, addr := range peers {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			t.Fatalf("prosodyOpts.Peers[%q] = %q: want IP:port: %v", domain, addr, err)
		}
		d := strings.ToLower(strings.TrimSuffix(domain, ".")) + "."
		// libunbound answers these special-use names itself (RFC 6761, RFC 7686) and never
		// forwards them; prosodyConfigTemplate opens test. only.
		for _, zone := range []string{"localhost.", "invalid.", "onion.", "home.arpa."} {
			if d == zone || strings.HasSuffix(d, "."+zone) {
				t.Fatalf("prosodyOpts.Peers[%q]: Prosody's resolver never asks DNS for %s names; use a .test domain", domain, zone)
			}
		}
		r.peers[d] = ap
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.conn = conn
	go r.serve()
	t.Cleanup(func() {
		conn.Close()
		<-r.done
	})
	return conn.LocalAddr().String()
}

func (r *peerResolver) serve() {
	defer close(r.done)
	buf := make([]byte, 4096)
	for {
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			return // closed at the end of the test
		}
		reply, summary, err := r.answer(buf[:n])
		if err != nil {
			r.t.Logf("peer DNS: dropped a query from %s: %v", from, err)
			continue
		}
		r.t.Logf("peer DNS: %s", summary)
		r.conn.WriteTo(reply, from)
	}
}

// answer builds the reply to one query and a line for the test log.
func (r *peerResolver) answer(query []byte) (reply []byte, summary string, err error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, "", err
	}
	q, err := p.Question()
	if err != nil {
		return nil, "", err
	}
	name := strings.ToLower(q.Name.String())
	rh := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		Authoritative:      true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
	}
	domain, ap, known := r.zone(name)
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, "", err
	}
	if err := b.Question(q); err != nil {
		return nil, "", err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, "", err
	}
	summary = strings.TrimPrefix(q.Type.String(), "Type") + " " + name + " -> "
	rrh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch {
	case !known:
		summary += "NXDOMAIN"
	case q.Type == dnsmessage.TypeSRV && name == "_xmpp-server._tcp."+domain:
		target, err := dnsmessage.NewName(domain)
		if err != nil {
			return nil, "", err
		}
		err = b.SRVResource(rrh, dnsmessage.SRVResource{Port: ap.Port(), Target: target})
		if err != nil {
			return nil, "", err
		}
		summary += fmt.Sprintf("SRV 0 0 %d %s", ap.Port(), domain)
	case q.Type == dnsmessage.TypeA && name == domain && ap.Addr().Is4():
		if err := b.AResource(rrh, dnsmessage.AResource{A: ap.Addr().As4()}); err != nil {
			return nil, "", err
		}
		summary += "A " + ap.Addr().String()
	case q.Type == dnsmessage.TypeAAAA && name == domain && ap.Addr().Is6():
		if err := b.AAAAResource(rrh, dnsmessage.AAAAResource{AAAA: ap.Addr().As16()}); err != nil {
			return nil, "", err
		}
		summary += "AAAA " + ap.Addr().String()
	default:
		summary += "NODATA"
	}
	reply, err = b.Finish()
	return reply, summary, err
}

// zone returns the longest peer domain that name is at or below (rooms.example.test before
// example.test), and that peer's address.
func (r *peerResolver) zone(name string) (domain string, ap netip.AddrPort, ok bool) {
	for d, a := range r.peers {
		if (name == d || strings.HasSuffix(name, "."+d)) && len(d) > len(domain) {
			domain, ap, ok = d, a, true
		}
	}
	return domain, ap, ok
}

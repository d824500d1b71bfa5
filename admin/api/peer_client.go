package api

import (
	"context"
	"net/http"
	"net/url"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
	"xmppbox/server/s2s"
)

// AddPeer configures a federation peer; see admin.Service.AddPeer.
func (c *Client) AddPeer(ctx context.Context, p s2s.PeerConfig) (s2s.PeerConfig, error) {
	var out apitype.Peer
	err := c.do(ctx, http.MethodPost, "/peers",
		apitype.AddPeerRequest{Domain: p.Domain, Addr: p.Addr, CAPEM: p.CAPEM, Policy: string(p.Policy)}, &out)
	if err != nil {
		return s2s.PeerConfig{}, err
	}
	return peerIn(out).PeerConfig, nil
}

// ListPeers lists the federation peers and their links; see admin.Service.ListPeers.
func (c *Client) ListPeers(ctx context.Context) ([]admin.PeerStatus, error) {
	var l apitype.PeerList
	if err := c.do(ctx, http.MethodGet, "/peers", nil, &l); err != nil {
		return nil, err
	}
	out := make([]admin.PeerStatus, 0, len(l.Peers))
	for _, p := range l.Peers {
		out = append(out, peerIn(p))
	}
	return out, nil
}

// DeletePeer removes a federation peer; see admin.Service.DeletePeer. An unknown peer is
// an *Error matching fs.ErrNotExist.
func (c *Client) DeletePeer(ctx context.Context, domain string) error {
	return c.do(ctx, http.MethodDelete, "/peers/"+url.PathEscape(domain), nil, nil)
}

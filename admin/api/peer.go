package api

import (
	"net/http"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
	"xmppbox/server/s2s"
)

// PeerJSON is p as the API and `peer list --json` show it; Links is never nil.
func PeerJSON(p admin.PeerStatus) apitype.Peer {
	out := apitype.Peer{Domain: p.Domain, Addr: p.Addr, Policy: string(p.Policy), HasCA: p.CAPEM != "", CAPEM: p.CAPEM,
		Configured: p.Configured, FromFile: p.FromFile, Links: make([]apitype.Link, 0, len(p.Links))}
	for _, l := range p.Links {
		dir := "out"
		if l.Incoming {
			dir = "in"
		}
		out.Links = append(out.Links, apitype.Link{Local: l.Local, Remote: l.Remote, Direction: dir, TLS: l.TLSVersion,
			Auth: l.Auth, CertExpiry: l.CertExpiry.UTC(), Since: l.Since.UTC(), LastError: l.LastError})
	}
	return out
}

// peerIn is the inverse of PeerJSON.
func peerIn(p apitype.Peer) admin.PeerStatus {
	out := admin.PeerStatus{PeerConfig: s2s.PeerConfig{Domain: p.Domain, Addr: p.Addr, CAPEM: p.CAPEM, Policy: s2s.Policy(p.Policy)},
		Configured: p.Configured, FromFile: p.FromFile}
	for _, l := range p.Links {
		out.Links = append(out.Links, s2s.LinkInfo{Local: l.Local, Remote: l.Remote, Incoming: l.Direction == "in",
			TLSVersion: l.TLS, Auth: l.Auth, CertExpiry: l.CertExpiry, Since: l.Since, LastError: l.LastError})
	}
	return out
}

func (s *Server) listPeers(w http.ResponseWriter, r *http.Request) error {
	peers, err := s.backend.ListPeers(r.Context())
	if err != nil {
		return err
	}
	out := apitype.PeerList{Peers: make([]apitype.Peer, 0, len(peers))}
	for _, p := range peers {
		out.Peers = append(out.Peers, PeerJSON(p))
	}
	return writeJSON(w, http.StatusOK, out)
}

// addPeer answers 200 rather than 201: the request replaces the peer of its domain if
// there is one.
func (s *Server) addPeer(w http.ResponseWriter, r *http.Request) error {
	var req apitype.AddPeerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.backend.AddPeer(r.Context(), s2s.PeerConfig{Domain: req.Domain, Addr: req.Addr, CAPEM: req.CAPEM,
		Policy: s2s.Policy(req.Policy)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, PeerJSON(admin.PeerStatus{PeerConfig: c, Configured: true}))
}

func (s *Server) deletePeer(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.DeletePeer(r.Context(), r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package embeddb_test

import (
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/peertest"
	"xmppbox/embeddb"
	"xmppbox/server/s2s"
)

var (
	_ s2s.PeerStore   = (*embeddb.Peers)(nil)
	_ admin.PeerStore = (*embeddb.Peers)(nil)
	_ peertest.Store  = (*embeddb.Peers)(nil)
)

func TestPeersConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			peertest.Run(t, func(t *testing.T) peertest.Store { return b.open(t).Peers() })
		})
	}
}

// TestPeersSurviveReopen: a peer added with the CLI is still there when the server starts.
func TestPeersSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.2:5269", Policy: s2s.DialbackOK}
	if err := db.Peers().PutPeer(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDir(t, dir)
	if got, err := db.Peers().Peer(t.Context(), "other.example"); err != nil || got != want {
		t.Errorf("after reopening, Peer = %+v, %v; want %+v", got, err, want)
	}
}

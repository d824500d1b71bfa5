package peertest

import "testing"

func TestMemPeers(t *testing.T) {
	Run(t, func(*testing.T) Store { return NewMemPeers() })
}

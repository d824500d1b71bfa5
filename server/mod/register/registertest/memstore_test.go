package registertest

import "testing"

func TestMemInvites(t *testing.T) {
	Run(t, func(*testing.T) Store { return NewMemInvites() })
}

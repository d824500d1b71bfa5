package componenttest

import "testing"

func TestMemSecrets(t *testing.T) {
	Run(t, func(*testing.T) Store { return NewMemSecrets() })
}

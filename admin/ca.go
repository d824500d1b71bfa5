package admin

import (
	"errors"
	"time"
)

// CAInfo is the box's local root certificate authority, which clients and browsers import
// to trust the box.
type CAInfo struct {
	PEM, DER    []byte
	Fingerprint string // SHA-256 of the DER, as colon-separated upper-case hex pairs
	Subject     string
	NotAfter    time.Time
}

// CA returns the local root CA. Anyone may ask: it is public, and people need it before
// they can trust the box.
func (s *Service) CA() (CAInfo, error) {
	if s.ca == nil {
		return CAInfo{}, errors.New("this box has no local certificate authority")
	}
	return *s.ca, nil
}

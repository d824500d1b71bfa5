package admin

import (
	"crypto/rand"
	"fmt"
)

// passwordAlphabet leaves out characters that are easy to misread or mistype when a
// password is read off a screen: 0 O o, 1 l I, and symbols some keyboards lack.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// PasswordLength is the length of generated passwords: 20 characters of a 56-character
// alphabet give about 116 bits.
const PasswordLength = 20

// GeneratePassword returns a random password of PasswordLength characters.
func GeneratePassword() (string, error) {
	// Rejection sampling keeps the distribution uniform: bytes at or above the largest
	// multiple of the alphabet size are drawn again.
	const limit = 256 - 256%len(passwordAlphabet)
	out := make([]byte, 0, PasswordLength)
	buf := make([]byte, 2*PasswordLength)
	for len(out) < PasswordLength {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("admin: generating a password: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < PasswordLength {
				out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
			}
		}
	}
	return string(out), nil
}

package server

import (
	"context"
	"fmt"
	"time"

	"xmppbox/server/c2s"
	"xmppbox/server/mod/register"
	"xmppbox/server/mod/roster"
	"xmppbox/server/stanza"
)

// Stats is a snapshot of what the server is doing, for the admin status and metrics.
type Stats struct {
	Started  time.Time
	Sessions int // bound resources
	c2s.Stats
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Started: s.started, Sessions: s.sessions.Count(), Stats: s.c2s.Stats()}
}

// Kick ends the session of one full JID and reports whether there was one.
func (s *Server) Kick(fullJID string) bool {
	for _, r := range s.sessions.All() {
		if r.Full() == fullJID {
			r.Conn().Close(&stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "session ended by the administrator"})
			return true
		}
	}
	return false
}

// RegistrationPolicy returns who may create an account from a client.
func (s *Server) RegistrationPolicy() register.Policy { return s.register.Policy() }

// SetRegistrationPolicy changes who may create an account from a client, at once.
func (s *Server) SetRegistrationPolicy(p register.Policy) { s.register.SetPolicy(p) }

// ArchiveRetention returns how long archived messages are kept.
func (s *Server) ArchiveRetention() time.Duration { return s.archive.Retention() }

// SetArchiveRetention changes how long archived messages are kept, from the next purge on.
func (s *Server) SetArchiveRetention(d time.Duration) { s.archive.SetRetention(d) }

// MakeContacts puts two local accounts in each other's rosters with a mutual presence
// subscription, as an invitation with roster pre-approval promises (XEP-0379 §3), and
// pushes the new items to their online resources.
func (s *Server) MakeContacts(ctx context.Context, a, b string) error {
	for _, pair := range [][2]string{{a, b}, {b, a}} {
		owner, contact := pair[0], pair[1]
		it := roster.Item{JID: contact, Subscription: "both"}
		ver, err := s.cfg.Rosters.PutItem(ctx, owner, it)
		if err != nil {
			return fmt.Errorf("server: roster of %s: %w", owner, err)
		}
		s.rosters.Push(ctx, owner, it, false, ver)
	}
	return nil
}

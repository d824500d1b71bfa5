package muc

// Room archives: XEP-0313 Message Archive Management for MUC rooms (§5.1.2, §7).
//
// A persistent room keeps its groupchat messages with a <body/> in the service's
// mam.Archive (Options.Archive), under the room's bare JID as owner; temporary rooms are
// not archived (their name may be taken by someone else once they are gone). A message is
// archived as the occupants received it — from room/nick, with its occupant-id, never with
// a real JID (the room's anonymity setting can change later; the archive must not leak
// what a semi-anonymous room hid) — and the archive ID is the room's XEP-0359 stanza-id on
// the live message, so a client can dedupe history it fetches against what it saw. Messages
// with a XEP-0334 <no-store/> or <no-permanent-store/> hint are not archived.
//
// The room's occupants may query the archive, and so may members (and admins, owners) of
// a members-only room who are not in it; anyone else is forbidden. Queries are parsed and
// answered by the mam package's own code (ParseQuery, Answer, Metadata), so the room
// archive speaks exactly the dialect of the account archives, including #extended.
//
// The record is appended while the room's mu is held, so the archive's order is the
// order in which the room numbered its messages; stores append in memory and write in the
// background, so this holds the lock for no I/O.

import (
	"context"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/mam"
	"xmppbox/server/stanza"
)

// archives reports whether r keeps an archive.
// +checklocks:r.mu
func (m *Module) archives(r *room) bool {
	return m.opts.Archive != nil && r.cfg.Persistent
}

// stanzaID archives out, a groupchat message from the room (complete but for its
// stanza-id), when r keeps an archive and the message is to be kept, and returns the
// stanza-id to put on it: the archive ID, or a fresh random one.
// +checklocks:r.mu
func (m *Module) stanzaID(ctx context.Context, r *room, out *stanza.Element) string {
	if !m.archives(r) || out.Child(stanza.NSClient, "body") == nil ||
		out.Child(mam.NSHints, "no-store") != nil || out.Child(mam.NSHints, "no-permanent-store") != nil {
		return newID()
	}
	id, err := m.opts.Archive.Append(ctx, r.bare, mam.Record{
		Time:   m.opts.Now(),
		With:   out.Get("from"),
		Stanza: out.AppendXML(nil, stanza.NSClient),
	})
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "room message not archived", slog.String("room", r.bare), slog.Any("err", err))
		return newID()
	}
	return id
}

// archiveFeatures are the room's disco#info features for its archive.
// +checklocks:r.mu
func (m *Module) archiveFeatures(r *room) []string {
	if !m.archives(r) {
		return nil
	}
	return []string{mam.NS, mam.NSExtended}
}

// archiveIQ answers an urn:xmpp:mam:2 IQ to the room: the query form, a query (results
// go to the querier from the room's JID before the IQ result) or the archive's metadata.
func (m *Module) archiveIQ(ctx context.Context, r *room, st, payload *stanza.Element, from jid.JID) (*stanza.Element, error) {
	r.mu.Lock()
	archived, locked := m.archives(r), r.locked
	allowed := r.byReal[from.String()] != nil ||
		(r.cfg.MembersOnly && affRank[r.aff(from.Bare().String())] >= affRank["member"])
	r.mu.Unlock()
	switch {
	case locked:
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	case !archived:
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable, Text: "this room keeps no archive"}
	case !allowed:
		return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden, Text: "only occupants and members may read the room's archive"}
	}
	typ := st.Get("type")
	switch {
	case typ == "get" && payload.Name.Local == "query":
		return mam.QueryForm(), nil
	case typ == "get" && payload.Name.Local == "metadata":
		return mam.Metadata(ctx, m.opts.Archive, r.bare)
	case typ == "set" && payload.Name.Local == "query":
		req, err := mam.ParseQuery(payload)
		if err != nil {
			return nil, err
		}
		send := func(el *stanza.Element) error {
			m.router.Route(ctx, el)
			return nil
		}
		return mam.Answer(ctx, m.opts.Archive, r.jid, from, req, send, m.log)
	}
	return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented}
}

package mam

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// outbound archives the sender's copy of a message from a local client, whoever and
// wherever the recipient is (XEP-0313 §3: an outgoing message is archived for its sender).
func (m *Module) outbound(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "message" || to.Domainpart() == "" || !archivable(st) {
		return true
	}
	owner, with := res.Bare(), to.String()
	if bareOf(with) == owner {
		// A message to one's own account reaches the inbound hook, which archives it:
		// an archive holds each message once (XEP-0313 §5.1.1).
		return true
	}
	// No <stanza-id/> on the way out: the recipient may not read the sender's archive
	// (XEP-0313 §3.5).
	m.archiveFor(ctx, owner, with, st)
	return true
}

// inbound archives the recipient's copy of a message for a local account and tells the
// recipient where it is with a <stanza-id/> (XEP-0313 §3.5).
func (m *Module) inbound(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "message" {
		return true
	}
	bare := to.Bare()
	owner := bare.String()
	// XEP-0359 §4 rule 3: a stanza-id claiming to be by this account's archive was not
	// made here (the sender forged it, or it came back from elsewhere); drop it before
	// the client takes it for an archive ID, whether or not this message is archived.
	stripStanzaIDs(st, owner)
	// 'from' was stamped by this server (a local client's full JID, or a server address),
	// so it is a normalised JID.
	from := st.Get("from")
	if from == "" || !archivable(st) || !m.router.UserExists(ctx, bare) {
		return true
	}
	if id := m.archiveFor(ctx, owner, from, st); id != "" {
		st.Append(stanza.New(NSStanzaID, "stanza-id", "id", id, "by", owner))
	}
	return true
}

// bareOf strips the resource from a JID string: neither the localpart nor the domain
// holds a '/'.
func bareOf(j string) string {
	bare, _, _ := strings.Cut(j, "/")
	return bare
}

// archivable applies XEP-0313 §5.1.1 the way Prosody's mod_mam does: chat and normal
// messages with a body, unless a XEP-0334 hint says otherwise. Groupchat messages are
// the room's archive's business; headlines are ephemeral; errors and body-less messages
// (chat states, receipts, markers) are not conversation.
func archivable(st *stanza.Element) bool {
	switch st.Get("type") {
	case "", "normal", "chat":
	default:
		return false
	}
	if st.Child(NSHints, "store") != nil {
		return true
	}
	if st.Child(NSHints, "no-store") != nil || st.Child(NSHints, "no-permanent-store") != nil {
		return false
	}
	return st.Child(st.Name.Space, "body") != nil
}

// archiveFor stores st in owner's archive when owner's preferences allow it, and returns
// its ID ("" when it was not archived). A failure is logged, never fatal to the message:
// delivery matters more than its copy.
func (m *Module) archiveFor(ctx context.Context, owner, with string, st *stanza.Element) string {
	ok, err := m.allowed(ctx, owner, with)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "archive preferences unreadable", slog.String("jid", owner), slog.Any("err", err))
	}
	if !ok {
		return ""
	}
	id, err := m.archive.Append(ctx, owner, Record{
		Time: m.now(),
		With: with,
		// Sized for a typical chat message, so that it is built in one allocation.
		Stanza: storedCopy(st, owner).AppendXML(make([]byte, 0, 512), stanza.NSClient),
	})
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "message not archived", slog.String("jid", owner), slog.Any("err", err))
		return ""
	}
	return id
}

// storedCopy is st without what has no place in the archive: chat states (nobody wants to
// read "is typing" later; Prosody strips them too) and stanza-ids claiming to be by the
// owner's archive. st itself is returned when there is nothing to strip.
func storedCopy(st *stanza.Element, owner string) *stanza.Element {
	strip := func(c *stanza.Element) bool {
		return c.Name.Space == nsChatStates || isOwnStanzaID(c, owner)
	}
	dirty := slices.ContainsFunc(st.Children, func(n stanza.Node) bool {
		c, ok := n.(*stanza.Element)
		return ok && c != nil && strip(c)
	})
	if !dirty {
		return st
	}
	out := *st
	out.Children = nil
	for _, n := range st.Children {
		if c, ok := n.(*stanza.Element); ok && strip(c) {
			continue
		}
		out.Children = append(out.Children, n)
	}
	return &out
}

// stripStanzaIDs removes st's stanza-id children made "by" owner.
func stripStanzaIDs(st *stanza.Element, owner string) {
	keep := st.Children[:0]
	changed := false
	for _, n := range st.Children {
		if c, ok := n.(*stanza.Element); ok && isOwnStanzaID(c, owner) {
			changed = true
			continue
		}
		keep = append(keep, n)
	}
	if changed {
		clear(st.Children[len(keep):])
		st.Children = keep
	}
}

func isOwnStanzaID(c *stanza.Element, owner string) bool {
	if c.Name.Space != NSStanzaID || c.Name.Local != "stanza-id" {
		return false
	}
	by, err := jid.Parse(c.Get("by"))
	return err != nil || by.String() == owner // an unparsable 'by' is not trusted either
}

package vcard

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// stampPresence puts the stored avatar hash into an available presence a local client
// sends, broadcast or directed (XEP-0398 §4: directed presence such as a MUC join too).
// See the package doc for which presences are changed. It never stops the stanza.
func (m *Module) stampPresence(ctx context.Context, res *session.Resource, st *stanza.Element, _ jid.JID) bool {
	if st.Name.Local != "presence" || st.Get("type") != "" {
		return true
	}
	var photo *stanza.Element
	if x := st.Child(NSUpdate, "x"); x != nil {
		photo = x.Child(NSUpdate, "photo")
	}
	if photo != nil && strings.TrimSpace(photo.Text()) == "" {
		// The client has no image to advertise (XEP-0153 §4.1 rule 3); XEP-0398 §4 says
		// to leave such a presence alone.
		return true
	}
	hash, err := m.store.PhotoHash(ctx, res.Bare())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			m.log.LogAttrs(ctx, slog.LevelError, "vcard photo hash read failed", slog.String("jid", res.Bare()), slog.Any("err", err))
		}
		return true
	}
	if hash == "" {
		return true
	}
	if photo != nil && strings.EqualFold(strings.TrimSpace(photo.Text()), hash) {
		return true
	}
	setPhoto(st, hash)
	return true
}

// setPhoto makes st carry exactly one <x xmlns='vcard-temp:x:update'> with one <photo/>
// holding hash; other children of an existing <x/> are kept.
func setPhoto(st *stanza.Element, hash string) {
	photo := stanza.New(NSUpdate, "photo").AppendText(hash)
	x := st.Child(NSUpdate, "x")
	if x == nil {
		st.Append(stanza.New(NSUpdate, "x").Append(photo))
		return
	}
	x.Children = slices.DeleteFunc(x.Children, func(n stanza.Node) bool {
		el, ok := n.(*stanza.Element)
		return ok && el.Name.Space == NSUpdate && el.Name.Local == "photo"
	})
	x.Append(photo)
}

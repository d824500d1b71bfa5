package register

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/sasl"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// registered answers a logged-in client's get: it is registered, under its user name
// (XEP-0077 §3.1). The password is not on file, only SCRAM secrets, so it is left out.
func (m *Module) registered(_ context.Context, iq router.IQ) (*stanza.Element, error) {
	return stanza.New(NS, "query").Append(
		stanza.New(NS, "registered"),
		stanza.New(NS, "username").AppendText(iq.From.Localpart()),
	), nil
}

// changePassword sets a logged-in user's new password (XEP-0077 §3.3). The account's
// other sessions, opened with the old password, are ended, as when the operator changes
// it; the requesting one stays.
func (m *Module) changePassword(ctx context.Context, iq router.IQ) (_ *stanza.Element, err error) {
	defer func() {
		if err != nil {
			// The router's error reply carries the request's payload; this one holds a
			// password, which must not travel back (§3.3).
			iq.Stanza.Children = nil
		}
	}()
	if iq.Session == nil {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed}
	}
	f := parseQuery(iq.Payload)
	if f.remove {
		// remove, the outbound hook, takes every removal request a client sends.
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed}
	}
	if f.username != "" {
		local, err := m.localpart(f.username)
		if err != nil || local != iq.From.Localpart() {
			return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden, Text: "you can change only your own password"}
		}
	}
	if f.password == "" {
		// §3.3: an empty password never replaces the existing one.
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "the new password is empty"}
	}
	creds, err := sasl.NewCredentials(f.password, m.opts.Iterations)
	if err != nil {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "this password cannot be used"}
	}
	bare := iq.From.Bare().String()
	if err := m.accounts.SetCredentials(ctx, bare, creds); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.RegistrationRequired}
		}
		return nil, fmt.Errorf("register: set credentials of %s: %w", bare, err)
	}
	n := 0
	for _, res := range m.router.Sessions().Resources(bare) {
		if res != iq.Session {
			res.Conn().Close(&stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "the password was changed"})
			n++
		}
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "password changed", slog.String("jid", bare), slog.Int("sessions", n))
	return nil, nil
}

// remove is the outbound hook that cancels a registration: <remove/> from a logged-in
// client to its server or to itself (XEP-0077 §3.2). The account and everything it owns
// are deleted, the client gets its result, then every session of the account ends with
// <not-authorized/>. Every other stanza passes.
func (m *Module) remove(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "iq" || st.Get("type") != "set" {
		return true
	}
	q := st.FirstChild()
	if q == nil || q.Name.Space != NS || q.Child(NS, "remove") == nil || !m.forServer(res, to) {
		return true
	}
	if parseQuery(q).others {
		// §3.2: <remove/> must be the only child.
		m.router.Bounce(ctx, st, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		return false
	}
	bare := res.Bare()
	if err := m.accounts.DeleteAccount(ctx, bare); err != nil {
		e := stanza.Error{Type: stanza.Auth, Condition: stanza.RegistrationRequired}
		if !errors.Is(err, fs.ErrNotExist) {
			m.log.LogAttrs(ctx, slog.LevelError, "account removal failed", slog.String("jid", bare), slog.Any("err", err))
			e = stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
		}
		m.router.Bounce(ctx, st, e)
		return false
	}
	reply := stanza.ResultIQ(st, nil)
	if reply.Get("from") == "" {
		reply.Set("from", bare) // as the router answers an IQ without 'to' (RFC 6120 §10.3.3)
	}
	m.router.Route(ctx, reply)
	resources := m.router.Sessions().Resources(bare)
	for _, r := range resources {
		// Queued after the result, so the requester reads the result first.
		r.Conn().Close(&stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "the account was removed"})
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "account removed", slog.String("jid", bare), slog.Int("sessions", len(resources)))
	return false
}

// forServer reports whether a stanza from res addressed to 'to' is for the server or for
// res's own account: no 'to', the domain, or the account's bare JID.
func (m *Module) forServer(res *session.Resource, to jid.JID) bool {
	switch {
	case to.Domainpart() == "":
		return true
	case to.Domainpart() != m.domain || to.Resourcepart() != "":
		return false
	}
	return to.Localpart() == "" || to.Localpart() == res.JID().Localpart()
}

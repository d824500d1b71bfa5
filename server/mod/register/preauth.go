package register

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/sasl"
	"xmppbox/server/stanza"
)

// Stream is registration on one unauthenticated client stream (XEP-0077 §3.1.1), after
// TLS and before SASL. It remembers the invitation the client presented (XEP-0445 §4) and
// whether it registered already. Its methods are called by the connection's reader
// goroutine only, one at a time; it is dropped when the client authenticates.
type Stream struct {
	m  *Module
	ip string
	// invite is the invitation accepted on this stream, nil until then. Its expiry was
	// checked when it was presented and is not checked again (XEP-0445 §4).
	invite *Invite
	// registered is set once an account was created on this stream: one is enough before
	// authenticating (XEP-0077 §3.1.1).
	registered bool
}

// Open returns the registration state of a new unauthenticated stream from remoteIP.
func (m *Module) Open(remoteIP string) *Stream { return &Stream{m: m, ip: remoteIP} }

// Features returns the stream features offered next to the SASL mechanisms: in-band
// registration (XEP-0077 §8) and registration with an invitation (XEP-0445 §3), or none
// when registration is off.
func (s *Stream) Features() []*stanza.Element {
	if !s.m.Policy().Enabled {
		return nil
	}
	return []*stanza.Element{stanza.New(NSFeature, "register"), stanza.New(NSToken, "register")}
}

// Handle answers an IQ in jabber:iq:register or an XEP-0445 <preauth/> IQ. It reports
// false for any other element, which the caller treats as before (a client that does not
// authenticate first). The reply is never nil when handled is true, except for an IQ
// response, which gets none.
func (s *Stream) Handle(ctx context.Context, el *stanza.Element) (reply *stanza.Element, handled bool) {
	if el.Name.Space != stanza.NSClient || el.Name.Local != "iq" {
		return nil, false
	}
	payload := el.FirstChild()
	if payload == nil {
		return nil, false
	}
	isQuery := payload.Name.Space == NS && payload.Name.Local == "query"
	isPreauth := payload.Name.Space == NSPreauth && payload.Name.Local == "preauth"
	if !isQuery && !isPreauth {
		return nil, false
	}
	typ := el.Get("type")
	switch {
	case typ == "result" || typ == "error":
		return nil, true // nothing before authentication asks the client anything
	case el.Get("id") == "" || len(el.ChildElements()) != 1 || (typ != "get" && typ != "set"):
		return s.reply(ctx, el, nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}), true
	case !s.m.Policy().Enabled:
		// XEP-0077 §3.1: a host without in-band registration answers service-unavailable.
		return s.reply(ctx, el, nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}), true
	case isPreauth && typ == "set":
		return s.reply(ctx, el, nil, s.preauth(ctx, payload.Get("token"))), true
	case isPreauth:
		return s.reply(ctx, el, nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}), true
	case typ == "get":
		return s.reply(ctx, el, s.form(), nil), true
	}
	return s.reply(ctx, el, nil, s.register(ctx, payload)), true
}

// reply answers el with payload or, if err is not nil, with err: a stanza.Error as it
// is, anything else as internal-server-error and a log line. The reply has no 'to': the
// client has no address yet.
func (s *Stream) reply(ctx context.Context, el, payload *stanza.Element, err error) *stanza.Element {
	if err != nil {
		var se stanza.Error
		if !errors.As(err, &se) {
			s.m.log.LogAttrs(ctx, slog.LevelError, "registration failed", slog.String("remote", s.ip), slog.Any("err", err))
			se = stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
		}
		r := errorIQ(el, se)
		r.Set("to", "")
		return r
	}
	r := stanza.ResultIQ(el, payload)
	r.Set("to", "")
	return r
}

// errorIQ is the error reply to an IQ, without its payload: registration and password
// change requests carry a password, which must not travel back (XEP-0077 §3.3).
func errorIQ(iq *stanza.Element, e stanza.Error) *stanza.Element {
	return stanza.New(stanza.NSClient, "iq",
		"type", "error", "id", iq.Get("id"), "to", iq.Get("from"), "from", iq.Get("to")).Append(e.Element())
}

// preauth checks an invitation token (XEP-0445 §4). A good one is remembered for this
// stream; it is consumed only by the registration it allows.
func (s *Stream) preauth(ctx context.Context, token string) error {
	now := s.m.now()
	inv, err := s.m.invites.Invite(ctx, token)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && inv.Expired(now)):
		s.m.log.LogAttrs(ctx, slog.LevelInfo, "invitation refused", slog.String("remote", s.ip))
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound, Text: "The provided token is invalid or expired"}
	case err != nil:
		return fmt.Errorf("register: invitation lookup: %w", err)
	}
	s.invite = &inv
	return nil
}

// form returns the registration fields (XEP-0077 §3.1), or only instructions when the
// client cannot register without an invitation it has not presented (§5).
func (s *Stream) form() *stanza.Element {
	q := stanza.New(NS, "query")
	if s.m.Policy().InviteOnly && s.invite == nil {
		return q.Append(stanza.New(NS, "instructions").AppendText(
			"This server creates accounts for invited users only: open the invitation link you received with your client."))
	}
	q.Append(
		stanza.New(NS, "instructions").AppendText("Choose a user name and a password."),
		stanza.New(NS, "username").AppendText(s.presetUsername()),
		stanza.New(NS, "password"),
	)
	return q
}

func (s *Stream) presetUsername() string {
	if s.invite == nil {
		return ""
	}
	return s.invite.Username
}

// register creates the account a set request asks for (XEP-0077 §3.1).
func (s *Stream) register(ctx context.Context, q *stanza.Element) error {
	m := s.m
	f := parseQuery(q)
	switch {
	case f.remove:
		// §3.2: there is no account to remove before authentication.
		return stanza.Error{Condition: stanza.UnexpectedRequest, Text: "log in to remove your account"}
	case s.registered:
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAcceptable, Text: "one account per connection: log in now"}
	case m.Policy().InviteOnly && s.invite == nil:
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed, Text: "registration on this server needs an invitation"}
	case f.username == "" || f.password == "":
		// §3.1: an empty password counts as missing.
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "a user name and a password are required"}
	}
	local, err := m.localpart(f.username)
	if err != nil {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: err.Error()}
	}
	if preset := s.presetUsername(); preset != "" && local != preset {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "this invitation is for the user name " + preset}
	}
	creds, err := sasl.NewCredentials(f.password, m.opts.Iterations)
	if err != nil {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "this password cannot be used"}
	}
	// Counted before the store is asked, so that a host also cannot probe for taken
	// names in bulk.
	if s.invite == nil && !m.limit.take(s.ip, m.now()) {
		m.log.LogAttrs(ctx, slog.LevelWarn, "registration throttled", slog.String("remote", s.ip))
		return stanza.Error{Type: stanza.Wait, Condition: stanza.NotAcceptable, Text: "too many registrations from your address; try again later"}
	}
	bare := local + "@" + m.domain
	if err := m.accounts.CreateAccount(ctx, bare, creds); err != nil {
		switch {
		case errors.Is(err, fs.ErrExist):
			return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict, Text: "this user name is taken"}
		case errors.Is(err, fs.ErrInvalid):
			return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "this user name cannot be used"}
		}
		return fmt.Errorf("register: create %s: %w", bare, err)
	}
	if s.invite != nil {
		// After the account exists (XEP-0445 §4: a token is used only by a registration
		// that succeeded). Another stream may have used the last use meanwhile.
		if _, err := m.invites.ConsumeInvite(ctx, s.invite.Token); err != nil {
			if derr := m.accounts.DeleteAccount(ctx, bare); derr != nil {
				m.log.LogAttrs(ctx, slog.LevelError, "registration rollback failed", slog.String("jid", bare), slog.Any("err", derr))
			}
			s.invite = nil
			if errors.Is(err, fs.ErrNotExist) {
				return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound, Text: "the invitation was used meanwhile"}
			}
			return fmt.Errorf("register: consume invitation: %w", err)
		}
	}
	s.registered = true
	if inv := s.invite; inv != nil && inv.AddInviter && inv.CreatedBy != "" && m.opts.MakeContacts != nil {
		// The account exists and the use is taken: a roster failure is logged, not undone.
		if err := m.opts.MakeContacts(ctx, bare, inv.CreatedBy); err != nil {
			m.log.LogAttrs(ctx, slog.LevelError, "invitation contacts failed", slog.String("jid", bare), slog.Any("err", err))
		}
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "account registered", slog.String("jid", bare),
		slog.String("remote", s.ip), slog.Bool("invited", s.invite != nil))
	return nil
}

// localpart normalises a requested user name: a localpart ("Juliet"), or a bare JID of
// this domain, which some clients send. PRECIS UsernameCaseMapped applies (RFC 7622 §3.3).
func (m *Module) localpart(username string) (string, error) {
	var (
		j   jid.JID
		err error
	)
	if strings.ContainsAny(username, "@/") {
		j, err = jid.Parse(username)
		if err == nil && (j.Domainpart() != m.domain || j.Resourcepart() != "") {
			return "", fmt.Errorf("give a user name of %s, without /resource", m.domain)
		}
	} else {
		j, err = jid.New(username, m.domain, "")
	}
	switch {
	case err != nil:
		return "", errors.New("this user name is not allowed in an address")
	case j.Localpart() == "":
		return "", errors.New("the user name is empty")
	}
	return j.Localpart(), nil
}

package c2s

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/sasl"
	"xmppbox/server/stanza"
)

// maxAuthAttempts per connection before the stream is closed (RFC 6120 §6.4.5 asks for
// at least 2 and at most 5 retries).
const maxAuthAttempts = 3

// authenticate offers SASL on the TLS-protected stream and runs exchanges until one
// succeeds (RFC 6120 §6).
func (c *conn) authenticate(ctx context.Context) error {
	cs := c.tlsConn.ConnectionState()
	binding := sasl.Binding{State: &cs}
	if c.srv.cfg.Leaf != nil {
		name := cs.ServerName
		if name == "" {
			name = c.srv.cfg.Domain.String()
		}
		if leaf, err := c.srv.cfg.Leaf(name); err == nil {
			binding.Leaf = leaf
		}
	}
	mechs := sasl.Mechanisms(binding)
	mechList := stanza.New(nsSASL, "mechanisms")
	for _, m := range mechs {
		mechList.Append(stanza.New(nsSASL, "mechanism").AppendText(m))
	}
	features := stanza.New(stanza.NSStream, "features").Append(mechList)
	if types := sasl.ChannelBindingTypes(binding); len(types) > 0 {
		cb := stanza.New(nsSASLCB, "sasl-channel-binding")
		for _, t := range types {
			cb.Append(stanza.New(nsSASLCB, "channel-binding", "type", t))
		}
		features.Append(cb)
	}
	var pre PreAuthStream
	if c.srv.cfg.PreAuth != nil {
		pre = c.srv.cfg.PreAuth.Open(c.ip)
		for _, f := range pre.Features() {
			features.Append(f)
		}
	}
	if err := c.openStream(features); err != nil {
		return err
	}
	for attempts := 0; ; {
		el, err := c.next()
		if err != nil {
			return err
		}
		if el.Name.Space != nsSASL || el.Name.Local != "auth" {
			if el.Name.Space == nsSASL && el.Name.Local == "abort" {
				if err := c.writeNow(saslFailure("aborted", "")); err != nil {
					return err
				}
				continue
			}
			if pre != nil {
				if reply, ok := pre.Handle(ctx, el); ok {
					if reply != nil {
						if err := c.writeNow(reply.AppendXML(nil, stanza.NSClient)); err != nil {
							return err
						}
					}
					continue
				}
			}
			return &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "authenticate first"}
		}
		mech := el.Get("mechanism")
		if !slices.Contains(mechs, mech) {
			if err := c.writeNow(saslFailure("invalid-mechanism", "")); err != nil {
				return err
			}
			continue
		}
		ok, cannotBind, err := c.saslExchange(ctx, mech, binding, el)
		if err != nil || ok {
			return err
		}
		if cannotBind {
			// Not a password failure: the client tries its next mechanism.
			binding.ClientCannotBind = true
			continue
		}
		if attempts++; attempts >= maxAuthAttempts {
			c.wmu.Lock()
			c.why = CloseAuthFailed
			c.wmu.Unlock()
			return &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "too many failed attempts"}
		}
	}
}

// saslExchange runs one SASL exchange started by auth. It reports true on success; a
// failed exchange has already been answered with <failure/>. cannotBind reports a -PLUS
// attempt with a binding type this stream does not offer.
func (c *conn) saslExchange(ctx context.Context, mech string, binding sasl.Binding, auth *stanza.Element) (ok, cannotBind bool, err error) {
	now := time.Now()
	if c.srv.throttle.blocked(c.ip, "", now) {
		return false, false, c.writeNow(saslFailure("temporary-auth-failure", "too many failed logins; try again later"))
	}
	var attempted string
	throttled, disabled := false, false
	lookup := func(ctx context.Context, username string) (sasl.Credentials, error) {
		attempted = username
		if c.srv.throttle.blocked(c.ip, username, time.Now()) {
			throttled = true
			return sasl.Credentials{}, sasl.ErrUnknownUser
		}
		// The disabled flag comes with the credentials, in the same read; it is acted on
		// only once the password proved right (refuseDisabled).
		creds, _, off, err := c.srv.cfg.Accounts.Account(ctx, username+"@"+c.srv.cfg.Domain.String())
		if errors.Is(err, fs.ErrNotExist) {
			return sasl.Credentials{}, sasl.ErrUnknownUser
		}
		disabled = off
		return creds, err
	}
	conv, err := sasl.NewConversation(mech, binding, lookup)
	if err != nil {
		return false, false, c.writeNow(saslFailure("invalid-mechanism", ""))
	}
	data, err := decodeSASL(auth.Text())
	if err != nil {
		return false, false, c.writeNow(saslFailure("incorrect-encoding", ""))
	}
	var out []byte
	if data == nil {
		// No initial response: the first server message is an empty challenge (RFC 6120 §6.4.2).
		data, err = c.challenge(nil)
		if err != nil || data == nil {
			return false, false, err
		}
	}
	for {
		var done bool
		out, done, err = conv.Step(ctx, data)
		if err != nil {
			return false, errors.Is(err, sasl.ErrUnsupportedBinding), c.saslFailed(ctx, mech, attempted, throttled, err)
		}
		if done {
			if !c.authzOK(conv.AuthzID(), conv.Username()) {
				return false, false, c.saslFailed(ctx, mech, attempted, false, sasl.ErrInvalidAuthzID)
			}
			if disabled {
				return false, false, c.refuseDisabled(ctx, conv.Username())
			}
			c.user = conv.Username()
			c.srv.stats.authOK.Add(1)
			c.log.LogAttrs(ctx, slog.LevelInfo, "authenticated", slog.String("jid", c.user+"@"+c.srv.cfg.Domain.String()), slog.String("mech", mech))
			success := stanza.New(nsSASL, "success")
			if len(out) > 0 {
				success.AppendText(base64.StdEncoding.EncodeToString(out))
			}
			return true, false, c.writeNow(success.AppendXML(nil, stanza.NSClient))
		}
		if data, err = c.challenge(out); err != nil || data == nil {
			return false, false, err
		}
	}
}

// challenge sends a SASL challenge and returns the client's response. A nil response
// with a nil error means the exchange ended (aborted or badly encoded) and was answered.
func (c *conn) challenge(payload []byte) ([]byte, error) {
	challenge := stanza.New(nsSASL, "challenge")
	if len(payload) > 0 {
		challenge.AppendText(base64.StdEncoding.EncodeToString(payload))
	}
	if err := c.writeNow(challenge.AppendXML(nil, stanza.NSClient)); err != nil {
		return nil, err
	}
	resp, err := c.next()
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Name.Space == nsSASL && resp.Name.Local == "abort":
		return nil, c.writeNow(saslFailure("aborted", ""))
	case resp.Name.Space != nsSASL || resp.Name.Local != "response":
		return nil, &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "SASL exchange interrupted"}
	}
	data, err := decodeSASL(resp.Text())
	if err != nil {
		return nil, c.writeNow(saslFailure("incorrect-encoding", ""))
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// saslFailed answers a failed exchange and counts it against the source and the account.
func (c *conn) saslFailed(ctx context.Context, mech, user string, throttled bool, err error) error {
	condition := "not-authorized"
	switch {
	case throttled:
		condition = "temporary-auth-failure"
	case errors.Is(err, sasl.ErrUnsupportedBinding):
		c.log.LogAttrs(ctx, slog.LevelInfo, "channel binding type not offered", slog.String("mech", mech))
		return c.writeNow(saslFailure(condition, ""))
	case errors.Is(err, sasl.ErrInvalidAuthzID):
		condition = "invalid-authzid"
	case errors.Is(err, sasl.ErrMalformed):
		condition = "malformed-request"
	case !errors.Is(err, sasl.ErrAuthFailed) && !errors.Is(err, sasl.ErrUnknownUser):
		c.log.LogAttrs(ctx, slog.LevelError, "sasl failed", slog.String("mech", mech), slog.Any("err", err))
		condition = "temporary-auth-failure"
	}
	c.srv.stats.authFailures.Add(1)
	if condition == "not-authorized" && !errors.Is(err, sasl.ErrUnsupportedBinding) {
		c.srv.throttle.fail(c.ip, user, time.Now())
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "authentication failed", slog.String("user", user), slog.String("mech", mech), slog.String("reason", condition))
	return c.writeNow(saslFailure(condition, ""))
}

// authzOK checks the authorization identity's domain, which the SASL layer cannot
// know: a user may act only as their own bare JID on this domain (RFC 6120 §6.3.8).
func (c *conn) authzOK(authz, user string) bool {
	if authz == "" || !strings.Contains(authz, "@") {
		return true
	}
	j, err := jid.Parse(authz)
	return err == nil && j.Resourcepart() == "" && j.Localpart() == user && j.Domainpart() == c.srv.cfg.Domain.Domainpart()
}

// decodeSASL decodes the base64 payload of auth and response; "=" is an empty response
// (RFC 6120 §6.4.2) and no text at all means none was sent.
func decodeSASL(s string) ([]byte, error) {
	switch s {
	case "":
		return nil, nil
	case "=":
		return []byte{}, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

// refuseDisabled answers an authenticated login to a disabled account with
// <account-disabled/> (RFC 6120 §6.5.1). It runs only once the password proved right, so
// the failure tells nothing to someone who does not know it.
func (c *conn) refuseDisabled(ctx context.Context, user string) error {
	c.srv.stats.authFailures.Add(1)
	c.log.LogAttrs(ctx, slog.LevelWarn, "authentication refused", slog.String("jid", user+"@"+c.srv.cfg.Domain.String()), slog.String("reason", "account-disabled"))
	return c.writeNow(saslFailure("account-disabled", "this account is disabled; ask the administrator"))
}

package sasl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xdg-go/scram"
)

// scramFirst handles client-first-message (RFC 5802 §5.1) and returns server-first.
//
// The gs2 header is read here, before xdg sees the message, because an xdg conversation
// holds one channel binding type: the client's choice decides which binding to compute.
func (c *Conversation) scramFirst(ctx context.Context, in []byte) ([]byte, bool, error) {
	msg, err := scramText(in)
	if err != nil {
		return nil, false, c.malformed("client-first", err)
	}
	flag, cbType, err := gs2Flag(msg)
	if err != nil {
		return nil, false, c.malformed("client-first", err)
	}

	srv, _ := c.mech.hash.scram().NewServer(c.credentials(ctx)) // never fails
	if c.nonceGen != nil {
		srv.WithNonceGenerator(c.nonceGen)
	}
	offered := ChannelBindingTypes(c.binding)
	var conv *scram.ServerConversation
	switch {
	case c.mech.plus:
		if flag != "p" {
			return nil, false, c.malformed("client-first", fmt.Errorf("gs2 flag %q with a -PLUS mechanism, want p", flag))
		}
		if !slices.Contains(offered, cbType) {
			return nil, false, fmt.Errorf("sasl: %s: %q: %w: %w", c.mech.name, cbType, ErrUnsupportedBinding, ErrAuthFailed)
		}
		cb, err := channelBinding(c.binding, cbType)
		if err != nil {
			return nil, false, fmt.Errorf("sasl: %s: %s: %w", c.mech.name, cbType, err)
		}
		conv = srv.NewConversationWithChannelBindingRequired(cb)
	case flag == "p":
		// RFC 5802 §6: channel binding is what the -PLUS name announces.
		return nil, false, c.malformed("client-first", fmt.Errorf("gs2 flag p=%s with a mechanism without -PLUS", cbType))
	case len(offered) > 0 && flag == "y" && c.binding.ClientCannotBind:
		// The client showed on this stream that it knows no binding type we offer, so
		// its 'y' tells of an old client, not of a mechanism list stripped on the way.
		conv = srv.NewConversation()
	case len(offered) > 0:
		if flag == "y" {
			// RFC 5802 §6: the client supports channel binding and believes we do not,
			// yet we offered -PLUS. Someone removed it from the list on the way.
			return nil, false, fmt.Errorf("sasl: %s: gs2 flag y while -PLUS was offered (downgrade): %w", c.mech.name, ErrAuthFailed)
		}
		// xdg checks the 'y' flag too when it knows a binding is offered; any offered
		// type serves, since a client with 'n' sends no binding data.
		cb, err := channelBinding(c.binding, offered[0])
		if err != nil {
			return nil, false, fmt.Errorf("sasl: %s: %s: %w", c.mech.name, offered[0], err)
		}
		conv = srv.NewConversationWithChannelBinding(cb)
	default:
		conv = srv.NewConversation()
	}

	resp, err := conv.Step(msg)
	if c.lookupErr != nil {
		return nil, false, fmt.Errorf("sasl: %s: lookup %q: %w", c.mech.name, c.candidate, c.lookupErr)
	}
	if err != nil {
		return nil, false, c.scramError("client-first", resp, err)
	}
	c.server = conv
	c.state = stateFinal
	return []byte(resp), false, nil
}

// scramFinal handles client-final-message (RFC 5802 §5.1) and returns server-final.
func (c *Conversation) scramFinal(in []byte) ([]byte, bool, error) {
	msg, err := scramText(in)
	if err != nil {
		return nil, false, c.malformed("client-final", err)
	}
	resp, err := c.server.Step(msg)
	if err != nil {
		return nil, false, c.scramError("client-final", resp, err)
	}
	if c.decoy || !c.server.Valid() {
		// Unreachable with zero decoy keys; kept so that a decoy can never succeed.
		return nil, false, fmt.Errorf("sasl: %s: unknown user %q: %w", c.mech.name, c.candidate, ErrAuthFailed)
	}
	authzid := c.server.AuthzID()
	if err := checkAuthzID(c.mech.name, authzid, c.candidate); err != nil {
		return nil, false, err
	}
	c.username, c.authzID = c.candidate, authzid
	return []byte(resp), true, nil
}

// credentials is xdg's lookup callback for one Step. It prepares the username (xdg
// passes it only "=2C"/"=3D"-decoded) and hands out a decoy secret for a missing or
// invalid account, so that the client sees a normal server-first message.
func (c *Conversation) credentials(ctx context.Context) scram.CredentialLookup {
	return func(raw string) (scram.StoredCredentials, error) {
		name, ok := normalizeUsername(raw)
		c.candidate = name
		if !ok {
			c.candidate = raw
		}
		var s Secret
		if ok {
			creds, err := c.lookup(ctx, name)
			switch {
			case isUnknownUser(err):
			case err != nil:
				c.lookupErr = err
				return scram.StoredCredentials{}, err
			default:
				s = *c.mech.hash.field(&creds)
			}
		}
		if !s.usable(c.mech.hash) {
			c.decoy = true
			s = decoySecret(c.mech.hash, c.candidate)
		}
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(s.Salt), Iters: s.Iterations},
			StoredKey:  s.StoredKey,
			ServerKey:  s.ServerKey,
		}, nil
	}
}

// scramError turns xdg's server-error value and error into ours. xdg's "e=" value is not
// sent: RFC 6120 <failure/> carries a condition, not mechanism data.
func (c *Conversation) scramError(msg, serverErr string, err error) error {
	switch serverErr {
	case "", scram.ErrInvalidEncoding, scram.ErrInvalidUsernameEncoding, scram.ErrExtensionsNotSupported:
		// xdg returns no server-error for messages it cannot parse.
		return c.malformed(msg, err)
	case scram.ErrChannelBindingsDontMatch:
		// xdg's text holds both bindings in hex; exporter output stays out of logs.
		return fmt.Errorf("sasl: %s: channel binding mismatch: %w", c.mech.name, ErrAuthFailed)
	}
	if c.decoy {
		return fmt.Errorf("sasl: %s: unknown user %q: %w", c.mech.name, c.candidate, ErrAuthFailed)
	}
	return fmt.Errorf("sasl: %s: user %q: %s: %w", c.mech.name, c.candidate, strings.TrimPrefix(serverErr, "e="), ErrAuthFailed)
}

// malformed wraps a parse error of the client's message msg.
func (c *Conversation) malformed(msg string, err error) error {
	return fmt.Errorf("sasl: %s: %s: %v: %w", c.mech.name, msg, err, ErrMalformed)
}

// scramText checks that a SCRAM message is UTF-8 without NUL (RFC 5802 §7: "printable",
// "value-safe-char" and "saslname" all exclude NUL).
func scramText(in []byte) (string, error) {
	if len(in) == 0 {
		return "", errors.New("empty message")
	}
	if !utf8.Valid(in) || slices.Contains(in, 0) {
		return "", errors.New("message is not UTF-8 text without NUL")
	}
	return string(in), nil
}

// gs2Flag reads the gs2-cbind-flag of a client-first-message (RFC 5802 §7):
// "n", "y" or "p=" cb-name. For "p" it also returns the binding type.
func gs2Flag(msg string) (flag, cbType string, err error) {
	field, _, ok := strings.Cut(msg, ",")
	if !ok {
		return "", "", errors.New("no gs2 header")
	}
	switch {
	case field == "n" || field == "y":
		return field, "", nil
	case strings.HasPrefix(field, "p=") && len(field) > 2:
		return "p", field[2:], nil
	}
	return "", "", fmt.Errorf("gs2 flag %q", field)
}

package c2s

import (
	"context"
	"crypto/tls"
	"fmt"

	"xmppbox/server/stanza"
)

const (
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession = "urn:ietf:params:xml:ns:xmpp-session"
	nsSASLCB  = "urn:xmpp:sasl-cb:0" // XEP-0440
)

// negotiate takes the stream from TCP accept to a bound resource: TLS, SASL, bind.
func (c *conn) negotiate(ctx context.Context, directTLS bool) error {
	if directTLS {
		if err := c.handshake(ctx); err != nil {
			return err
		}
	}
	c.resetReader()
	if c.tlsConn == nil {
		if err := c.negotiateTLS(ctx); err != nil {
			return err
		}
		c.resetReader()
	}
	if err := c.authenticate(ctx); err != nil {
		return err
	}
	c.resetReader()
	return c.bindResource(ctx)
}

// negotiateTLS offers STARTTLS as the only, mandatory feature (RFC 6120 §5.3.1).
func (c *conn) negotiateTLS(ctx context.Context) error {
	features := stanza.New(stanza.NSStream, "features").Append(
		stanza.New(nsTLS, "starttls").Append(stanza.New(nsTLS, "required")))
	if err := c.openStream(features); err != nil {
		return err
	}
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		switch {
		case el.Name.Space == nsTLS && el.Name.Local == "starttls":
			if err := c.writeNow([]byte(`<proceed xmlns='` + nsTLS + `'/>`)); err != nil {
				return err
			}
			return c.handshake(ctx)
		case el.Name.Space == nsSASL && el.Name.Local == "auth":
			// §5.3.1: TLS is mandatory-to-negotiate; never authenticate in the clear.
			if err := c.writeNow(saslFailure("encryption-required", "STARTTLS first")); err != nil {
				return err
			}
		default:
			return &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "STARTTLS is required"}
		}
	}
}

// handshake runs the TLS server handshake on the TCP connection.
func (c *conn) handshake(ctx context.Context) error {
	tc := tls.Server(c.nc, c.srv.cfg.TLS)
	hctx, cancel := context.WithTimeout(ctx, c.srv.cfg.Limits.NegotiationTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.wmu.Lock()
		c.closing, c.why = true, CloseTLSFailed
		c.wmu.Unlock()
		return fmt.Errorf("c2s: tls handshake: %w", err)
	}
	c.tlsConn = tc
	c.wmu.Lock()
	c.w = tc
	c.wmu.Unlock()
	return nil
}

// bindResource offers resource binding and waits for the client to bind (RFC 6120 §7).
func (c *conn) bindResource(ctx context.Context) error {
	features := stanza.New(stanza.NSStream, "features").Append(
		stanza.New(nsBind, "bind"),
		// RFC 6121 superseded the session IQ; old clients still send it when it is offered.
		stanza.New(nsSession, "session").Append(stanza.New(nsSession, "optional")),
		stanza.New(nsSM, "sm"),
		stanza.New(nsCSI, "csi"),
	)
	for _, f := range c.srv.cfg.Router.StreamFeatures() {
		features.Append(f)
	}
	if err := c.openStream(features); err != nil {
		return err
	}
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		if el.Name.Space == nsSM && el.Name.Local == "resume" {
			ok, err := c.resume(ctx, el)
			if err != nil || ok {
				return err
			}
			continue
		}
		if el.Name.Space != stanza.NSClient || el.Name.Local != "iq" {
			return &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "bind a resource first"}
		}
		bind := el.Child(nsBind, "bind")
		if el.Get("type") != "set" || bind == nil {
			if err := c.writeNow(errorReplyXML(el, stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed, Text: "bind a resource first"})); err != nil {
				return err
			}
			continue
		}
		ok, err := c.bind(ctx, el, bind)
		if err != nil || ok {
			return err
		}
	}
}

func errorReplyXML(el *stanza.Element, e stanza.Error) []byte {
	return stanza.ErrorReply(el, e).AppendXML(nil, stanza.NSClient)
}

func saslFailure(condition, text string) []byte {
	f := stanza.New(nsSASL, "failure").Append(stanza.New(nsSASL, condition))
	if text != "" {
		f.Append(stanza.New(nsSASL, "text").AppendText(text))
	}
	return f.AppendXML(nil, stanza.NSClient)
}

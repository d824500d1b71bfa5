package c2s

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// bind handles the bind IQ. It reports true once a resource is bound; a refused request
// has been answered with an IQ error and the client may try again.
func (c *conn) bind(ctx context.Context, iq, req *stanza.Element) (bool, error) {
	resource := ""
	if r := req.Child(nsBind, "resource"); r != nil {
		resource = r.Text()
	}
	if resource == "" {
		resource = newResource()
	}
	full, err := jid.New(c.user, c.srv.cfg.Domain.String(), resource)
	if err != nil {
		// RFC 6120 §7.7.2.1: a resource that PRECIS refuses is a bad request.
		return false, c.writeNow(errorReplyXML(iq, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "invalid resource"}))
	}
	c.res = session.NewResource(full, c)
	if old := c.srv.cfg.Router.Bind(c.res); old != nil {
		// §7.7.2.2: the newer session wins; the old one learns why it ends.
		old.Conn().Close(&stanza.StreamError{Condition: stanza.StreamConflict, Text: "replaced by a new session"})
	}
	result := stanza.New(stanza.NSClient, "iq", "type", "result", "id", iq.Get("id")).Append(
		stanza.New(nsBind, "bind").Append(stanza.New(nsBind, "jid").AppendText(full.String())))
	c.log.LogAttrs(ctx, slog.LevelInfo, "resource bound", slog.String("jid", full.String()))
	return true, c.writeNow(result.AppendXML(nil, stanza.NSClient))
}

func newResource() string {
	var b [10]byte
	rand.Read(b[:])
	return "xmppbox-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

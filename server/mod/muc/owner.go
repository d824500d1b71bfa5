package muc

import (
	"context"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// ownerGet returns the configuration form (§10.2).
func (m *Module) ownerGet(r *room, from jid.JID) (*stanza.Element, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aff(from.Bare().String()) != "owner" {
		return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	}
	return stanza.New(NSOwner, "query").Append(configForm(r.cfg, m.opts.MaxOccupants)), nil
}

// ownerSet applies a configuration form, accepts the defaults with an empty submit
// (§10.1.2), cancels creation (§10.1.3), or destroys the room (§10.9).
func (m *Module) ownerSet(ctx context.Context, r *room, from jid.JID, q *stanza.Element) error {
	if d := q.Child(NSOwner, "destroy"); d != nil {
		return m.destroy(ctx, r, from, d)
	}
	form := q.Child(NSData, "x")
	if form == nil {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	r.mu.Lock()
	if r.aff(from.Bare().String()) != "owner" {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	}
	switch form.Get("type") {
	case "cancel":
		locked := r.locked
		r.mu.Unlock()
		if locked {
			return m.destroy(ctx, r, from, stanza.New(NSOwner, "destroy"))
		}
		return nil
	case "submit":
	default:
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	if t := formType(form); t != "" && t != NSConfig {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	before := r.cfg
	cfg, ok := applyConfig(r.cfg, form, m.opts.MaxOccupants, m.opts.MaxHistory)
	if !ok {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "invalid configuration"}
	}
	r.cfg = cfg
	r.locked = false
	// Roles follow a change of moderation (§8.6 visitors appear only in moderated rooms).
	if before.Moderated != cfg.Moderated {
		for _, o := range r.occupants {
			if o.role != "moderator" {
				o.role = r.roleFor(r.aff(o.bare))
			}
		}
	}
	var codes []string
	if before != cfg {
		codes = append(codes, "104")
	}
	if before.WhoIs != cfg.WhoIs {
		codes = append(codes, pick(cfg.nonAnonymous(), "172", "173"))
	}
	targets := r.targets(nil)
	saved := r.stored()
	r.mu.Unlock()
	if cfg.Persistent || before.Persistent {
		m.save(ctx, saved, cfg.Persistent)
	}
	if !cfg.Persistent {
		m.dropIfEmpty(r)
	}
	if len(codes) > 0 {
		// §10.2.1: occupants learn of a configuration change.
		msg := stanza.New(stanza.NSClient, "message", "type", "groupchat", "from", r.bare, "id", newID())
		x := stanza.New(NSUser, "x")
		for _, c := range codes {
			x.Append(stanza.New(NSUser, "status", "code", c))
		}
		msg.Append(x)
		for _, t := range targets {
			m.send(ctx, msg, t.full)
		}
	}
	return nil
}

// destroy ends a room (§10.9): every occupant gets unavailable presence with the
// <destroy/> element (alternate venue and reason), and the stored room is deleted.
func (m *Module) destroy(ctx context.Context, r *room, from jid.JID, d *stanza.Element) error {
	r.mu.Lock()
	owner := r.aff(from.Bare().String()) == "owner"
	r.mu.Unlock()
	if !owner {
		return stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	}
	ud := stanza.New(NSUser, "destroy")
	if alt := d.Get("jid"); alt != "" {
		ud.Set("jid", alt)
	}
	for _, c := range d.ChildElements() {
		if c.Name.Local == "reason" || c.Name.Local == "password" {
			ud.Append(stanza.New(NSUser, c.Name.Local).AppendText(c.Text()))
		}
	}
	if !m.teardown(ctx, r, ud) {
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	return nil
}

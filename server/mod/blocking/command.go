package blocking

import (
	"context"
	"log/slog"
	"slices"
	"strconv"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// get returns the block list (XEP-0191 §3.2) and makes the asking resource one that gets
// pushes.
func (m *Module) get(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	if iq.Payload.Name.Local != "blocklist" {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "expected <blocklist/>"}
	}
	if iq.Session != nil {
		m.setInterested(iq.Session)
	}
	jids, err := m.store.Blocked(ctx, iq.To.String())
	if err != nil {
		return nil, err
	}
	return itemsElement("blocklist", jids), nil
}

// set runs <block/> (§3.3) and <unblock/> (§3.4, §3.5).
func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	jids, err := parseItems(iq.Payload)
	if err != nil {
		return nil, err
	}
	owner := iq.To.String()
	switch iq.Payload.Name.Local {
	case "block":
		return nil, m.block(ctx, owner, jids)
	case "unblock":
		return nil, m.unblock(ctx, owner, jids)
	}
	return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "expected <block/> or <unblock/>"}
}

func (m *Module) block(ctx context.Context, owner string, jids []string) error {
	if len(jids) == 0 {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "<block/> needs at least one <item/>"}
	}
	current, err := m.store.Blocked(ctx, owner)
	if err != nil {
		return err
	}
	var added []string
	for _, j := range jids {
		if _, found := slices.BinarySearch(current, j); !found {
			added = append(added, j)
		}
	}
	if len(current)+len(added) > MaxItems {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.PolicyViolation, Text: "at most " + strconv.Itoa(MaxItems) + " blocked JIDs"}
	}
	if err := m.store.Block(ctx, owner, jids); err != nil {
		return err
	}
	m.forget(owner)
	m.push(ctx, owner, "block", jids)
	m.presenceOnBlock(ctx, owner, added)
	return nil
}

// unblock removes jids, or every entry when jids is empty (§3.5).
func (m *Module) unblock(ctx context.Context, owner string, jids []string) error {
	current, err := m.store.Blocked(ctx, owner)
	if err != nil {
		return err
	}
	var removed []string
	if len(jids) == 0 {
		removed = current
		err = m.store.Unblock(ctx, owner, nil)
	} else {
		for _, j := range jids {
			if _, found := slices.BinarySearch(current, j); found {
				removed = append(removed, j)
			}
		}
		err = m.store.Unblock(ctx, owner, jids)
	}
	if err != nil {
		return err
	}
	m.forget(owner)
	m.push(ctx, owner, "unblock", jids)
	m.presenceOnUnblock(ctx, owner, removed)
	return nil
}

// push tells every resource that retrieved the list what changed (§3.3, §3.4, §3.5).
func (m *Module) push(ctx context.Context, owner, name string, jids []string) {
	for _, res := range m.interestedOf(owner) {
		id := "block-push-" + strconv.FormatUint(m.pushSeq.Add(1), 10)
		iq := stanza.New(stanza.NSClient, "iq", "type", "set", "id", id, "to", res.Full())
		iq.Append(itemsElement(name, jids))
		if err := res.Send(iq); err != nil && m.log.Enabled(ctx, slog.LevelDebug) {
			m.log.LogAttrs(ctx, slog.LevelDebug, "block list push not queued", slog.String("jid", res.Full()), slog.Any("err", err))
		}
	}
}

func itemsElement(name string, jids []string) *stanza.Element {
	el := stanza.New(NS, name)
	for _, j := range jids {
		el.Append(stanza.New(NS, "item", "jid", j))
	}
	return el
}

// parseItems returns the 'jid' of each <item/>, in canonical form and without
// duplicates; a missing or invalid one is jid-malformed.
func parseItems(payload *stanza.Element) ([]string, error) {
	var jids []string
	seen := make(map[string]bool)
	for _, c := range payload.ChildElements() {
		if c.Name.Space != NS || c.Name.Local != "item" {
			continue
		}
		j, err := jid.Parse(c.Get("jid"))
		if err != nil {
			return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed, Text: "invalid item jid"}
		}
		if s := j.String(); !seen[s] {
			seen[s] = true
			jids = append(jids, s)
		}
	}
	return jids, nil
}

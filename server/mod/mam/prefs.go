package mam

import (
	"context"
	"errors"
	"io/fs"
	"slices"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// defaultPolicy applies to accounts that never set preferences: archive everything, which
// is what clients that synchronise through the archive expect.
const defaultPolicy = Always

// allowed applies owner's preferences to a message with 'with' (XEP-0441 §2.3): a listed
// full JID matches only itself, a listed bare JID every JID of that bare JID; a JID on
// both lists is never archived; others get the default. Both are normalised JIDs.
func (m *Module) allowed(ctx context.Context, owner, with string) (bool, error) {
	p, err := m.archive.Prefs(ctx, owner)
	if err != nil {
		return defaultPolicy == Always, err
	}
	bare := bareOf(with)
	if len(p.Always)+len(p.Never) > 0 {
		matches := func(listed string) bool { return listed == with || listed == bare }
		if slices.ContainsFunc(p.Never, matches) {
			return false, nil
		}
		if slices.ContainsFunc(p.Always, matches) {
			return true, nil
		}
	}
	switch orDefault(p.Default) {
	case Never:
		return false, nil
	case Roster:
		if bare == owner {
			return true, nil // one's own account counts as a contact
		}
		_, err := m.rosters.Item(ctx, owner, bare)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// orDefault returns p, or the server default when p is empty.
func orDefault(p Policy) Policy {
	if p == "" {
		return defaultPolicy
	}
	return p
}

// getPrefs answers <prefs/> (XEP-0441 §2.1): the default, and both lists even when empty.
func (m *Module) getPrefs(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	p, err := m.archive.Prefs(ctx, iq.To.String())
	if err != nil {
		return nil, err
	}
	return prefsElement(p), nil
}

// setPrefs replaces the preferences and answers with what was applied.
func (m *Module) setPrefs(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	p, err := parsePrefs(iq.Payload)
	if err != nil {
		return nil, err
	}
	if err := m.archive.SetPrefs(ctx, iq.To.String(), p); err != nil {
		return nil, err
	}
	return prefsElement(p), nil
}

func prefsElement(p Prefs) *stanza.Element {
	el := stanza.New(NS, "prefs", "default", string(orDefault(p.Default)))
	for _, list := range []struct {
		name string
		jids []string
	}{{"always", p.Always}, {"never", p.Never}} {
		l := stanza.New(NS, list.name)
		for _, j := range list.jids {
			l.Append(stanza.New(NS, "jid").AppendText(j))
		}
		el.Append(l)
	}
	return el
}

// parsePrefs reads a <prefs/> set. JIDs are normalised and listed once; one on both lists
// stays only on 'never', the safer reading.
func parsePrefs(el *stanza.Element) (Prefs, error) {
	var p Prefs
	switch d := Policy(el.Get("default")); d {
	case Always, Never, Roster:
		p.Default = d
	default:
		return p, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "default must be always, never or roster"}
	}
	read := func(name string) ([]string, error) {
		var out []string
		list := el.Child(NS, name)
		if list == nil {
			return nil, nil
		}
		for _, c := range list.ChildElements() {
			if c.Name.Space != NS || c.Name.Local != "jid" {
				continue
			}
			j, err := jid.Parse(c.Text())
			if err != nil {
				return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed, Text: "bad JID in <" + name + "/>"}
			}
			if s := j.String(); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, nil
	}
	var err error
	if p.Never, err = read("never"); err != nil {
		return p, err
	}
	if p.Always, err = read("always"); err != nil {
		return p, err
	}
	p.Always = slices.DeleteFunc(p.Always, func(j string) bool { return slices.Contains(p.Never, j) })
	return p, nil
}

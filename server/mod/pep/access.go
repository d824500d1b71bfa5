package pep

import (
	"context"
	"errors"
	"io/fs"
	"slices"

	"xmppbox/server/mod/roster"
)

// relation is what an account's roster says of another bare JID, for access decisions.
type relation struct {
	owner      bool     // the account itself
	subscribed bool     // the contact receives the account's presence (from or both)
	groups     []string // the contact's roster groups
}

// relationOf reads the roster item of who in owner's roster.
func (m *Module) relationOf(ctx context.Context, owner, who string) (relation, error) {
	if who == owner {
		return relation{owner: true}, nil
	}
	it, err := m.rosters.Item(ctx, owner, who)
	if errors.Is(err, fs.ErrNotExist) {
		return relation{}, nil
	}
	if err != nil {
		return relation{}, err
	}
	return relation{subscribed: it.Subscription == "from" || it.Subscription == "both", groups: it.Groups}, nil
}

// mayRead applies the node's access model to an entity retrieving items (XEP-0060 §6.5.2,
// errors of §6.5.9): nil, or the error to answer with. The owner may always read.
func mayRead(cfg Config, rel relation) error {
	if rel.owner {
		return nil
	}
	switch cfg.AccessModel {
	case AccessOpen:
		return nil
	case AccessPresence:
		if rel.subscribed {
			return nil
		}
		return errPresenceRequired
	case AccessRoster:
		if !rel.subscribed {
			return errPresenceRequired
		}
		if !inAllowedGroup(cfg, rel) {
			return errNotInRosterGroup
		}
		return nil
	}
	// whitelist: no affiliations can be set, so only the owner is on it.
	return errClosedNode
}

// mayNotify reports whether a node's notifications may go to rel. Only the owner and the
// contacts subscribed to the owner's presence are subscribed to a PEP node, implicitly
// (XEP-0163 §4.2 auto-subscribe); the access model then filters them (§4).
func mayNotify(cfg Config, rel relation) bool {
	if rel.owner {
		return true
	}
	return rel.subscribed && mayRead(cfg, rel) == nil
}

func inAllowedGroup(cfg Config, rel relation) bool {
	for _, g := range rel.groups {
		if slices.Contains(cfg.RosterGroupsAllowed, g) {
			return true
		}
	}
	return false
}

// relations caches roster lookups for one operation that checks many JIDs.
type relations struct {
	m     *Module
	owner string
	known map[string]relation
}

func (m *Module) relations(owner string) *relations {
	return &relations{m: m, owner: owner, known: make(map[string]relation)}
}

func (r *relations) of(ctx context.Context, bare string) (relation, error) {
	if rel, ok := r.known[bare]; ok {
		return rel, nil
	}
	rel, err := r.m.relationOf(ctx, r.owner, bare)
	if err != nil {
		return relation{}, err
	}
	r.known[bare] = rel
	return rel, nil
}

var _ Rosters = roster.Store(nil)

package vcard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const (
	// NS is vcard-temp (XEP-0054), also its disco feature (§4).
	NS = "vcard-temp"
	// NSUpdate is the presence extension of vCard-based avatars (XEP-0153 §3.1).
	NSUpdate = "vcard-temp:x:update"
)

// DefaultMaxBytes is the vCard size limit when none is configured: the default stanza
// limit, so out of the box a vCard is only bounded by the stanza that carries it.
const DefaultMaxBytes = 256 << 10

// Module serves vCards from a Store.
type Module struct {
	store    Store
	maxBytes int
	log      *slog.Logger
}

// New returns the vCard module. maxBytes bounds the XML of one vCard; 0 or less means
// DefaultMaxBytes.
func New(store Store, maxBytes int, log *slog.Logger) *Module {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Module{store: store, maxBytes: maxBytes, log: log}
}

// Register wires the vCard IQs, the disco features and the presence hook.
func (m *Module) Register(r *router.Router) {
	r.RegisterIQ("get", NS, router.ToSelf, m.getOwn)
	r.RegisterIQ("set", NS, router.ToSelf, m.set)
	r.RegisterIQ("get", NS, router.ToAccount, m.getOther)
	r.RegisterIQ("get", NS, router.ToServer, m.getServer)
	r.RegisterFeature(NS)
	r.RegisterAccountFeature(NS)
	r.OnOutbound(m.stampPresence)
}

// Get returns owner's vCard, or nil when none is stored. The caller owns the element.
func (m *Module) Get(ctx context.Context, owner string) (*stanza.Element, error) {
	c, err := m.store.Get(ctx, owner)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	card, err := xmlstream.Parse(c.XML)
	if err != nil {
		return nil, fmt.Errorf("vcard: stored vCard of %q unreadable: %w", owner, err)
	}
	return card, nil
}

// Set stores card as owner's vCard, replacing the earlier one, and returns its photo hash
// ("" without a photo). A card that is not a <vCard xmlns='vcard-temp'/>, is larger than
// the limit or has a PHOTO BINVAL that is not base64 is refused with a stanza.Error. Set
// does not change any presence already sent: clients send a new one after an upload
// (XEP-0153 §4.2), and it gets the new hash.
func (m *Module) Set(ctx context.Context, owner string, card *stanza.Element) (string, error) {
	if card.Name.Space != NS || card.Name.Local != "vCard" {
		return "", stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "the payload is not a vCard"}
	}
	raw := card.AppendXML(nil, stanza.NSClient)
	if len(raw) > m.maxBytes {
		return "", stanza.Error{Type: stanza.Modify, Condition: stanza.PolicyViolation,
			Text: "vCard larger than " + strconv.Itoa(m.maxBytes) + " bytes"}
	}
	hash, err := PhotoHash(card)
	if err != nil {
		return "", err
	}
	if err := m.store.Put(ctx, owner, Card{XML: raw, PhotoHash: hash}); err != nil {
		return "", err
	}
	return hash, nil
}

// getOwn returns the user's own vCard, or an empty one (XEP-0054 §3.1 allows either that
// or item-not-found).
func (m *Module) getOwn(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	card, err := m.Get(ctx, iq.To.String())
	if err != nil || card != nil {
		return card, err
	}
	return stanza.New(NS, "vCard"), nil
}

// getOther returns another account's vCard; with none, §3.3 requires an error.
func (m *Module) getOther(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	card, err := m.Get(ctx, iq.To.String())
	if err != nil || card != nil {
		return card, err
	}
	return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
}

// getServer answers a vCard request to the domain: the server has none.
func (m *Module) getServer(context.Context, router.IQ) (*stanza.Element, error) {
	return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
}

// set replaces the user's vCard (XEP-0054 §3.2). Another user's vCard cannot be set: the
// router answers forbidden, as §3.2 asks, because no handler serves a set to someone else.
func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	_, err := m.Set(ctx, iq.To.String(), iq.Payload)
	return nil, err
}

package private

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// NS is the jabber:iq:private namespace (XEP-0049 §2).
const NS = "jabber:iq:private"

// DefaultMaxEntries bounds the elements one account may store. Clients keep a handful
// (bookmarks, roster notes, metacontacts, preferences); each can be as large as a stanza.
const DefaultMaxEntries = 100

// ChangeHook runs after a client stored el for owner through jabber:iq:private. el is the
// stored element; for a removal it is the empty element. Hooks must not change el.
type ChangeHook func(ctx context.Context, owner string, el *stanza.Element)

// Module serves private XML storage from a Store.
type Module struct {
	store      Store
	maxEntries int
	log        *slog.Logger
	// onChange is set during registration and read-only afterwards.
	onChange []ChangeHook
}

// New returns the private storage module. maxEntries bounds the elements per account; 0 or
// less means DefaultMaxEntries.
func New(store Store, maxEntries int, log *slog.Logger) *Module {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &Module{store: store, maxEntries: maxEntries, log: log}
}

// Register wires the jabber:iq:private IQs. They serve the user's own account only
// (ToSelf): the router answers forbidden to anyone else, as XEP-0049 §2.3 prefers.
func (m *Module) Register(r *router.Router) {
	r.RegisterIQ("get", NS, router.ToSelf, m.get)
	r.RegisterIQ("set", NS, router.ToSelf, m.set)
	r.RegisterAccountFeature(NS)
}

// OnChange adds a hook run, in registration order, for each element a client stores (for
// XEP-0411, mirroring storage:bookmarks into PEP). Call it while the modules are wired,
// before the server runs.
func (m *Module) OnChange(h ChangeHook) { m.onChange = append(m.onChange, h) }

// Get returns owner's stored element {space}local, or nil when there is none. The caller
// owns the element.
func (m *Module) Get(ctx context.Context, owner, space, local string) (*stanza.Element, error) {
	raw, err := m.store.Get(ctx, owner, space, local)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	el, err := xmlstream.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("private: stored %s element of %q unreadable: %w", space, owner, err)
	}
	return el, nil
}

// Set stores el for owner under its namespace and name, replacing what was there; an
// empty element (no attributes, no content) removes the entry. Set runs no OnChange hook:
// a module that mirrors its own data into private storage must not see its write come back.
// It returns a stanza.Error when el has no namespace of its own or the storage is full.
func (m *Module) Set(ctx context.Context, owner string, el *stanza.Element) error {
	return m.put(ctx, owner, []*stanza.Element{el})
}

func (m *Module) put(ctx context.Context, owner string, els []*stanza.Element) error {
	entries := make([]Entry, 0, len(els))
	for _, el := range els {
		if err := checkElement(el); err != nil {
			return err
		}
		e := Entry{Space: el.Name.Space, Local: el.Name.Local}
		if len(el.Attr) > 0 || len(el.Children) > 0 {
			e.XML = el.AppendXML(nil, stanza.NSClient)
		}
		entries = append(entries, e)
	}
	err := m.store.Put(ctx, owner, entries, m.maxEntries)
	if errors.Is(err, ErrFull) {
		return stanza.Error{Type: stanza.Wait, Condition: stanza.ResourceConstraint,
			Text: fmt.Sprintf("private storage holds at most %d elements", m.maxEntries)}
	}
	return err
}

// checkElement refuses what cannot be keyed: an element without a namespace of its own
// (XEP-0049 §2.3: "scoped by its own namespace").
func checkElement(el *stanza.Element) error {
	if el.Name.Space == "" || el.Name.Space == NS {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "a stored element needs a namespace of its own"}
	}
	return nil
}

// get returns, in a <query/>, the stored element for each requested one, or the requested
// empty element where nothing is stored.
func (m *Module) get(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	reqs, err := queryChildren(iq.Payload)
	if err != nil {
		return nil, err
	}
	owner := iq.To.String()
	query := stanza.New(NS, "query")
	for _, req := range reqs {
		el, err := m.Get(ctx, owner, req.Name.Space, req.Name.Local)
		if err != nil {
			return nil, err
		}
		if el == nil {
			el = stanza.New(req.Name.Space, req.Name.Local)
		}
		query.Append(el)
	}
	return query, nil
}

// set stores every child of the query in one write, then runs the OnChange hooks.
func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	els, err := queryChildren(iq.Payload)
	if err != nil {
		return nil, err
	}
	owner := iq.To.String()
	if err := m.put(ctx, owner, els); err != nil {
		return nil, err
	}
	for _, el := range els {
		for _, h := range m.onChange {
			h(ctx, owner, el)
		}
	}
	return nil, nil
}

// queryChildren returns the elements inside <query xmlns='jabber:iq:private'/>, each with a
// namespace of its own, or a stanza.Error (XEP-0049 §2.3: not-acceptable without any).
func queryChildren(query *stanza.Element) ([]*stanza.Element, error) {
	if query.Name.Local != "query" {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "the payload is not a query"}
	}
	els := query.ChildElements()
	if len(els) == 0 {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "the query holds no element"}
	}
	for _, el := range els {
		if err := checkElement(el); err != nil {
			return nil, err
		}
	}
	return els, nil
}

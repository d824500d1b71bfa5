package session

import (
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// Conn is what a resource needs from its connection.
type Conn interface {
	// Send queues el for the client without blocking. It returns an error wrapping
	// ErrQueueFull when the client does not read fast enough, or ErrClosed.
	Send(el *stanza.Element) error
	// Close ends the stream with a stream error (nil: a clean close).
	Close(reason *stanza.StreamError)
	// RemoteAddr is the peer's address, for logs and the admin page.
	RemoteAddr() string
}

// Resource is one bound client resource (a full JID) and its presence state.
type Resource struct {
	jid   jid.JID
	bare  string
	full  string
	since time.Time

	mu sync.Mutex
	// conn changes when a stream-management session is detached and resumed (XEP-0198).
	// It is guarded by mu.
	conn Conn
	// presence is the last available presence broadcast by the client (RFC 6121 §4.2);
	// nil until initial presence and again after unavailable. It is guarded by mu.
	presence *stanza.Element
	priority int // guarded by mu
	// rosterRequested marks an "interested resource" (RFC 6121 §2.1.6) that gets roster
	// pushes and subscription requests. It is guarded by mu.
	rosterRequested bool
	// directed holds the JIDs this resource sent directed presence to while available,
	// so they get unavailable presence when it goes away (RFC 6121 §4.6.3). Guarded by mu.
	directed map[string]struct{}
}

// NewResource makes the resource for a bound full JID served over conn.
func NewResource(full jid.JID, conn Conn) *Resource {
	return &Resource{jid: full, bare: full.Bare().String(), full: full.String(), conn: conn, since: time.Now()}
}

func (r *Resource) JID() jid.JID     { return r.jid }
func (r *Resource) Bare() string     { return r.bare }
func (r *Resource) Full() string     { return r.full }
func (r *Resource) Since() time.Time { return r.since }

// Send queues el on the resource's current connection.
func (r *Resource) Send(el *stanza.Element) error { return r.Conn().Send(el) }

// Conn returns the connection currently serving the resource.
func (r *Resource) Conn() Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conn
}

// SetConn moves the resource to another connection (a resumed or detached stream).
func (r *Resource) SetConn(c Conn) {
	r.mu.Lock()
	r.conn = c
	r.mu.Unlock()
}

// Presence returns the last available presence and its priority; ok is false while
// the resource is not available.
func (r *Resource) Presence() (p *stanza.Element, priority int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.presence, r.priority, r.presence != nil
}

// SetPresence records an available presence (p non-nil) or unavailability (p nil).
// It reports whether this was the resource's initial presence, and on unavailable
// returns the directed-presence recipients to notify, clearing them.
func (r *Resource) SetPresence(p *stanza.Element, priority int) (initial bool, directed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	initial = r.presence == nil && p != nil
	r.presence, r.priority = p, priority
	if p == nil {
		for j := range r.directed {
			directed = append(directed, j)
		}
		r.directed = nil
	}
	return initial, directed
}

// AddDirected remembers a directed presence recipient while the resource is available.
func (r *Resource) AddDirected(to string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.presence == nil {
		return
	}
	if r.directed == nil {
		r.directed = make(map[string]struct{})
	}
	r.directed[to] = struct{}{}
}

// RemoveDirected forgets a recipient that got directed unavailable presence.
func (r *Resource) RemoveDirected(to string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.directed, to)
}

// SetRosterRequested marks the resource as interested in roster pushes.
func (r *Resource) SetRosterRequested() {
	r.mu.Lock()
	r.rosterRequested = true
	r.mu.Unlock()
}

// RosterRequested reports whether the resource asked for its roster.
func (r *Resource) RosterRequested() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rosterRequested
}

package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"xmppbox/server/stanza"
)

// pendingIQs tracks IQs the server sent on its own or an account's behalf, so their
// responses reach the code that asked.
type pendingIQs struct {
	mu      sync.Mutex
	waiting map[string]waiter // by id; guarded by mu
}

// waiter is a response handler and the address the response must come from, so that
// nobody else can answer in the asker's place.
type waiter struct {
	from   string
	handle func(*stanza.Element)
}

// SendIQ sends a get or set from the server or an account's bare JID ('from' must be
// set) and calls handle once with the result or error stanza, or with nil when none
// came within timeout. handle runs on the goroutine that delivered the response, or on
// a timer's: it must not block.
func (r *Router) SendIQ(ctx context.Context, iq *stanza.Element, timeout time.Duration, handle func(resp *stanza.Element)) {
	var b [9]byte
	rand.Read(b[:])
	id := "xb-" + hex.EncodeToString(b[:])
	iq.Set("id", id)
	r.pending.mu.Lock()
	if r.pending.waiting == nil {
		r.pending.waiting = make(map[string]waiter)
	}
	r.pending.waiting[id] = waiter{from: iq.Get("to"), handle: handle}
	r.pending.mu.Unlock()
	time.AfterFunc(timeout, func() {
		if w, ok := r.pending.take(id, ""); ok {
			w.handle(nil)
		}
	})
	r.Route(ctx, iq)
}

// take removes the waiter for id; with from set, only if the response came from where
// the request went.
func (p *pendingIQs) take(id, from string) (waiter, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.waiting[id]
	if !ok || (from != "" && w.from != from) {
		return waiter{}, false
	}
	delete(p.waiting, id)
	return w, true
}

// answer hands a response to the code waiting for it; false when nobody waits.
func (p *pendingIQs) answer(resp *stanza.Element) bool {
	w, ok := p.take(resp.Get("id"), resp.Get("from"))
	if !ok {
		return false
	}
	w.handle(resp)
	return true
}

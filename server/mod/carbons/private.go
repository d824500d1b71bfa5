package carbons

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"xmppbox/server/stanza"
)

// privateSet remembers the messages whose <private/> element the inbound hook removed,
// until their delivery hook runs: once removed, the element no longer tells that hook not
// to copy. The router hands both hooks the same *stanza.Element.
//
// Keys are weak pointers, and each entry is dropped when its message is collected, so a
// message that never reaches delivery (bounced, or stopped by a later hook) is not kept
// forever. It is safe for concurrent use.
type privateSet struct {
	// n is len(m), read without mu so that the delivery of ordinary messages takes no lock.
	n  atomic.Int64
	mu sync.Mutex
	m  map[weak.Pointer[stanza.Element]]struct{} // guarded by mu
}

// add remembers el.
func (s *privateSet) add(el *stanza.Element) {
	p := weak.Make(el)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[weak.Pointer[stanza.Element]]struct{})
	}
	if _, ok := s.m[p]; !ok {
		s.m[p] = struct{}{}
		s.n.Add(1)
	}
	s.mu.Unlock()
	runtime.AddCleanup(el, s.drop, p)
}

// take reports whether el was remembered, and forgets it.
func (s *privateSet) take(el *stanza.Element) bool {
	if s.n.Load() == 0 {
		return false
	}
	return s.forget(weak.Make(el))
}

// drop is the cleanup of a collected message.
func (s *privateSet) drop(p weak.Pointer[stanza.Element]) { s.forget(p) }

func (s *privateSet) forget(p weak.Pointer[stanza.Element]) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[p]; !ok {
		return false
	}
	delete(s.m, p)
	s.n.Add(-1)
	return true
}

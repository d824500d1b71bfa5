package c2s

import (
	"fmt"
	"sync"
	"time"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

var ackRequest = []byte("<r xmlns='" + nsSM + "'/>")

// bufPool holds outbound buffers between flushes, so idle connections hold none.
type bufPool struct{ p sync.Pool }

func (b *bufPool) get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return (*v)[:0]
	}
	return make([]byte, 0, 2048)
}

func (b *bufPool) put(buf []byte) {
	if cap(buf) > 64<<10 {
		return // a rare burst; let it go rather than pin it
	}
	b.p.Put(&buf)
}

// Send queues el for the client. It never blocks: it encodes el once into the pending
// bytes and starts the writer if it is not running. A client that lets more than
// MaxQueueBytes pile up is cut off with a stream error (a slow reader must not make the
// server buffer without bound), and the caller gets ErrQueueFull to store the stanza elsewhere.
func (c *conn) Send(el *stanza.Element) error {
	c.wmu.Lock()
	if c.closing {
		c.wmu.Unlock()
		return session.ErrClosed
	}
	if len(c.out) >= c.srv.cfg.Limits.MaxQueueBytes {
		c.wmu.Unlock()
		c.closeReason(&stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "client does not read its stream"}, CloseQueueFull)
		return fmt.Errorf("c2s: %s: %w", c.jidString(), session.ErrQueueFull)
	}
	if c.inactive {
		if c.held.hold(el) && c.held.len() < maxHeld {
			c.wmu.Unlock()
			return nil
		}
		// Something the client wants now: what it missed comes first, in order.
		c.releaseHeldLocked()
	}
	ok := c.enqueueLocked(el)
	c.wmu.Unlock()
	if !ok {
		c.closeReason(&stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "too many unacknowledged stanzas"}, CloseQueueFull)
		return fmt.Errorf("c2s: %s: %w", c.jidString(), session.ErrQueueFull)
	}
	return nil
}

// enqueueLocked encodes el into the queue and counts it for stream management. It
// reports false when the client has too much unacknowledged. Call with wmu held.
func (c *conn) enqueueLocked(el *stanza.Element) bool {
	if c.out == nil {
		c.out = c.srv.bufs.get()
	}
	start := len(c.out)
	c.out = el.AppendXML(c.out, stanza.NSClient)
	c.srv.stats.count(&c.srv.stats.out, el.Name.Local)
	if c.sm != nil && !c.sm.record(c.out[start:], c.srv.cfg.Limits.MaxUnackedBytes) {
		c.out = c.out[:start]
		return false
	}
	c.startWriterLocked()
	return true
}

// sendNonza queues stream-level XML that stream management does not count.
func (c *conn) sendNonza(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.closing {
		c.appendLocked(b)
	}
}

// appendLocked queues bytes and starts the writer. Call with wmu held.
func (c *conn) appendLocked(b []byte) {
	if c.out == nil {
		c.out = c.srv.bufs.get()
	}
	c.out = append(c.out, b...)
	c.startWriterLocked()
}

// Close ends the stream with reason (nil: a clean close), after what is queued.
func (c *conn) Close(reason *stanza.StreamError) {
	c.closeReason(reason, CloseKicked)
}

func (c *conn) closeReason(reason *stanza.StreamError, why CloseReason) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	c.why = why
	if c.out == nil {
		c.out = c.srv.bufs.get()
	}
	if !c.headerSent {
		c.out = c.appendHeader(c.out)
	}
	if reason != nil {
		c.out = reason.AppendXML(c.out)
	}
	c.out = append(c.out, xmlstream.Close...)
	c.closeAfterFlush = true
	c.startWriterLocked()
}

// startWriterLocked starts the writer goroutine if it is not running. Call with wmu held.
func (c *conn) startWriterLocked() {
	if c.writing {
		return
	}
	c.writing = true
	go c.flush()
}

// flush writes everything queued, coalescing stanzas that arrive meanwhile into one
// write (one TLS record where they fit), and exits when the queue is empty.
func (c *conn) flush() {
	for {
		c.wmu.Lock()
		if len(c.out) == 0 && c.sm != nil && !c.closing && c.sm.wantAckRequest() {
			// Ask for an acknowledgement after each burst, so unacknowledged stanzas
			// are few when a connection breaks (XEP-0198 §4).
			c.appendLocked(ackRequest)
		}
		buf := c.out
		c.out = nil
		if len(buf) == 0 {
			c.writing = false
			closeNow := c.closeAfterFlush
			c.wmu.Unlock()
			if buf != nil {
				c.srv.bufs.put(buf)
			}
			if closeNow {
				c.nc.Close()
			}
			return
		}
		w := c.w
		c.wmu.Unlock()
		w.SetWriteDeadline(time.Now().Add(c.srv.cfg.Limits.WriteTimeout))
		_, err := w.Write(buf)
		c.srv.bufs.put(buf)
		if err != nil {
			c.wmu.Lock()
			c.closing = true
			if c.why == "" {
				c.why = CloseWriteError
			}
			c.out = nil
			c.writing = false
			c.wmu.Unlock()
			c.nc.Close()
			return
		}
	}
}

// writeNow writes b synchronously; the negotiation steps use it before the session is
// bound, when nothing else can write to the connection.
func (c *conn) writeNow(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return session.ErrClosed
	}
	c.w.SetWriteDeadline(time.Now().Add(c.srv.cfg.Limits.WriteTimeout))
	_, err := c.w.Write(b)
	return err
}

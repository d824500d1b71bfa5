package component

import (
	"fmt"
	"time"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// Send queues st for the component. It never blocks: it encodes st once into the pending
// bytes and starts the writer if it is not running. A component that lets more than
// MaxQueueBytes pile up is cut off with a stream error (a component that does not read
// must not make the server buffer without bound), and the caller gets ErrQueueFull.
func (c *conn) Send(st *stanza.Element) error {
	c.wmu.Lock()
	if c.closing {
		c.wmu.Unlock()
		return ErrClosed
	}
	if len(c.out) >= c.srv.cfg.Limits.MaxQueueBytes {
		c.wmu.Unlock()
		c.closeReason(&stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "component does not read its stream"}, CloseQueueFull)
		return fmt.Errorf("component %s: %w", c.domain, ErrQueueFull)
	}
	if c.out == nil {
		c.out = make([]byte, 0, 2048)
	}
	// Stanzas are jabber:client inside the server. Written as if jabber:client were the
	// namespace in scope, a stanza and its jabber:client children carry no xmlns and so
	// take the stream's default, jabber:component:accept, which is what components
	// expect; payloads in other namespaces keep their declarations.
	c.out = st.AppendXML(c.out, stanza.NSClient)
	c.startWriterLocked()
	c.wmu.Unlock()
	return nil
}

// appendLocked queues bytes and starts the writer. Call with wmu held.
func (c *conn) appendLocked(b []byte) {
	c.out = append(c.out, b...)
	c.startWriterLocked()
}

// closeReason ends the stream with reason (nil: a clean close), after what is queued,
// and then closes the connection. Only the first call counts.
func (c *conn) closeReason(reason *stanza.StreamError, why CloseReason) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	c.why = why
	if !c.headerSent {
		// RFC 6120 §4.9.1.1, which XEP-0114 §3 refers to: an error before our header
		// still opens the stream first.
		if c.streamID == "" {
			c.streamID = newID()
		}
		c.out = appendHeader(c.out, c.srv.cfg.Domain.String(), c.streamID)
		c.headerSent = true
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

// flush writes everything queued, coalescing what arrives meanwhile into one write, and
// exits when the queue is empty.
func (c *conn) flush() {
	for {
		c.wmu.Lock()
		buf := c.out
		c.out = nil
		if len(buf) == 0 {
			c.writing = false
			closeNow := c.closeAfterFlush
			c.wmu.Unlock()
			if closeNow {
				c.nc.Close()
			}
			return
		}
		c.wmu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.Limits.WriteTimeout))
		if _, err := c.nc.Write(buf); err != nil {
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

package c2s

import (
	"io"
	"math"
	"sync/atomic"
	"time"

	"xmppbox/server/stanza"
)

// deadPeerGrace is how long an unanswered ping's stream error may take to leave.
const deadPeerGrace = 5 * time.Second

// activityReader notes when the client last sent anything, so the keepalive timer can
// tell a quiet client from a dead one without touching the read path's deadlines (an
// expired deadline would end the XML decoder for good).
type activityReader struct {
	r    io.Reader
	last *atomic.Int64 // unix nanoseconds of the last read that returned data
}

func (a activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// startKeepalive pings a bound client that has been quiet for PingInterval (XEP-0199
// §4.3) and closes the connection when it stays quiet for PingTimeout more: a phone that
// lost its network must not keep a session, and under stream management that is what
// detaches the session for a later resume.
func (c *conn) startKeepalive() {
	interval, timeout := c.srv.cfg.Limits.PingInterval, c.srv.cfg.Limits.PingTimeout
	var pingedAt int64
	var tick func()
	tick = func() {
		c.wmu.Lock()
		closing := c.closing
		c.wmu.Unlock()
		if closing {
			return
		}
		now := time.Now()
		last := c.lastRead.Load()
		switch {
		case pingedAt != 0 && last < pingedAt:
			c.closeReason(&stanza.StreamError{Condition: stanza.ConnectionTimeout, Text: "no answer to ping"}, CloseTimeout)
			// The stream error goes out if the socket still takes it; a black hole must
			// not hold the connection for a whole write timeout.
			time.AfterFunc(deadPeerGrace, func() { c.nc.Close() })
			return
		case now.Sub(time.Unix(0, last)) >= interval:
			pingedAt = now.UnixNano()
			ping := stanza.New(stanza.NSClient, "iq", "type", "get", "id", "ping-"+newID(), "from", c.srv.cfg.Domain.String(), "to", c.res.Full())
			ping.Append(stanza.New("urn:xmpp:ping", "ping"))
			c.sendUncounted(ping)
			c.keepalive.Load().Reset(timeout)
		default:
			pingedAt = 0
			c.keepalive.Load().Reset(interval - now.Sub(time.Unix(0, last)))
		}
	}
	// The timer is published before it is armed: tick reads it, possibly on another
	// goroutine, as soon as it first fires.
	t := time.AfterFunc(math.MaxInt64, tick)
	c.keepalive.Store(t)
	t.Reset(interval)
}

// sendUncounted queues a server ping. It goes around stream management's unacked
// queue on purpose: a ping is not worth resending after a resume.
func (c *conn) sendUncounted(el *stanza.Element) {
	c.sendNonza(el.AppendXML(nil, stanza.NSClient))
}

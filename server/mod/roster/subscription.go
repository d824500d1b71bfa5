package roster

// State is a contact's subscription state as seen from the roster owner (RFC 6121 §A.1):
// To means the owner receives the contact's presence, From means the contact receives the
// owner's, and the pending flags are requests not yet answered.
type State struct {
	To, From, PendingOut, PendingIn bool
}

// Event is a subscription stanza crossing the owner's server: Out events are sent by the
// owner, In events are addressed to the owner.
type Event int

const (
	OutSubscribe Event = iota
	OutUnsubscribe
	OutSubscribed
	OutUnsubscribed
	InSubscribe
	InUnsubscribe
	InSubscribed
	InUnsubscribed
)

// Transition applies e to s per the tables of RFC 6121 Appendix A.2 and A.3 and reports
// whether the state changed. The server forwards or delivers a stanza only when its
// table row changes the state (except outbound subscribe and unsubscribe, which are
// always routed, and inbound subscribe while From holds, which is auto-approved).
func Transition(s State, e Event) (State, bool) {
	n := s
	switch e {
	case OutSubscribe:
		if !s.To {
			n.PendingOut = true
		}
	case OutUnsubscribe, InUnsubscribed:
		n.To, n.PendingOut = false, false
	case OutSubscribed:
		if s.PendingIn {
			n.PendingIn, n.From = false, true
		}
	case OutUnsubscribed, InUnsubscribe:
		n.From, n.PendingIn = false, false
	case InSubscribe:
		if !s.From {
			n.PendingIn = true
		}
	case InSubscribed:
		if s.PendingOut {
			n.PendingOut, n.To = false, true
		}
	}
	return n, n != s
}

// StateOf combines a stored item and whether an inbound request is pending.
func StateOf(it Item, pendingIn bool) State {
	return State{
		To:         it.Subscription == "to" || it.Subscription == "both",
		From:       it.Subscription == "from" || it.Subscription == "both",
		PendingOut: it.Ask,
		PendingIn:  pendingIn,
	}
}

// Apply writes s's subscription and ask into it.
func (s State) Apply(it *Item) {
	switch {
	case s.To && s.From:
		it.Subscription = "both"
	case s.To:
		it.Subscription = "to"
	case s.From:
		it.Subscription = "from"
	default:
		it.Subscription = "none"
	}
	it.Ask = s.PendingOut
}

package stanza

// Error types (RFC 6120 §8.3.2): what the sender may do about the error.
const (
	Cancel   = "cancel"   // do not retry: the error cannot be remedied
	Continue = "continue" // proceed: the condition was only a warning
	Modify   = "modify"   // retry after changing the data sent
	Auth     = "auth"     // retry after providing credentials
	Wait     = "wait"     // retry after waiting: the error is temporary
)

// Defined error conditions (RFC 6120 §8.3.3).
const (
	BadRequest            = "bad-request"
	Conflict              = "conflict"
	FeatureNotImplemented = "feature-not-implemented"
	Forbidden             = "forbidden"
	Gone                  = "gone"
	InternalServerError   = "internal-server-error"
	ItemNotFound          = "item-not-found"
	JIDMalformed          = "jid-malformed"
	NotAcceptable         = "not-acceptable"
	NotAllowed            = "not-allowed"
	NotAuthorized         = "not-authorized"
	PolicyViolation       = "policy-violation"
	RecipientUnavailable  = "recipient-unavailable"
	Redirect              = "redirect"
	RegistrationRequired  = "registration-required"
	RemoteServerNotFound  = "remote-server-not-found"
	RemoteServerTimeout   = "remote-server-timeout"
	ResourceConstraint    = "resource-constraint"
	ServiceUnavailable    = "service-unavailable"
	SubscriptionRequired  = "subscription-required"
	UndefinedCondition    = "undefined-condition"
	UnexpectedRequest     = "unexpected-request"
)

// Error is a stanza error (RFC 6120 §8.3). Handlers return it as an error value; the
// router turns it into the reply with ErrorReply.
//
// An empty Type means the type RFC 6120 §8.3.3 gives for Condition in its definition or
// example (cancel when the condition is unknown); an empty Condition means
// undefined-condition. By is the JID of the entity that generated the error, usually left
// empty (RFC 6120 §8.3.2). App is an optional application-specific condition element (RFC
// 6120 §8.3.2), such as <precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/>;
// Element copies it, so one value may be returned many times.
type Error struct {
	Type, Condition, Text, By string
	App                       *Element
}

// Error returns "stanza error: TYPE CONDITION[: TEXT]".
func (e Error) Error() string {
	s := "stanza error: " + e.effectiveType() + " " + e.condition()
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes errors.Is match on type and condition, with empty fields of target as
// wildcards: errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}) matches any
// item-not-found. Text and By are ignored.
func (e Error) Is(target error) bool {
	var t Error
	switch v := target.(type) {
	case Error:
		t = v
	case *Error:
		if v == nil {
			return false
		}
		t = *v
	default:
		return false
	}
	return (t.Type == "" || t.Type == e.effectiveType()) &&
		(t.Condition == "" || t.Condition == e.condition())
}

// Element returns the <error/> child for an error stanza, in jabber:client:
//
//	<error type='…' [by='…']><CONDITION xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
//	[<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>…</text>][APP]</error>
func (e Error) Element() *Element {
	el := New(NSClient, "error", "type", e.effectiveType(), "by", e.By)
	el.Children = make([]Node, 0, 2)
	el.Append(New(NSStanzas, e.condition()))
	if e.Text != "" {
		el.Append(New(NSStanzas, "text").AppendText(e.Text))
	}
	if e.App != nil {
		el.Append(e.App.Copy())
	}
	return el
}

func (e Error) condition() string {
	if e.Condition == "" {
		return UndefinedCondition
	}
	return e.Condition
}

func (e Error) effectiveType() string {
	if e.Type != "" {
		return e.Type
	}
	return defaultType(e.condition())
}

// defaultType is the error type RFC 6120 §8.3.3 uses for each condition in its
// definition or example.
func defaultType(condition string) string {
	switch condition {
	case BadRequest, JIDMalformed, NotAcceptable, PolicyViolation, Redirect:
		return Modify
	case Forbidden, NotAuthorized, RegistrationRequired, SubscriptionRequired:
		return Auth
	case RecipientUnavailable, RemoteServerTimeout, ResourceConstraint, UnexpectedRequest:
		return Wait
	default:
		// conflict, feature-not-implemented, gone, internal-server-error, item-not-found,
		// not-allowed, remote-server-not-found, service-unavailable, undefined-condition
		// and anything unknown.
		return Cancel
	}
}

// ErrorReply builds the error response to orig: an element with orig's name and id, to
// and from swapped, type='error', a deep copy of orig's children (RFC 6120 §8.3.1 allows
// including the original payload), and e.Element() last. The <error/> child takes orig's
// namespace, so the reply serializes without extra declarations on any stream.
//
// Never call it for a stanza whose type is already "error" (RFC 6120 §8.3.1 forbids
// answering an error with an error); the caller checks. orig is not modified.
func ErrorReply(orig *Element, e Error) *Element {
	reply := New(orig.Name.Space, orig.Name.Local,
		"type", "error",
		"id", orig.Get("id"),
		"to", orig.Get("from"),
		"from", orig.Get("to"))
	reply.Children = make([]Node, 0, len(orig.Children)+1)
	for _, n := range orig.Children {
		if el, ok := n.(*Element); ok {
			if el != nil {
				reply.Children = append(reply.Children, el.Copy())
			}
			continue
		}
		reply.Children = append(reply.Children, n)
	}
	errEl := e.Element()
	errEl.Name.Space = orig.Name.Space
	reply.Children = append(reply.Children, errEl)
	return reply
}

// ResultIQ builds the result for the IQ orig (RFC 6120 §8.2.3):
// <iq type='result' id=orig.id to=orig.from from=orig.to> in orig's namespace, with
// payload as its only child when payload is not nil. Empty addresses are left out.
func ResultIQ(orig *Element, payload *Element) *Element {
	iq := New(orig.Name.Space, "iq",
		"type", "result",
		"id", orig.Get("id"),
		"to", orig.Get("from"),
		"from", orig.Get("to"))
	if payload != nil {
		iq.Children = []Node{payload}
	}
	return iq
}

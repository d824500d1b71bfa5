package stanza

// Stream error conditions (RFC 6120 §4.9.3). Where a name is shared with a stanza error
// condition, the constant has a Stream prefix; the values are the same strings.
const (
	BadFormat                 = "bad-format"
	StreamConflict            = "conflict"
	ConnectionTimeout         = "connection-timeout"
	HostUnknown               = "host-unknown"
	ImproperAddressing        = "improper-addressing"
	StreamInternalServerError = "internal-server-error"
	InvalidFrom               = "invalid-from"
	InvalidNamespace          = "invalid-namespace"
	InvalidXML                = "invalid-xml"
	StreamNotAuthorized       = "not-authorized"
	NotWellFormed             = "not-well-formed"
	StreamPolicyViolation     = "policy-violation"
	StreamResourceConstraint  = "resource-constraint"
	RestrictedXML             = "restricted-xml"
	SystemShutdown            = "system-shutdown"
	UnsupportedStanzaType     = "unsupported-stanza-type"
	UnsupportedVersion        = "unsupported-version"
	UnsupportedEncoding       = "unsupported-encoding"
)

// StreamError is a stream error (RFC 6120 §4.9): after sending it the server closes the
// stream. Use it as *StreamError, so errors.As(err, &se) with se of type *StreamError
// finds it through any wrapping.
//
// Text is sent to the peer (in English, for diagnosis), so it must not hold anything the
// peer may not know. An empty Condition means undefined-condition.
type StreamError struct {
	Condition, Text string
}

// Error returns "stream error: CONDITION[: TEXT]".
func (e *StreamError) Error() string {
	s := "stream error: " + e.condition()
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes errors.Is match on the condition, with an empty target condition as a wildcard:
// errors.Is(err, &stanza.StreamError{Condition: stanza.NotWellFormed}).
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	return ok && t != nil && (t.Condition == "" || t.Condition == e.condition())
}

// AppendXML appends the stream error element:
//
//	<stream:error><CONDITION xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
//	[<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>…</text>]</stream:error>
//
// The stream prefix is the one the server's own stream header declares (see
// xmlstream.AppendHeader).
func (e *StreamError) AppendXML(dst []byte) []byte {
	dst = append(dst, "<stream:error><"...)
	dst = append(dst, e.condition()...)
	dst = append(dst, " xmlns='"+NSStreams+"'/>"...)
	if e.Text != "" {
		dst = append(dst, "<text xmlns='"+NSStreams+"'>"...)
		dst = appendEscaped(dst, e.Text, &textEscape)
		dst = append(dst, "</text>"...)
	}
	return append(dst, "</stream:error>"...)
}

func (e *StreamError) condition() string {
	if e.Condition == "" {
		return UndefinedCondition
	}
	return e.Condition
}

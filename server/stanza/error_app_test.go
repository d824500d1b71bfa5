package stanza

import "testing"

// TestErrorApplicationCondition: an application-specific condition (RFC 6120 §8.3.2) goes
// after the defined condition and the text, and each Element gets its own copy.
func TestErrorApplicationCondition(t *testing.T) {
	e := Error{Type: Cancel, Condition: Conflict, Text: "no",
		App: New("http://jabber.org/protocol/pubsub#errors", "precondition-not-met")}
	want := `<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no</text>` +
		`<precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error>`
	el := e.Element()
	if got := el.String(); got != want {
		t.Errorf("Element() = %s\nwant %s", got, want)
	}
	el.ChildElements()[2].Set("changed", "yes")
	if e.App.Get("changed") != "" {
		t.Error("changing the reply's element changed the Error's App")
	}
}

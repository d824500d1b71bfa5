package stanza

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorElement(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{
			name: "explicit type",
			err:  Error{Type: Cancel, Condition: ItemNotFound},
			want: "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
		},
		{
			name: "text and by",
			err:  Error{Type: Modify, Condition: BadRequest, Text: "no <id>", By: "example.org"},
			want: "<error type='modify' by='example.org'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" +
				"<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no &lt;id&gt;</text></error>",
		},
		{
			name: "default type for the condition",
			err:  Error{Condition: NotAuthorized},
			want: "<error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
		},
		{
			name: "empty condition",
			err:  Error{},
			want: "<error type='cancel'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Element().String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDefaultTypes(t *testing.T) {
	want := map[string]string{
		BadRequest: Modify, Conflict: Cancel, FeatureNotImplemented: Cancel, Forbidden: Auth,
		Gone: Cancel, InternalServerError: Cancel, ItemNotFound: Cancel, JIDMalformed: Modify,
		NotAcceptable: Modify, NotAllowed: Cancel, NotAuthorized: Auth, PolicyViolation: Modify,
		RecipientUnavailable: Wait, Redirect: Modify, RegistrationRequired: Auth,
		RemoteServerNotFound: Cancel, RemoteServerTimeout: Wait, ResourceConstraint: Wait,
		ServiceUnavailable: Cancel, SubscriptionRequired: Auth, UndefinedCondition: Cancel,
		UnexpectedRequest: Wait, "x-unknown": Cancel,
	}
	for cond, typ := range want {
		t.Run(cond, func(t *testing.T) {
			if got := (Error{Condition: cond}).Element().Get("type"); got != typ {
				t.Errorf("type = %q, want %q", got, typ)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("roster: %w", Error{Type: Cancel, Condition: ItemNotFound, Text: "gone"})
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{"same condition", Error{Condition: ItemNotFound}, true},
		{"pointer target", &Error{Condition: ItemNotFound}, true},
		{"type and condition", Error{Type: Cancel, Condition: ItemNotFound}, true},
		{"wildcard", Error{}, true},
		{"other condition", Error{Condition: Forbidden}, false},
		{"other type", Error{Type: Wait, Condition: ItemNotFound}, false},
		{"stream error", &StreamError{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(err, tt.target); got != tt.want {
				t.Errorf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
	var se Error
	if !errors.As(err, &se) || se.Text != "gone" {
		t.Errorf("errors.As = %+v", se)
	}
	if got, want := err.Error(), "roster: stanza error: cancel item-not-found: gone"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(Error{Condition: Forbidden}, Error{Type: Auth}) {
		t.Error("an empty Type does not match its default type")
	}
}

func TestErrorReply(t *testing.T) {
	tests := []struct {
		name string
		orig *Element
		err  Error
		want string
	}{
		{
			name: "iq with payload",
			orig: New(NSClient, "iq", "type", "get", "id", "q1", "from", "alice@example.org/a", "to", "example.org",
				"xml:ignored", "x").Append(New("urn:xmpp:unknown", "query")),
			err: Error{Type: Cancel, Condition: ServiceUnavailable},
			want: "<iq type='error' id='q1' to='alice@example.org/a' from='example.org'><query xmlns='urn:xmpp:unknown'/>" +
				"<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
		},
		{
			name: "message without from or id",
			orig: New(NSClient, "message", "to", "bob@example.org").Append(New(NSClient, "body").AppendText("hi")),
			err:  Error{Condition: RecipientUnavailable},
			want: "<message type='error' from='bob@example.org'><body>hi</body>" +
				"<error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
		},
		{
			name: "server-to-server stanza keeps its namespace",
			orig: New("jabber:server", "presence", "from", "a@x", "to", "b@y"),
			err:  Error{Condition: RemoteServerNotFound},
			want: "<presence type='error' to='a@x' from='b@y'><error type='cancel'>" +
				"<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.orig.String()
			reply := ErrorReply(tt.orig, tt.err)
			if got := string(reply.AppendXML(nil, tt.orig.Name.Space)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			reply.ChildElements()[0].Name.Local = "changed"
			if tt.orig.String() != before {
				t.Error("ErrorReply or changing its result modified orig")
			}
		})
	}
}

func TestResultIQ(t *testing.T) {
	orig := New(NSClient, "iq", "type", "get", "id", "p1", "from", "alice@example.org/a", "to", "example.org")
	tests := []struct {
		name    string
		orig    *Element
		payload *Element
		want    string
	}{
		{"no payload", orig, nil, "<iq type='result' id='p1' to='alice@example.org/a' from='example.org'/>"},
		{"payload", orig, New("jabber:iq:version", "query"),
			"<iq type='result' id='p1' to='alice@example.org/a' from='example.org'><query xmlns='jabber:iq:version'/></iq>"},
		{"no addresses", New(NSClient, "iq", "type", "set", "id", "b1"), nil, "<iq type='result' id='b1'/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResultIQ(tt.orig, tt.payload).String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

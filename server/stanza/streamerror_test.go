package stanza

import (
	"errors"
	"fmt"
	"testing"
)

func TestStreamErrorAppendXML(t *testing.T) {
	tests := []struct {
		name string
		err  *StreamError
		want string
	}{
		{"condition only", &StreamError{Condition: NotWellFormed},
			"<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"},
		{"with text", &StreamError{Condition: StreamPolicyViolation, Text: "stanza > 256 KiB & more"},
			"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
				"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>stanza &gt; 256 KiB &amp; more</text></stream:error>"},
		{"empty condition", &StreamError{},
			"<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.err.AppendXML([]byte{})); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestStreamErrorAsIs(t *testing.T) {
	err := fmt.Errorf("c2s: read: %w", &StreamError{Condition: RestrictedXML, Text: "comment"})
	var se *StreamError
	if !errors.As(err, &se) || se.Condition != RestrictedXML {
		t.Fatalf("errors.As = %v, %+v", errors.As(err, &se), se)
	}
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{"same condition", &StreamError{Condition: RestrictedXML}, true},
		{"wildcard", &StreamError{}, true},
		{"other condition", &StreamError{Condition: NotWellFormed}, false},
		{"stanza error", Error{Condition: RestrictedXML}, false},
		{"nil", (*StreamError)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(err, tt.target); got != tt.want {
				t.Errorf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
	if got, want := se.Error(), "stream error: restricted-xml: comment"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

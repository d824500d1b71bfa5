package sasl

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"

	msasl "mellium.im/sasl"
)

// melliumPlain is the PLAIN message mellium.im/sasl's client builds.
func melliumPlain(t *testing.T, authzid, user, password string) []byte {
	t.Helper()
	n := msasl.NewClient(msasl.Plain, msasl.Credentials(func() ([]byte, []byte, []byte) {
		return []byte(user), []byte(password), []byte(authzid)
	}))
	_, resp, err := n.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestPLAIN(t *testing.T) {
	tests := []struct {
		name        string
		msg         []byte
		wantErr     error
		wantUser    string
		wantAuthzID string
		wantLookups []string
	}{
		{name: "mellium client", msg: melliumPlain(t, "", "alice", "pencil"), wantUser: "alice", wantLookups: []string{"alice"}},
		{name: "mellium client with authzid", msg: melliumPlain(t, "alice@example.org", "alice", "pencil"),
			wantUser: "alice", wantAuthzID: "alice@example.org", wantLookups: []string{"alice"}},
		{name: "authzid equals authcid", msg: []byte("alice\x00alice\x00pencil"), wantUser: "alice", wantAuthzID: "alice", wantLookups: []string{"alice"}},
		{name: "authcid case-mapped", msg: []byte("\x00ALICE\x00pencil"), wantUser: "alice", wantLookups: []string{"alice"}},
		{name: "authzid case-mapped", msg: []byte("Alice@example.org\x00alice\x00pencil"),
			wantUser: "alice", wantAuthzID: "Alice@example.org", wantLookups: []string{"alice"}},

		{name: "wrong password", msg: []byte("\x00alice\x00Pencil"), wantErr: ErrAuthFailed, wantLookups: []string{"alice"}},
		{name: "unknown user", msg: []byte("\x00bob\x00pencil"), wantErr: ErrAuthFailed, wantLookups: []string{"bob"}},
		{name: "invalid username not looked up", msg: []byte("\x00al ice\x00pencil"), wantErr: ErrAuthFailed},
		{name: "JID as authcid", msg: []byte("\x00alice@example.org\x00pencil"), wantErr: ErrAuthFailed},
		{name: "password with control character", msg: []byte("\x00alice\x00pencil\a"), wantErr: ErrAuthFailed, wantLookups: []string{"alice"}},
		{name: "other authzid", msg: []byte("bob\x00alice\x00pencil"), wantErr: ErrInvalidAuthzID, wantLookups: []string{"alice"}},
		{name: "other JID authzid", msg: []byte("bob@example.org\x00alice\x00pencil"), wantErr: ErrInvalidAuthzID, wantLookups: []string{"alice"}},
		{name: "full JID authzid", msg: []byte("alice@example.org/phone\x00alice\x00pencil"), wantErr: ErrInvalidAuthzID, wantLookups: []string{"alice"}},
		{name: "authzid wrong password", msg: []byte("bob\x00alice\x00x"), wantErr: ErrAuthFailed, wantLookups: []string{"alice"}},

		{name: "no separator", msg: []byte("alicepencil"), wantErr: ErrMalformed},
		{name: "one separator", msg: []byte("alice\x00pencil"), wantErr: ErrMalformed},
		{name: "three separators", msg: []byte("\x00alice\x00pen\x00cil"), wantErr: ErrMalformed},
		{name: "empty authcid", msg: []byte("alice\x00\x00pencil"), wantErr: ErrMalformed},
		{name: "empty password", msg: []byte("\x00alice\x00"), wantErr: ErrMalformed},
		{name: "only separators", msg: []byte("\x00\x00"), wantErr: ErrMalformed},
		{name: "not UTF-8", msg: []byte("\x00alice\x00pen\xffcil"), wantErr: ErrMalformed},
	}
	b := Binding{State: &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newAccounts(t)
			conv, err := NewConversation("PLAIN", b, store.lookup)
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := conv.Step(t.Context(), tt.msg)
			wantErr(t, "step", err, tt.wantErr)
			if out != nil || !done {
				t.Errorf("out=%q done=%v, want nil, true", out, done)
			}
			if tt.wantErr == ErrInvalidAuthzID && !errors.Is(err, ErrAuthFailed) {
				t.Errorf("%v does not wrap ErrAuthFailed", err)
			}
			if tt.wantErr != nil && tt.wantErr != ErrInvalidAuthzID && errors.Is(err, ErrInvalidAuthzID) {
				t.Errorf("%v reveals the authzid check", err)
			}
			if conv.Username() != tt.wantUser || conv.AuthzID() != tt.wantAuthzID {
				t.Errorf("Username %q AuthzID %q, want %q %q", conv.Username(), conv.AuthzID(), tt.wantUser, tt.wantAuthzID)
			}
			if got := store.lookups(); !slices.Equal(got, tt.wantLookups) {
				t.Errorf("lookups %q, want %q", got, tt.wantLookups)
			}
			if _, _, err := conv.Step(t.Context(), tt.msg); !errors.Is(err, ErrAborted) {
				t.Errorf("second step: %v, want ErrAborted", err)
			}
		})
	}
}

func TestPLAINEmptyInitialResponse(t *testing.T) {
	b := Binding{State: &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}}
	conv, err := NewConversation("PLAIN", b, newAccounts(t).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if out, done, err := conv.Step(t.Context(), []byte{}); out != nil || done || err != nil {
		t.Fatalf("empty initial response: out=%q done=%v err=%v", out, done, err)
	}
	if _, done, err := conv.Step(t.Context(), []byte("\x00alice\x00pencil")); !done || err != nil {
		t.Fatalf("response: done=%v err=%v", done, err)
	}
}

func TestPLAINLookupFailure(t *testing.T) {
	storeDown := errors.New("store down")
	b := Binding{State: &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}}
	conv, err := NewConversation("PLAIN", b, (&accounts{err: storeDown}).lookup)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = conv.Step(t.Context(), []byte("\x00alice\x00pencil"))
	if !errors.Is(err, storeDown) || errors.Is(err, ErrAuthFailed) {
		t.Fatalf("err %v, want the store error and not ErrAuthFailed", err)
	}
}

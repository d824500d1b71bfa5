package cli

import (
	"encoding/json"
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
)

// userDetails returns the accounts of dir as `user list --json` shows them.
func userDetails(t *testing.T, dir string) map[string]apitype.UserDetail {
	t.Helper()
	r := mustRun(t, "", "user", "list", "--json", "--data", dir)
	var l apitype.UserList
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
		t.Fatalf("list --json: %q: %v", r.stdout, err)
	}
	if len(l.Details) != len(l.Users) {
		t.Fatalf("list --json: %d details for %d users", len(l.Details), len(l.Users))
	}
	m := make(map[string]apitype.UserDetail)
	for i, d := range l.Details {
		if d.JID != l.Users[i] {
			t.Errorf("details[%d] is %s, users[%d] %s", i, d.JID, i, l.Users[i])
		}
		m[d.JID] = d
	}
	return m
}

func TestUserFlagCommands(t *testing.T) {
	type flags struct{ admin, disabled bool }
	steps := []struct {
		stdin   string
		args    []string
		wantOut string           // regexp the stdout must match
		wantErr string           // substring of the error
		errIs   error            // what the error must match, if not nil
		want    map[string]flags // the accounts' flags after the step, if not nil
	}{
		{args: []string{"user", "add", "--admin", "Alice"}, wantOut: `^jid: alice@example.org\npassword: [a-zA-Z0-9]{20}\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {admin: true}}},
		{stdin: "pencil\n", args: []string{"user", "add", "bob", "--password-stdin", "--admin=false"}, wantOut: `^jid: bob@example.org\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {admin: true}, "bob@example.org": {}}},
		{args: []string{"user", "add", "--admin", "alice"}, wantErr: "alice@example.org: user already exists", errIs: fs.ErrExist,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {admin: true}, "bob@example.org": {}}},
		{args: []string{"user", "disable", "Bob"}, wantOut: `^bob@example.org: disabled\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {admin: true}, "bob@example.org": {disabled: true}}},
		{args: []string{"user", "promote", "bob@example.org"}, wantOut: `^bob@example.org: promoted to administrator\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {admin: true}, "bob@example.org": {admin: true, disabled: true}}},
		{args: []string{"user", "demote", "alice"}, wantOut: `^alice@example.org: demoted to ordinary user\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {}, "bob@example.org": {admin: true, disabled: true}}},
		{args: []string{"user", "enable", "bob"}, wantOut: `^bob@example.org: enabled\n$`,
			want: map[string]flags{"admin@example.org": {admin: true}, "alice@example.org": {}, "bob@example.org": {admin: true}}},
		{args: []string{"user", "enable", "bob"}, wantOut: `^bob@example.org: enabled\n$`},
		{args: []string{"user", "disable", "carol"}, wantErr: "carol@example.org: no such user", errIs: fs.ErrNotExist},
		{args: []string{"user", "promote", "carol@other.org"}, wantErr: "this server serves example.org", errIs: admin.ErrInvalid},
		{args: []string{"user", "demote"}, wantErr: "accepts 1 arg(s), received 0"},
		{args: []string{"user", "enable", "a", "b"}, wantErr: "accepts 1 arg(s), received 2"},
	}
	for _, m := range accesses() {
		t.Run(m.name, func(t *testing.T) {
			dir, _ := initDir(t)
			m.start(t, dir)
			for _, s := range steps {
				r := run(t, s.stdin, nil, append(s.args, "--data", dir)...)
				name := strings.Join(s.args, " ")
				switch {
				case s.wantErr != "":
					if r.err == nil || !strings.Contains(r.err.Error(), s.wantErr) || (s.errIs != nil && !errors.Is(r.err, s.errIs)) {
						t.Fatalf("%s: err = %v, want %q", name, r.err, s.wantErr)
					}
				case r.err != nil:
					t.Fatalf("%s: %v", name, r.err)
				case !regexp.MustCompile(s.wantOut).MatchString(r.stdout):
					t.Fatalf("%s: stdout %q, want %s", name, r.stdout, s.wantOut)
				}
				if s.want == nil {
					continue
				}
				got := userDetails(t, dir)
				if len(got) != len(s.want) {
					t.Fatalf("%s: accounts %v, want %v", name, got, s.want)
				}
				for j, f := range s.want {
					if d := got[j]; d != (apitype.UserDetail{JID: j, Admin: f.admin, Disabled: f.disabled}) {
						t.Errorf("%s: %s is %+v, want %+v", name, j, d, f)
					}
				}
			}
			// The plain list stays one bare JID per line, whatever the flags.
			if r := mustRun(t, "", "user", "list", "--data", dir); r.stdout != "admin@example.org\nalice@example.org\nbob@example.org\n" {
				t.Errorf("list: %q", r.stdout)
			}
		})
	}
}

func TestUserHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user", "--help"}, "promote"},
		{[]string{"user", "add", "--help"}, "--admin"},
		{[]string{"user", "disable", "--help"}, "stored offline"},
		{[]string{"user", "demote", "--help"}, `"JID: demoted to ordinary user"`},
		{[]string{"user", "list", "--help"}, `"details"`},
		{[]string{"invite", "--help"}, "revoke"},
		{[]string{"invite", "create", "--help"}, "--username"},
		{[]string{"invite", "list", "--help"}, `"operator"`},
		{[]string{"invite", "revoke", "--help"}, `Prints "revoked"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := mustRun(t, "", tt.args...)
			if !strings.Contains(r.stdout, tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, r.stdout)
			}
		})
	}
}

package blocking

import "testing"

// TestBlocks checks the JID matching order of XEP-0191 §6.
func TestBlocks(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		addr  string
		want  bool
	}{
		{"full matches itself", "bob@example.org/phone", "bob@example.org/phone", true},
		{"full: other resource", "bob@example.org/phone", "bob@example.org/laptop", false},
		{"full: not the bare JID", "bob@example.org/phone", "bob@example.org", false},
		{"bare matches itself", "bob@example.org", "bob@example.org", true},
		{"bare matches any resource", "bob@example.org", "bob@example.org/phone", true},
		{"bare: resource with a slash", "bob@example.org", "bob@example.org/a/b", true},
		{"bare: other user", "bob@example.org", "carol@example.org", false},
		{"bare: prefix is not a match", "bob@example.org", "bob@example.org.evil", false},
		{"domain/resource matches itself", "example.org/bot", "example.org/bot", true},
		{"domain/resource: not a user's resource", "example.org/bot", "bob@example.org/bot", false},
		{"domain/resource: not the domain", "example.org/bot", "example.org", false},
		{"domain matches itself", "example.org", "example.org", true},
		{"domain matches a user", "example.org", "bob@example.org", true},
		{"domain matches a user's resource", "example.org", "bob@example.org/phone", true},
		{"domain matches its resources", "example.org", "example.org/bot", true},
		{"domain matches a subdomain", "example.org", "muc.example.org", true},
		{"domain matches a subdomain's users", "example.org", "room@muc.example.org/nick", true},
		{"domain: suffix without a dot", "example.org", "badexample.org", false},
		{"domain: parent is not covered", "muc.example.org", "example.org", false},
		{"domain: local part that looks like a domain", "example.org", "example.org@other.net", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newBlocklist([]string{tc.entry})
			if got := l.blocks(tc.addr); got != tc.want {
				t.Errorf("[%s].blocks(%s) = %v, want %v", tc.entry, tc.addr, got, tc.want)
			}
		})
	}
	if newBlocklist(nil).blocks("bob@example.org") {
		t.Error("an empty list blocks")
	}
}

func TestBlocksAllocatesNothing(t *testing.T) {
	l := newBlocklist([]string{"bob@example.org", "spam.example", "carol@example.net/x"})
	allocs := testing.AllocsPerRun(100, func() {
		l.blocks("dave@sub.example.com/phone")
		l.blocks("x@a.spam.example/r")
	})
	if allocs != 0 {
		t.Errorf("blocks allocates %v times per call, want 0", allocs)
	}
}

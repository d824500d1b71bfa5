package blocking

import "strings"

// blocklist is one account's block list as a set, for matching. It is not changed after
// newBlocklist, so it is safe for concurrent use.
type blocklist struct {
	jids map[string]struct{}
}

func newBlocklist(jids []string) *blocklist {
	l := &blocklist{}
	if len(jids) > 0 {
		l.jids = make(map[string]struct{}, len(jids))
		for _, j := range jids {
			l.jids[j] = struct{}{}
		}
	}
	return l
}

func (l *blocklist) empty() bool { return len(l.jids) == 0 }

func (l *blocklist) has(j string) bool {
	_, ok := l.jids[j]
	return ok
}

// blocks reports whether addr, a JID in canonical form, matches an entry (XEP-0191 §6, as
// XEP-0016 §2.1): the full JID itself (a user@domain/resource or domain/resource entry),
// its bare JID (a user@domain entry), or its domain or any parent domain (a domain entry
// covers the domain's users, resources and subdomains). It allocates nothing.
func (l *blocklist) blocks(addr string) bool {
	if len(l.jids) == 0 {
		return false
	}
	if l.has(addr) {
		return true
	}
	bare, _, hasResource := strings.Cut(addr, "/")
	if hasResource && l.has(bare) {
		return true
	}
	domain := bare
	if at := strings.IndexByte(bare, '@'); at >= 0 {
		domain = bare[at+1:]
	}
	for d := domain; ; {
		if l.has(d) {
			return true
		}
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return false
		}
		d = d[dot+1:]
	}
}

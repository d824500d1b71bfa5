package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"xmppbox/server/s2s"
)

// S2S configures federation: links with other XMPP servers (RFC 6120 server-to-server).
type S2S struct {
	// Federation is "peers" (the default: only configured peers) or "open" (any server
	// found through DNS, except Deny).
	Federation string `toml:"federation"`
	// Policy is how remote servers prove their identity: "require-valid-cert" (the
	// default) or "dialback-ok". A peer's own policy takes precedence.
	Policy         string        `toml:"policy"`
	Deny           []string      `toml:"deny"`            // domains never linked with
	MaxConnections int           `toml:"max_connections"` // links in and out; 0 = 200
	IdleTimeout    time.Duration `toml:"idle_timeout"`    // a quiet link is closed; 0 = 10 min
}

// Peer is one [[peers]] table: a remote server to federate with.
type Peer struct {
	Domain string `toml:"domain"`
	Addr   string `toml:"addr"` // host:port; "" to look it up in DNS
	// CAFile is a PEM file of the CA to trust for this peer only, relative to the data
	// directory unless absolute; "" to verify it with the server's roots.
	CAFile string `toml:"ca_file"`
	Policy string `toml:"policy"` // "" means S2S.Policy
}

// defaultS2S is the [s2s] table of Default: federation with configured peers only, and
// certificates that must be valid.
func defaultS2S() S2S {
	return S2S{Federation: string(s2s.PeersOnly), Policy: string(s2s.RequireValidCert), IdleTimeout: 10 * time.Minute}
}

// loadS2S is Load's part for [s2s] and [[peers]]: it refuses durations without a unit,
// records where each peer's keys are, and normalises the domains that are valid (Validate
// reports the others).
func (c *Config) loadS2S(md toml.MetaData, path, doc string) error {
	if md.Type("s2s", "idle_timeout") == "Integer" {
		return c.errorf("s2s.idle_timeout", "s2s.idle_timeout needs a unit: write it as a string such as \"10m\"")
	}
	for i, keys := range arrayTableLines(doc, "peers") {
		for k, n := range keys {
			c.origin[peerKey(i, k)] = path + ":" + strconv.Itoa(n)
		}
	}
	if len(c.S2S.Deny) == 0 {
		c.S2S.Deny = nil // `deny = []` is the same as no deny
	}
	for i, d := range c.S2S.Deny {
		if n, err := ParseDomain(d); err == nil {
			c.S2S.Deny[i] = n
		}
	}
	for i := range c.Peers {
		if n, err := ParseDomain(c.Peers[i].Domain); err == nil {
			c.Peers[i].Domain = n
		}
	}
	return nil
}

// peerKey is the origin key of key ("domain") in the i-th [[peers]] table; key "" is the
// table's header.
func peerKey(i int, key string) string {
	if key == "" {
		return "peers." + strconv.Itoa(i)
	}
	return "peers." + strconv.Itoa(i) + "." + key
}

// arrayTableLines returns, for each [[name]] table of doc in order, the line numbers of
// its keys, and of its header under "". Like keyLines, it reads the simple layout the file
// uses; an inline array of tables gets no lines.
func arrayTableLines(doc, name string) []map[string]int {
	var out []map[string]int
	in := false
	for i, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case strings.HasPrefix(line, "[["):
			in = cleanKey(strings.Trim(strings.SplitN(line, "#", 2)[0], "[] \t")) == name
			if in {
				out = append(out, map[string]int{"": i + 1})
			}
		case line[0] == '[':
			in = false
		case in:
			if k, _, ok := strings.Cut(line, "="); ok {
				if k = cleanKey(k); out[len(out)-1][k] == 0 {
					out[len(out)-1][k] = i + 1
				}
			}
		}
	}
	return out
}

// peerErrorf reports an error in the i-th [[peers]] table, at key's line if known, else at
// the table's.
func (c *Config) peerErrorf(i int, key, format string, args ...any) error {
	k := peerKey(i, key)
	if _, ok := c.origin[k]; !ok {
		k = peerKey(i, "")
	}
	if _, ok := c.origin[k]; !ok {
		k = "peers" // an inline array: its line, at least
	}
	return c.errorf(k, "[[peers]] "+format, args...)
}

// validateS2S is Validate's part for [s2s] and [[peers]].
func (c *Config) validateS2S() error {
	switch s2s.Federation(c.S2S.Federation) {
	case s2s.PeersOnly, s2s.Open:
	default:
		return c.errorf("s2s.federation", "s2s.federation is %q: give %q (only the configured peers) or %q (any server found through DNS, except deny)",
			c.S2S.Federation, s2s.PeersOnly, s2s.Open)
	}
	switch s2s.Policy(c.S2S.Policy) {
	case s2s.RequireValidCert, s2s.DialbackOK:
	default:
		return c.errorf("s2s.policy", "s2s.policy is %q: give %q or %q", c.S2S.Policy, s2s.RequireValidCert, s2s.DialbackOK)
	}
	if c.S2S.MaxConnections < 0 {
		return c.errorf("s2s.max_connections", "s2s.max_connections must not be negative (0 means the default)")
	}
	if c.S2S.IdleTimeout < 0 {
		return c.errorf("s2s.idle_timeout", "s2s.idle_timeout must not be negative (0 means the default)")
	}
	denied := map[string]bool{}
	for _, d := range c.S2S.Deny {
		n, err := ParseDomain(d)
		if err != nil {
			return c.errorf("s2s.deny", "s2s.deny: %v", err)
		}
		denied[n] = true
	}
	own, _ := ParseDomain(c.Domain) // checked by Validate before
	seen := map[string]int{}
	for i, p := range c.Peers {
		if p.Domain == "" {
			return c.peerErrorf(i, "", "domain is missing: give the peer's XMPP domain")
		}
		d, err := ParseDomain(p.Domain)
		switch {
		case err != nil:
			return c.peerErrorf(i, "domain", "domain: %v", err)
		case d == own:
			return c.peerErrorf(i, "domain", "domain %s is this server's own domain", d)
		case denied[d]:
			return c.peerErrorf(i, "domain", "domain %s is also in s2s.deny: remove it from one of them", d)
		}
		if j, ok := seen[d]; ok {
			at := ""
			if src, ok := c.origin[peerKey(j, "")]; ok {
				at = " (also at " + src + ")"
			}
			return c.peerErrorf(i, "domain", "domain %s is listed twice%s", d, at)
		}
		seen[d] = i
		if p.Addr != "" {
			if err := s2s.CheckAddr(p.Addr); err != nil {
				return c.peerErrorf(i, "addr", "%s addr: %v", d, err)
			}
		}
		switch s2s.Policy(p.Policy) {
		case "", s2s.RequireValidCert, s2s.DialbackOK:
		default:
			return c.peerErrorf(i, "policy", "%s policy is %q: give %q or %q, or leave it out for s2s.policy",
				d, p.Policy, s2s.RequireValidCert, s2s.DialbackOK)
		}
	}
	return nil
}

// PeerConfigs returns the [[peers]] tables as the s2s package takes them, with each
// ca_file read; a relative ca_file is in dataDir. c must be valid (Load checked it).
// Errors point at the peer's table: an unreadable file, or one with no PEM certificate.
func (c *Config) PeerConfigs(dataDir string) ([]s2s.PeerConfig, error) {
	var out []s2s.PeerConfig
	for i, p := range c.Peers {
		d, err := ParseDomain(p.Domain)
		if err != nil {
			return nil, c.peerErrorf(i, "domain", "domain: %v", err)
		}
		pc := s2s.PeerConfig{Domain: d, Addr: p.Addr, Policy: s2s.Policy(p.Policy)}
		if p.CAFile != "" {
			path := p.CAFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(dataDir, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is in the message already
				}
				return nil, c.peerErrorf(i, "ca_file", "%s ca_file %s: %v", d, path, err)
			}
			pc.CAPEM = string(data)
			if _, err := pc.Peer(); err != nil {
				return nil, c.peerErrorf(i, "ca_file", "%s ca_file %s: no PEM certificate in it "+
					"(\"xmppbox cert ca\" on that box prints one)", d, path)
			}
		}
		out = append(out, pc)
	}
	return out, nil
}

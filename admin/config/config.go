package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"mellium.im/xmpp/jid"
)

// FileName is the name of the configuration file inside the data directory.
const FileName = "xmppbox.toml"

// Default listener addresses: all interfaces, the IANA ports for XMPP (RFC 6120 §14.7,
// XEP-0368) and the conventional ports for XMPP HTTP services.
const (
	DefaultC2SAddr    = ":5222"
	DefaultC2STLSAddr = ":5223"
	DefaultS2SAddr    = ":5269"
	DefaultHTTPSAddr  = ":5281"
	DefaultHTTPAddr   = ":5280"
)

// DefaultComponentAddr is the listener for external components (XEP-0114), on the
// conventional port: loopback, because a component authenticates with a shared secret
// alone, over a stream without TLS.
const DefaultComponentAddr = "127.0.0.1:5347"

// DefaultSCRAMIterations is the PBKDF2 iteration count for new passwords: the minimum RFC
// 7677 allows, because a Raspberry Pi pays it on every login.
const DefaultSCRAMIterations = 4096

// Config is the content of the configuration file after defaults and overrides.
type Config struct {
	Domain    string    `toml:"domain"`    // the XMPP domain this box serves
	LogLevel  string    `toml:"log_level"` // debug, info, warn or error
	Listeners Listeners `toml:"listeners"`
	Auth      Auth      `toml:"auth"`
	Register  Register  `toml:"register"`
	ACME      *ACME     `toml:"acme"` // nil: certificates come from the local CA
	Limits    Limits    `toml:"limits"`
	MAM       MAM       `toml:"mam"`
	MUC       MUC       `toml:"muc"`
	S2S       S2S       `toml:"s2s"`   // federation (s2s.go)
	Peers     []Peer    `toml:"peers"` // [[peers]] tables: the servers to federate with

	// origin maps a setting's key ("listeners.c2s_addr") to where its value came from
	// ("xmppbox.toml:7", "--c2s-addr", "XMPPBOX_C2S_ADDR"), so errors can point there.
	origin map[string]string
}

// Listeners are the addresses the server listens on, as host:port; "" disables a listener.
type Listeners struct {
	C2S    string `toml:"c2s_addr"`     // client connections with STARTTLS
	C2STLS string `toml:"c2s_tls_addr"` // client connections with direct TLS (XEP-0368)
	S2S    string `toml:"s2s_addr"`     // server-to-server
	// S2STLS takes server-to-server streams with TLS from the first byte (XEP-0368), for
	// servers whose DNS has a _xmpps-server._tcp record; off by default.
	S2STLS string `toml:"s2s_tls_addr"`
	HTTPS  string `toml:"https_addr"` // web page and HTTP services over TLS
	HTTP   string `toml:"http_addr"`  // plain HTTP (redirects, ACME challenges)
	// Metrics serves /metrics in the Prometheus text format over plain HTTP; off by
	// default, and meant for a loopback address.
	Metrics string `toml:"metrics_addr"`
	// Component accepts external components such as gateways (XEP-0114); meant for a
	// loopback address (see DefaultComponentAddr).
	Component string `toml:"component_addr"`
}

// Auth configures how passwords are stored.
type Auth struct {
	SCRAMIterations int `toml:"scram_iterations"` // PBKDF2 iterations for new passwords; at least 4096
}

// Register configures in-band registration (XEP-0077): who may create an account from a
// client. Changing one's password and deleting one's account from a client always work.
type Register struct {
	Enabled    bool `toml:"enabled"`     // anyone who can connect may create an account
	InviteOnly bool `toml:"invite_only"` // only with an invitation (xmppbox invite create)
	// MaxPerIPPerHour bounds registrations without an invitation from one address; 0 means 5.
	MaxPerIPPerHour int `toml:"max_per_ip_per_hour"`
}

// MAM configures the message archive (XEP-0313) clients fetch their history from.
type MAM struct {
	Enabled   bool          `toml:"enabled"`   // archive 1:1 messages; on by default
	Retention time.Duration `toml:"retention"` // how long messages are kept; 0 means a year
}

// MUC configures the chat room service (XEP-0045).
type MUC struct {
	Enabled         bool   `toml:"enabled"`            // serve chat rooms; on by default
	Domain          string `toml:"domain"`             // the service's domain; "" = "conference." + domain
	MaxOccupants    int    `toml:"max_occupants"`      // per room; 0 = 200
	MaxRoomsPerUser int    `toml:"max_rooms_per_user"` // rooms one account may create; 0 = 20
	// MessagesPerSecond and MessageBurst rate-limit each occupant's messages; 0 = 5 and 20.
	MessagesPerSecond float64 `toml:"messages_per_second"`
	MessageBurst      int     `toml:"message_burst"`
}

// ACME selects an ACME certificate authority instead of the local CA.
type ACME struct {
	DirectoryURL     string `toml:"directory_url"`
	Email            string `toml:"email"`
	TrustedRootsFile string `toml:"trusted_roots_file"` // PEM roots of a private ACME CA
}

// Limits bound what one peer can make the server do. Zero means the server's default.
type Limits struct {
	MaxStanzaBytes      int64         `toml:"max_stanza_bytes"`
	MaxConnections      int           `toml:"max_connections"`
	MaxConnectionsPerIP int           `toml:"max_connections_per_ip"`
	AuthFailuresPerIP   int           `toml:"auth_failures_per_ip"`
	NegotiationTimeout  time.Duration `toml:"negotiation_timeout"`
	MaxOfflineMessages  int           `toml:"max_offline_messages"`
	ResumeTimeout       time.Duration `toml:"resume_timeout"`
	PingInterval        time.Duration `toml:"ping_interval"`
	PingTimeout         time.Duration `toml:"ping_timeout"`
	MaxVCardBytes       int           `toml:"max_vcard_bytes"`
}

// Default returns the configuration init writes for domain.
func Default(domain string) *Config {
	return &Config{
		Domain:   domain,
		LogLevel: "info",
		Listeners: Listeners{
			C2S:    DefaultC2SAddr,
			C2STLS: DefaultC2STLSAddr,
			S2S:    DefaultS2SAddr,
			HTTPS:  DefaultHTTPSAddr,
			HTTP:   DefaultHTTPAddr,
			// Loopback, unlike the others: see DefaultComponentAddr.
			Component: DefaultComponentAddr,
		},
		Auth: Auth{SCRAMIterations: DefaultSCRAMIterations},
		MAM:  MAM{Enabled: true},
		MUC:  MUC{Enabled: true},
		S2S:  defaultS2S(),
	}
}

// Setting is one value that a flag or an environment variable can override.
type Setting struct {
	Key   string // key in the file, with its table: "listeners.c2s_addr"
	Flag  string // flag name without dashes: "c2s-addr"
	Env   string // environment variable: "XMPPBOX_C2S_ADDR"
	Usage string // flag help
}

// Overridable lists the settings that flags and environment variables override, in the
// order their flags are shown.
func Overridable() []Setting {
	return []Setting{
		{"listeners.c2s_addr", "c2s-addr", "XMPPBOX_C2S_ADDR", "client listener with STARTTLS, host:port (default " + DefaultC2SAddr + ")"},
		{"listeners.c2s_tls_addr", "c2s-tls-addr", "XMPPBOX_C2S_TLS_ADDR", "client listener with direct TLS, host:port (default " + DefaultC2STLSAddr + ")"},
		{"listeners.s2s_addr", "s2s-addr", "XMPPBOX_S2S_ADDR", "server-to-server listener, host:port (default " + DefaultS2SAddr + ")"},
		{"listeners.s2s_tls_addr", "s2s-tls-addr", "XMPPBOX_S2S_TLS_ADDR", "server-to-server listener with direct TLS (XEP-0368), host:port (default off)"},
		{"listeners.https_addr", "https-addr", "XMPPBOX_HTTPS_ADDR", "HTTPS listener, host:port (default " + DefaultHTTPSAddr + ")"},
		{"listeners.http_addr", "http-addr", "XMPPBOX_HTTP_ADDR", "HTTP listener, host:port (default " + DefaultHTTPAddr + ")"},
		{"listeners.metrics_addr", "metrics-addr", "XMPPBOX_METRICS_ADDR", "Prometheus /metrics listener, host:port such as 127.0.0.1:9281 (default off)"},
		{"listeners.component_addr", "component-addr", "XMPPBOX_COMPONENT_ADDR", "external component (gateway) listener, host:port (default " + DefaultComponentAddr + ")"},
		{"log_level", "log-level", "XMPPBOX_LOG_LEVEL", "log level: debug, info, warn or error (default info)"},
	}
}

// field returns the string field a Setting key names.
func (c *Config) field(key string) *string {
	switch key {
	case "listeners.c2s_addr":
		return &c.Listeners.C2S
	case "listeners.c2s_tls_addr":
		return &c.Listeners.C2STLS
	case "listeners.s2s_addr":
		return &c.Listeners.S2S
	case "listeners.s2s_tls_addr":
		return &c.Listeners.S2STLS
	case "listeners.https_addr":
		return &c.Listeners.HTTPS
	case "listeners.http_addr":
		return &c.Listeners.HTTP
	case "listeners.metrics_addr":
		return &c.Listeners.Metrics
	case "listeners.component_addr":
		return &c.Listeners.Component
	case "log_level":
		return &c.LogLevel
	}
	return nil
}

// Overrides are the values given outside the file.
type Overrides struct {
	// Flags maps a flag name ("c2s-addr") to its value, for the flags given on the command
	// line only: a flag left at its default must not hide the file or the environment.
	Flags map[string]string
	// LookupEnv reads the environment (os.LookupEnv in main); nil means no environment.
	LookupEnv func(key string) (string, bool)
}

// typeErrorRE matches the decoding errors of the toml package that are not ParseErrors.
var typeErrorRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Load reads the file at path, applies defaults and overrides, and validates the result.
// Errors name the place the bad value came from: "path:line" for the file, the flag or the
// environment variable otherwise. A key the file should not have is an error too: a typo
// must not silently leave a listener on its default.
func Load(path string, o Overrides) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := Default("")
	c.Auth.SCRAMIterations = 0 // set below if absent, so an explicit 0 is caught
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", path, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		// Type mismatches are plain errors reading `toml: line N (last key "k"): ...`.
		if m := typeErrorRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s: %s", path, m[1], m[2], m[3])
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := keyLines(string(data))
	at := func(key string) string {
		if n, ok := lines[key]; ok {
			return path + ":" + strconv.Itoa(n)
		}
		return path
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return nil, fmt.Errorf("%s: unknown setting %q (check its spelling and its [table])", at(k), k)
	}
	// The toml package reads an integer as nanoseconds: "60" would be 60 ns, not a minute.
	for _, key := range []string{"negotiation_timeout", "resume_timeout", "ping_interval", "ping_timeout"} {
		if md.Type("limits", key) == "Integer" {
			return nil, fmt.Errorf("%s: limits.%s needs a unit: write it as a string such as \"60s\"",
				at("limits."+key), key)
		}
	}
	if md.Type("mam", "retention") == "Integer" {
		return nil, fmt.Errorf("%s: mam.retention needs a unit: write it as a string such as \"8760h\"", at("mam.retention"))
	}
	if !md.IsDefined("auth", "scram_iterations") {
		c.Auth.SCRAMIterations = DefaultSCRAMIterations
	}
	c.origin = make(map[string]string)
	for _, k := range md.Keys() {
		c.origin[k.String()] = at(k.String())
	}
	if err := c.loadS2S(md, path, string(data)); err != nil {
		return nil, err
	}
	for _, s := range Overridable() {
		v, ok := o.Flags[s.Flag]
		src := "--" + s.Flag
		if !ok && o.LookupEnv != nil {
			v, ok = o.LookupEnv(s.Env)
			src = s.Env
		}
		if ok {
			*c.field(s.Key) = v
			c.origin[s.Key] = src
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.Domain, _ = ParseDomain(c.Domain) // valid: checked above
	return c, nil
}

// Validate checks every setting. Errors start with where the value came from, when known.
func (c *Config) Validate() error {
	if c.Domain == "" {
		return c.errorf("domain", "domain is missing")
	}
	if _, err := ParseDomain(c.Domain); err != nil {
		return c.errorf("domain", "%v", err)
	}
	for _, l := range []struct{ key, addr string }{
		{"listeners.c2s_addr", c.Listeners.C2S},
		{"listeners.c2s_tls_addr", c.Listeners.C2STLS},
		{"listeners.s2s_addr", c.Listeners.S2S},
		{"listeners.s2s_tls_addr", c.Listeners.S2STLS},
		{"listeners.https_addr", c.Listeners.HTTPS},
		{"listeners.http_addr", c.Listeners.HTTP},
		{"listeners.metrics_addr", c.Listeners.Metrics},
		{"listeners.component_addr", c.Listeners.Component},
	} {
		if err := checkAddr(l.addr); err != nil {
			return c.errorf(l.key, "%s: %v", l.key, err)
		}
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return c.errorf("log_level", "%v", err)
	}
	if c.Auth.SCRAMIterations < DefaultSCRAMIterations {
		return c.errorf("auth.scram_iterations", "auth.scram_iterations is %d; it must be at least %d (RFC 7677)",
			c.Auth.SCRAMIterations, DefaultSCRAMIterations)
	}
	if c.ACME != nil && c.ACME.DirectoryURL == "" {
		return c.errorf("acme", "[acme] needs directory_url; remove the table to use the local CA")
	}
	for _, l := range []struct {
		key string
		n   int64
	}{
		{"register.max_per_ip_per_hour", int64(c.Register.MaxPerIPPerHour)},
		{"limits.max_stanza_bytes", c.Limits.MaxStanzaBytes},
		{"limits.max_connections", int64(c.Limits.MaxConnections)},
		{"limits.max_connections_per_ip", int64(c.Limits.MaxConnectionsPerIP)},
		{"limits.auth_failures_per_ip", int64(c.Limits.AuthFailuresPerIP)},
		{"limits.negotiation_timeout", int64(c.Limits.NegotiationTimeout)},
		{"limits.resume_timeout", int64(c.Limits.ResumeTimeout)},
		{"limits.ping_interval", int64(c.Limits.PingInterval)},
		{"limits.ping_timeout", int64(c.Limits.PingTimeout)},
		{"limits.max_offline_messages", int64(c.Limits.MaxOfflineMessages)},
		{"limits.max_vcard_bytes", int64(c.Limits.MaxVCardBytes)},
		{"mam.retention", int64(c.MAM.Retention)},
		{"muc.max_occupants", int64(c.MUC.MaxOccupants)},
		{"muc.max_rooms_per_user", int64(c.MUC.MaxRoomsPerUser)},
		{"muc.message_burst", int64(c.MUC.MessageBurst)},
	} {
		if l.n < 0 {
			return c.errorf(l.key, "%s must not be negative (0 means the default)", l.key)
		}
	}
	if c.MUC.MessagesPerSecond < 0 {
		return c.errorf("muc.messages_per_second", "muc.messages_per_second must not be negative (0 means the default)")
	}
	if err := c.validateS2S(); err != nil {
		return err
	}
	return nil
}

// errorf prefixes the message with the origin of key, if known.
func (c *Config) errorf(key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if src, ok := c.origin[key]; ok {
		return fmt.Errorf("%s: %s", src, msg)
	}
	return errors.New("config: " + msg)
}

// checkAddr accepts "" (listener disabled) and host:port with a numeric port.
func checkAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		msg := err.Error()
		if ae, ok := err.(*net.AddrError); ok {
			msg = ae.Err // without the address repeated
		}
		return fmt.Errorf("invalid address %q: %s (use host:port, e.g. \":5222\" or \"127.0.0.1:5222\")", addr, msg)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return fmt.Errorf("invalid address %q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

// ParseDomain normalises an XMPP domain (RFC 7622 §3.2: IDNA, lower case, no trailing dot)
// and refuses anything that is not a bare domain.
func ParseDomain(s string) (string, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid domain %q: %w", s, err)
	}
	if j.Localpart() != "" || j.Resourcepart() != "" {
		return "", fmt.Errorf("invalid domain %q: give a domain only, without user@ or /resource", s)
	}
	return j.Domainpart(), nil
}

// ParseLevel maps a log_level value to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("invalid log level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// Addrs lists the enabled listeners by name, in a fixed order, for messages like "ports to
// open".
func (c *Config) Addrs() []NamedAddr {
	var out []NamedAddr
	for _, a := range []NamedAddr{
		{"c2s", "client connections (STARTTLS)", c.Listeners.C2S},
		{"c2s_tls", "client connections (direct TLS)", c.Listeners.C2STLS},
		{"s2s", "server-to-server", c.Listeners.S2S},
		{"s2s_tls", "server-to-server (direct TLS)", c.Listeners.S2STLS},
		{"https", "web (HTTPS)", c.Listeners.HTTPS},
		{"http", "web (HTTP)", c.Listeners.HTTP},
	} {
		if a.Addr != "" {
			out = append(out, a)
		}
	}
	return out
}

// NamedAddr is one enabled listener.
type NamedAddr struct {
	Name, Purpose, Addr string
}

// Port returns the port part of the address.
func (a NamedAddr) Port() string {
	_, p, _ := net.SplitHostPort(a.Addr)
	return p
}

// keyLines maps each "table.key" of a TOML document to its line number. The toml package
// keeps key positions private, so this scans the simple layout the file uses: [table]
// headers and key = value lines. Keys it cannot place are reported without a line.
func keyLines(doc string) map[string]int {
	lines := make(map[string]int)
	table := ""
	for i, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			name := strings.Trim(strings.SplitN(line, "#", 2)[0], "[] \t")
			table = cleanKey(name)
			if _, ok := lines[table]; !ok {
				lines[table] = i + 1
			}
		default:
			k, _, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k = cleanKey(k)
			if table != "" {
				k = table + "." + k
			}
			if _, ok := lines[k]; !ok {
				lines[k] = i + 1
			}
		}
	}
	return lines
}

// cleanKey removes the blanks around the dots of a dotted key.
func cleanKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, ".")
}

package config

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"text/template"
)

// fileTemplate is the file init writes. It documents every setting, so an operator never
// needs to look elsewhere to change one.
var fileTemplate = template.Must(template.New(FileName).Funcs(template.FuncMap{"q": quote}).Parse(
	`# xmppbox configuration, written by "xmppbox init".
# Flags and environment variables override the listeners and the log level:
# --c2s-addr or XMPPBOX_C2S_ADDR, and so on (flag > environment > this file > default).

# The XMPP domain this box serves: users are name@domain. Changing it later orphans the
# accounts and certificates made for the old one.
domain = {{q .Domain}}

# debug, info, warn or error.
log_level = {{q .LogLevel}}

# Listener addresses as host:port; "" disables a listener. ":5222" means all interfaces.
[listeners]
c2s_addr = {{q .Listeners.C2S}}         # clients, STARTTLS (RFC 6120)
c2s_tls_addr = {{q .Listeners.C2STLS}}     # clients, direct TLS (XEP-0368)
s2s_addr = {{q .Listeners.S2S}}         # other XMPP servers
s2s_tls_addr = {{q .Listeners.S2STLS}}     # other XMPP servers, direct TLS (XEP-0368); "" = off
https_addr = {{q .Listeners.HTTPS}}       # web page and HTTP services
http_addr = {{q .Listeners.HTTP}}        # plain HTTP: redirects to https_addr
# Prometheus metrics at http://ADDR/metrics, plain HTTP without login: keep it on a
# loopback address such as "127.0.0.1:9281". "" (the default) turns it off.
metrics_addr = {{q .Listeners.Metrics}}
# External components such as the biboumi IRC gateway (XEP-0114; see "xmppbox component
# add"). They log in with a shared secret over a stream without TLS: keep this on a
# loopback address and run them on this machine. "" turns it off.
component_addr = {{q .Listeners.Component}}

[auth]
# PBKDF2 iterations for passwords set from now on (SCRAM, RFC 7677); at least 4096.
scram_iterations = {{.Auth.SCRAMIterations}}

# In-band registration (XEP-0077): may people create their account from their client?
# Off by default. With invite_only, only people holding an invitation from
# "xmppbox invite create" may. Changing one's password and deleting one's account from a
# client always work.
[register]
enabled = {{.Register.Enabled}}
invite_only = {{.Register.InviteOnly}}
max_per_ip_per_hour = {{.Register.MaxPerIPPerHour}}    # registrations without an invitation from one address; 0 = 5

# Certificates come from the local CA that init created (see "xmppbox cert ca").
# To use an ACME CA instead (an internal one such as step-ca, or a public one when online),
# uncomment this table:
{{if .ACME}}[acme]
directory_url = {{q .ACME.DirectoryURL}}
email = {{q .ACME.Email}}
trusted_roots_file = {{q .ACME.TrustedRootsFile}}{{else}}# [acme]
# directory_url = "https://ca.internal/acme/acme/directory"
# email = "admin@example.org"
# trusted_roots_file = "/etc/ssl/internal-root.pem"   # PEM roots of a private ACME CA{{end}}

# What one peer can make the server do; 0 keeps the built-in default given in the comment.
[limits]
max_stanza_bytes = {{.Limits.MaxStanzaBytes}}          # 0 = 262144 (256 KiB)
max_connections = {{.Limits.MaxConnections}}           # 0 = 10000
max_connections_per_ip = {{.Limits.MaxConnectionsPerIP}}    # 0 = 100
auth_failures_per_ip = {{.Limits.AuthFailuresPerIP}}      # per minute before a source is throttled; 0 = 10
negotiation_timeout = {{q .Limits.NegotiationTimeout.String}}    # TCP accept to bound resource; "0s" = 60s
max_offline_messages = {{.Limits.MaxOfflineMessages}}      # per account; 0 = 1000
resume_timeout = {{q .Limits.ResumeTimeout.String}}    # a broken stream-management session waits this long for its client; "0s" = 5m
ping_interval = {{q .Limits.PingInterval.String}}    # quiet time before the server pings a client (XEP-0199); "0s" = 5m
ping_timeout = {{q .Limits.PingTimeout.String}}    # a pinged client that stays quiet this long is disconnected; "0s" = 1m
max_vcard_bytes = {{.Limits.MaxVCardBytes}}      # XML of one vCard (XEP-0054); 0 = 262144 (256 KiB)

# The message archive (XEP-0313): every account's 1:1 messages, from which clients fetch
# their history and catch up on other devices.
[mam]
enabled = {{.MAM.Enabled}}
retention = {{q .MAM.Retention.String}}    # how long messages are kept; "0s" = 8760h (a year)

# Chat rooms (XEP-0045 multi-user chat), served on their own domain.
[muc]
enabled = {{.MUC.Enabled}}
domain = {{q .MUC.Domain}}    # "" = "conference." + domain
max_occupants = {{.MUC.MaxOccupants}}    # per room; 0 = 200
max_rooms_per_user = {{.MUC.MaxRoomsPerUser}}    # rooms one account may create; 0 = 20
messages_per_second = {{.MUC.MessagesPerSecond}}    # sustained messages per occupant; 0 = 5
message_burst = {{.MUC.MessageBurst}}    # messages an occupant may send at once; 0 = 20

# Federation: links with other XMPP servers (RFC 6120 server-to-server), so that users of
# this box can chat with theirs. They connect to s2s_addr above.
[s2s]
# "peers" (the default) talks only to the servers the admin listed: the [[peers]] below and
# those added with "xmppbox peer add". A box on a private network then sends no presence
# or message to a server nobody chose, and needs no DNS records for other servers, which
# such a network usually lacks anyway. "open" federates with any server found through DNS
# (SRV records _xmpp-server._tcp.DOMAIN, then A/AAAA), except the domains in deny.
federation = {{q .S2S.Federation}}
# How a remote server must prove it speaks for its domain. "require-valid-cert" (the
# default): a certificate valid for its domain, from a CA this box trusts or the peer's
# ca_file. "dialback-ok" also accepts Server Dialback (XEP-0220), checked through DNS, from
# servers whose certificate cannot be verified. A peer's own policy takes precedence.
policy = {{q .S2S.Policy}}
deny = [{{range $i, $d := .S2S.Deny}}{{if $i}}, {{end}}{{q $d}}{{end}}]    # domains never linked with, whatever federation says
max_connections = {{.S2S.MaxConnections}}    # links in and out together; 0 = 200
idle_timeout = {{q .S2S.IdleTimeout.String}}    # a link without traffic is closed; "0s" = 10m

# The servers to federate with, one [[peers]] table each ("xmppbox peer add" keeps them in
# the store instead, and its entry wins over one here for the same domain):
#   domain  its XMPP domain
#   addr    where it listens for servers, host:port; "" or absent = found through DNS
#   ca_file PEM file of its CA, which "xmppbox cert ca" prints on that box; relative to the
#           data directory unless absolute; "" or absent = the roots this box trusts
#   policy  "require-valid-cert" or "dialback-ok"; "" or absent = s2s.policy above
{{range .Peers}}
[[peers]]
domain = {{q .Domain}}
addr = {{q .Addr}}
ca_file = {{q .CAFile}}
policy = {{q .Policy}}
{{else}}#
# [[peers]]
# domain = "other.example"
# addr = "10.0.0.2:5269"
# ca_file = "peers/other-ca.pem"
# policy = "dialback-ok"
{{end}}`))

// Marshal renders c as a commented configuration file.
func Marshal(c *Config) ([]byte, error) {
	var b bytes.Buffer
	if err := fileTemplate.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b.Bytes(), nil
}

// Write creates the file at path (mode 0600: it may name internal hosts and e-mail
// addresses) and refuses to overwrite one that exists.
func Write(path string, c *Config) error {
	data, err := Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("config: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// quote writes s as a TOML basic string. strconv.Quote is not enough: TOML has no \x
// escapes, so control characters use \u and other runes are written as they are (UTF-8).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u`)
			b.WriteString(fmt.Sprintf("%04X", r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

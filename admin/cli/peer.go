package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/config"
	"xmppbox/server/s2s"
)

// PeerAdmin is what the peer commands need. Both *admin.Service (store opened directly,
// no links) and *api.Client (server running) implement it.
type PeerAdmin interface {
	AddPeer(ctx context.Context, c s2s.PeerConfig) (s2s.PeerConfig, error)
	ListPeers(ctx context.Context) ([]admin.PeerStatus, error)
	DeletePeer(ctx context.Context, domain string) error
}

var (
	_ PeerAdmin = (*admin.Service)(nil)
	_ PeerAdmin = (*api.Client)(nil)
)

func newPeerCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Manage federation peers: the other XMPP servers this box talks to",
		Long: `Manage federation peers: the other XMPP servers whose users may chat with this
box's users. By default ([s2s] federation = "peers" in the config file) the box talks only
to the peers configured here and in the config file's [[peers]] tables; a peer added here
takes precedence over the file's entry for the same domain.

To link two boxes that each have their own CA, run on each box

  xmppbox cert ca > this-box-ca.pem

copy the file to the other box, and there run

  xmppbox peer add THIS-BOX-DOMAIN --addr THIS-BOX-ADDRESS:5269 --ca this-box-ca.pem

While the server runs these commands talk to it through DATA/admin.sock, and a change
applies to the next link made with the peer; when it is stopped they open the store
directly (and show no links).`,
	}
	cmd.AddCommand(newPeerAddCmd(e), newPeerListCmd(e), newPeerDelCmd(e))
	return cmd
}

// withPeers runs fn with the PeerAdmin of the data directory: the same service the user
// commands get, which manages peers too.
func (e *env) withPeers(cmd *cobra.Command, fn func(PeerAdmin) error) error {
	return e.withUsers(cmd, func(u Users) error {
		p, ok := u.(PeerAdmin)
		if !ok {
			return fmt.Errorf("internal error: %T cannot manage peers", u)
		}
		return fn(p)
	})
}

// readCA reads the PEM file of --ca; "-" is stdin. It checks only that there is a PEM
// certificate in it: the service checks the rest, for the API too.
func (e *env) readCA(cmd *cobra.Command, path string) (string, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(e.stdin(cmd))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("--ca %s: cannot read it: %w", path, err)
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			return string(data), nil
		}
	}
	return "", fmt.Errorf("--ca %s: no PEM certificate in it; give the file that \"xmppbox cert ca\" "+
		"printed on the other box (it starts with -----BEGIN CERTIFICATE-----)", path)
}

func newPeerAddCmd(e *env) *cobra.Command {
	var addr, caFile, policy string
	cmd := &cobra.Command{
		Use:   "add DOMAIN [--addr HOST:PORT] [--ca FILE] [--policy require-valid-cert|dialback-ok]",
		Short: "Configure a federation peer, or change its configuration",
		Long: `Configure the XMPP server of DOMAIN as a federation peer, replacing its configuration
if it has one. Prints "DOMAIN: added", or "DOMAIN: updated" when it replaced one.

--addr is where the peer listens for servers, as host:port (such as 10.0.0.2:5269); without
it the address is looked up in DNS (SRV records _xmpp-server._tcp.DOMAIN, then DOMAIN).

--ca is a PEM file of the CA certificate to trust for this peer only: on the other box,
"xmppbox cert ca" prints its CA ("xmppbox cert ca > other-ca.pem"); "-" reads it from
stdin. Without it the peer's certificate must chain to a root this box trusts (the
system's and its own CA).

--policy is how the peer must prove it speaks for DOMAIN: require-valid-cert (a valid
certificate for DOMAIN) or dialback-ok (dialback through DNS is enough when its
certificate cannot be verified). Without it the [s2s] policy of the config file applies.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := s2s.PeerConfig{Domain: args[0], Addr: addr, Policy: s2s.Policy(policy)}
			switch c.Policy {
			case "", s2s.RequireValidCert, s2s.DialbackOK:
			default:
				return fmt.Errorf("--policy %q: give %s or %s", policy, s2s.RequireValidCert, s2s.DialbackOK)
			}
			if caFile != "" {
				var err error
				if c.CAPEM, err = e.readCA(cmd, caFile); err != nil {
					return err
				}
			}
			return e.withPeers(cmd, func(p PeerAdmin) error {
				// Listed before, to tell added from updated; a race with another
				// admin only changes that word.
				before, err := p.ListPeers(cmd.Context())
				if err != nil {
					return err
				}
				c, err := p.AddPeer(cmd.Context(), c)
				if err != nil {
					return err
				}
				done := "added"
				for _, b := range before {
					if b.Domain == c.Domain && b.Configured {
						done = "updated"
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", c.Domain, done)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "where the peer listens for servers, host:port (default: found through DNS)")
	cmd.Flags().StringVar(&caFile, "ca", "", `PEM file of the peer's CA, from "xmppbox cert ca" on the other box; "-" for stdin`)
	cmd.Flags().StringVar(&policy, "policy", "", "require-valid-cert or dialback-ok (default: the config file's [s2s] policy)")
	return cmd
}

func newPeerListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List the federation peers and their links",
		Long: `List the federation peers, sorted by domain: DOMAIN, ADDR (host:port, or "dns" when
it is looked up in DNS), CA ("pinned" for a CA given with --ca, "system" for the roots this
box trusts) and POLICY ("default" for the config file's [s2s] policy). While the server
runs, each peer is followed by one line per link: its direction (in or out), TLS version,
authentication (sasl-external or dialback), when the peer's certificate expires, and the
last failure to link with it. Domains the server has links with but no configuration for
(open federation) are listed too.

--json prints {"peers": [{"domain", "addr", "policy", "has_ca", "ca_pem", "configured",
"links": [{"local", "remote", "direction", "tls", "auth", "cert_expiry", "since",
"last_error"}, ...]}, ...]}; "ca_pem" and the empty fields of a link are left out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withPeers(cmd, func(pa PeerAdmin) error {
				peers, err := pa.ListPeers(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					out := apitype.PeerList{Peers: make([]apitype.Peer, 0, len(peers))}
					for _, p := range peers {
						out.Peers = append(out.Peers, api.PeerJSON(p))
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				if len(peers) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no peers")
					return nil
				}
				_, err = io.WriteString(cmd.OutOrStdout(), peerTable(peers))
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"peers": [{"domain": ..., "addr": ..., "links": [...]}, ...]}`)
	return cmd
}

// peerTable renders peers with their links under each. The peer lines and the link lines
// are aligned separately, so a long error does not widen the peer columns.
func peerTable(peers []admin.PeerStatus) string {
	var peerBuf, linkBuf bytes.Buffer
	pw := tabwriter.NewWriter(&peerBuf, 0, 4, 2, ' ', 0)
	lw := tabwriter.NewWriter(&linkBuf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(pw, "DOMAIN\tADDR\tCA\tPOLICY")
	for _, p := range peers {
		ca := "system"
		if p.CAPEM != "" {
			ca = "pinned"
		}
		domain := p.Domain
		if p.FromFile {
			domain += " (config file)"
		}
		fmt.Fprintf(pw, "%s\t%s\t%s\t%s\n", domain, cmp.Or(p.Addr, "dns"), ca, cmp.Or(string(p.Policy), "default"))
		for _, l := range p.Links {
			fmt.Fprintln(lw, linkRow(l))
		}
	}
	pw.Flush()
	lw.Flush()
	peerLines := strings.SplitAfter(peerBuf.String(), "\n")
	linkLines := strings.SplitAfter(linkBuf.String(), "\n")
	var b strings.Builder
	b.WriteString(peerLines[0])
	for i, p := range peers {
		b.WriteString(peerLines[i+1])
		for range p.Links {
			// Without a last error, the padding of the expiry cell would trail.
			b.WriteString(strings.TrimRight(linkLines[0], " \n") + "\n")
			linkLines = linkLines[1:]
		}
	}
	return b.String()
}

// linkRow is one link as tab-separated cells: direction, TLS version, authentication,
// certificate expiry and the last error, if there is one.
func linkRow(l s2s.LinkInfo) string {
	dir := "out"
	if l.Incoming {
		dir = "in"
	}
	expiry := "-"
	if !l.CertExpiry.IsZero() {
		expiry = "cert expires " + l.CertExpiry.UTC().Format(time.RFC3339)
	}
	lastErr := ""
	if l.LastError != "" {
		lastErr = "last error: " + l.LastError
	}
	return "  " + dir + "\t" + cmp.Or(l.TLSVersion, "-") + "\t" + cmp.Or(l.Auth, "-") + "\t" + expiry + "\t" + lastErr
}

func newPeerDelCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "del DOMAIN",
		Aliases: []string{"rm"},
		Short:   "Remove a federation peer",
		Long: `Remove the peer configured for DOMAIN with "xmppbox peer add". Prints "DOMAIN: deleted".
Its open links are closed. With federation limited to peers, no new link is made with it
(unless the config file's [[peers]] lists it).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPeers(cmd, func(p PeerAdmin) error {
				err := p.DeletePeer(cmd.Context(), args[0])
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%w; \"xmppbox peer list\" shows the configured peers (those in the config "+
						"file's [[peers]] are removed there)", err)
				}
				if err != nil {
					return err
				}
				name := args[0]
				if d, err := config.ParseDomain(name); err == nil {
					name = d // as the service normalised it
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: deleted\n", name)
				return nil
			})
		},
	}
}

package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"xmppbox/admin/api"
)

func newStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show how the running server is doing",
		Long: `Show the running server's figures: version, uptime, accounts, online users,
connections, stanzas per second, failed logins, store size, certificate expiry and the
links with other servers. --json prints them as the admin API's GET /api/v0/status.

Exits with status 1 when no server answers on DATA/admin.sock, so monitoring can use it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.data()
			if err != nil {
				return err
			}
			sock := filepath.Join(dir, api.SocketName)
			c, err := probe(cmd.Context(), sock)
			if errors.Is(err, api.ErrNotRunning) {
				return fmt.Errorf("no xmppbox server answers on %s: it is not running", sock)
			}
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
			row("domain", st.Domain)
			row("version", st.Version)
			if !st.Started.IsZero() {
				row("uptime", time.Since(st.Started).Round(time.Second))
			}
			row("users", st.Users)
			row("online users", st.OnlineUsers)
			row("connections", st.Connections)
			row("stanzas/s", fmt.Sprintf("%.1f", st.StanzasPerSecond))
			row("failed logins", st.AuthFailures)
			row("store bytes", st.StoreBytes)
			if !st.CertExpiry.IsZero() {
				row("certificate expires", st.CertExpiry.Format(time.RFC3339))
			}
			for _, l := range st.Links {
				if l.LastError != "" {
					row("link "+l.Remote, "failed: "+l.LastError)
					continue
				}
				row("link "+l.Remote, fmt.Sprintf("%s, %s, %s", l.Direction, l.TLS, l.Auth))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

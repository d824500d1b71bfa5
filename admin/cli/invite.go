package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
)

// Invites is what the invite commands need. Both *admin.Service (store opened directly)
// and *api.Client (server running) implement it.
type Invites interface {
	CreateInvite(ctx context.Context, req admin.InviteRequest) (admin.Invite, error)
}

var (
	_ Invites = (*admin.Service)(nil)
	_ Invites = (*api.Client)(nil)
)

func newInviteCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Invite people to create an account",
		Long: `Invite people to create an account on this box: an invitation is a link that
a client opens to register (XEP-0401, XEP-0445), which works once, also when in-band
registration is limited to invited users ([register] invite_only in the config file).

While the server runs these commands talk to it through DATA/admin.sock; when it is
stopped they open the store directly.`,
	}
	cmd.AddCommand(newInviteCreateCmd(e))
	return cmd
}

// withInvites runs fn with the Invites of the data directory: the same service the user
// commands get, which manages invitations too.
func (e *env) withInvites(cmd *cobra.Command, fn func(Invites) error) error {
	return e.withUsers(cmd, func(u Users) error {
		inv, ok := u.(Invites)
		if !ok {
			return fmt.Errorf("internal error: %T cannot manage invitations", u)
		}
		return fn(inv)
	})
}

func newInviteCreateCmd(e *env) *cobra.Command {
	var (
		expires string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "create [--expires 7d] [--json]",
		Short: "Create a single-use invitation",
		Long: `Create an invitation that lets one person register an account. Prints
"uri: xmpp:DOMAIN?register;preauth=TOKEN" (the link to send), "token: ..." and
"expires: ..." (RFC 3339, UTC); --json prints {"token", "uri", "expires"}.

--expires is how long the invitation works: a number with a unit, d (days), h, m or s,
such as 7d, 36h or 90m.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			valid, err := parseValidity(expires)
			if err != nil {
				return err
			}
			return e.withInvites(cmd, func(i Invites) error {
				inv, err := i.CreateInvite(cmd.Context(), admin.InviteRequest{ValidFor: valid})
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					return enc.Encode(apitype.Invite{Token: inv.Token, URI: inv.URI, Expires: inv.Expires.UTC()})
				}
				fmt.Fprintf(out, "uri: %s\ntoken: %s\nexpires: %s\n", inv.URI, inv.Token, inv.Expires.UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&expires, "expires", "7d", "how long the invitation works: 7d, 36h, 90m, ...")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"token": ..., "uri": ..., "expires": ...}`)
	return cmd
}

// minValidity is the shortest invitation: less could not be passed on to anyone.
const minValidity = time.Minute

// parseValidity reads --expires: Go's duration syntax (36h, 90m, 1h30m) plus whole days
// (7d), which Go's syntax lacks.
func parseValidity(s string) (time.Duration, error) {
	var (
		d   time.Duration
		err error
	)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		if err == nil && (n < 0 || n > 100*365) {
			err = errors.New("out of range")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("--expires %q: give a number with a unit, such as 7d, 36h or 90m", s)
	case d < minValidity:
		return 0, fmt.Errorf("--expires %q: an invitation must work for at least %v", s, minValidity)
	}
	return d, nil
}

package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"text/tabwriter"
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
	ListInvites(ctx context.Context) ([]admin.Invite, error)
	RevokeInvite(ctx context.Context, token string) error
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
a client opens to register (XEP-0401, XEP-0445), which works once (or as many times as
--uses says), also when in-band registration is limited to invited users ([register]
invite_only in the config file). The web interface's invitation page takes it too.

While the server runs these commands talk to it through DATA/admin.sock; when it is
stopped they open the store directly.`,
	}
	cmd.AddCommand(newInviteCreateCmd(e), newInviteListCmd(e), newInviteRevokeCmd(e))
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
		expires  string
		uses     int
		username string
		inviter  string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "create [--expires 7d] [--uses N] [--username NAME] [--inviter NAME] [--json]",
		Short: "Create an invitation",
		Long: `Create an invitation that lets people register accounts. Prints
"uri: xmpp:DOMAIN?register;preauth=TOKEN" (the link to send), "token: ...", "expires: ..."
(RFC 3339, UTC), "uses: N" and, with --username, "username: NAME". --json prints
{"token", "uri", "created", "expires", "uses", "username"}; "username" only when set.

--expires is how long the invitation works: a number with a unit, d (days), h, m or s,
such as 7d, 36h or 90m. --uses is how many accounts it may create (1 to 1000).
--username is the only user name it registers; it needs --uses 1. --inviter NAME makes the
invitation come from that account, and puts it and the new user in each other's contacts
(roster pre-approval, XEP-0379).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			valid, err := parseValidity(expires)
			if err != nil {
				return err
			}
			if uses < 1 {
				return fmt.Errorf("--uses %d: give 1 to %d", uses, admin.MaxInviteUses)
			}
			return e.withInvites(cmd, func(i Invites) error {
				inv, err := i.CreateInvite(cmd.Context(), admin.InviteRequest{ValidFor: valid, Uses: uses, Username: username,
					Inviter: inviter, AddInviter: inviter != ""})
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					return enc.Encode(inviteJSON(inv))
				}
				fmt.Fprintf(out, "uri: %s\ntoken: %s\nexpires: %s\nuses: %d\n", inv.URI, inv.Token, formatExpires(inv.Expires), inv.Uses)
				if inv.Username != "" {
					fmt.Fprintf(out, "username: %s\n", inv.Username)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&expires, "expires", "7d", "how long the invitation works: 7d, 36h, 90m, ...")
	cmd.Flags().IntVar(&uses, "uses", 1, "how many accounts the invitation may create")
	cmd.Flags().StringVar(&username, "username", "", "the only user name the invitation registers (needs --uses 1)")
	cmd.Flags().StringVar(&inviter, "inviter", "", "the account the invitation comes from, added to the new user's contacts")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"token": ..., "uri": ..., "expires": ..., "uses": ...}`)
	return cmd
}

// inviteJSON is inv as `invite create --json` and `invite list --json` print it.
func inviteJSON(inv admin.Invite) apitype.Invite {
	return apitype.Invite{Token: inv.Token, URI: inv.URI, Created: inv.Created.UTC(), Expires: inv.Expires.UTC(),
		Uses: inv.Uses, Username: inv.Username, CreatedBy: inv.CreatedBy, AddInviter: inv.AddInviter}
}

// formatExpires is an expiry time for the text output: RFC 3339 in UTC, or "never".
func formatExpires(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func newInviteListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List the invitations that still work",
		Long: `List the invitations that still work (not used up, revoked or expired), oldest
first: token, expiry (RFC 3339, UTC), uses left, the user name it is for ("-" for any), and
who created it ("operator" for the command line). --json prints {"invites": [{"token",
"uri", "created", "expires", "uses", "username", "created_by", "add_inviter"}, ...]}, the
last three only when set.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withInvites(cmd, func(i Invites) error {
				invs, err := i.ListInvites(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					out := apitype.InviteList{Invites: make([]apitype.Invite, 0, len(invs))}
					for _, inv := range invs {
						out.Invites = append(out.Invites, inviteJSON(inv))
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				if len(invs) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no invitations")
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TOKEN\tEXPIRES\tUSES\tUSERNAME\tCREATED BY")
				for _, inv := range invs {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", inv.Token, formatExpires(inv.Expires), inv.Uses,
						cmp.Or(inv.Username, "-"), cmp.Or(inv.CreatedBy, "operator"))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"invites": [{"token": ..., "expires": ..., "uses": ...}, ...]}`)
	return cmd
}

func newInviteRevokeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke TOKEN",
		Aliases: []string{"rm"},
		Short:   "Revoke an invitation, so it cannot be used any more",
		Long: `Revoke an invitation: its link stops working at once. TOKEN is the token that
"xmppbox invite create" printed, or that "xmppbox invite list" shows. Prints "revoked".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withInvites(cmd, func(i Invites) error {
				err := i.RevokeInvite(cmd.Context(), args[0])
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("no such invitation: %w; \"xmppbox invite list\" shows the ones that still work", err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "revoked")
				return nil
			})
		},
	}
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

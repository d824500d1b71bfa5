package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/config"
)

// Components is what the component commands need. Both *admin.Service (store opened
// directly) and *api.Client (server running) implement it.
type Components interface {
	AddComponent(ctx context.Context, domain, secret string) (string, error)
	ListComponents(ctx context.Context) ([]admin.Component, error)
	DeleteComponent(ctx context.Context, domain string) (string, error)
}

var (
	_ Components = (*admin.Service)(nil)
	_ Components = (*api.Client)(nil)
)

// mucDomainOf is the chat room service's domain as the server derives it.
func mucDomainOf(cfg *config.Config) string {
	if cfg.MUC.Domain != "" {
		return cfg.MUC.Domain
	}
	return "conference." + cfg.Domain
}

func newComponentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "component",
		Aliases: []string{"components"},
		Short:   "Manage external components such as gateways (XEP-0114)",
		Long: `Manage external components: programs such as the biboumi IRC gateway that serve a
domain of their own (irc.example.org) and connect to this server's component listener
([listeners] component_addr, 127.0.0.1:5347 by default) with a shared secret (XEP-0114).
Stanzas for that domain go to the component; the component may send from any address at
it. A component added while the server runs can connect at once.

While the server runs these commands talk to it through DATA/admin.sock; when it is
stopped they open the store directly. docs/transports.md shows a whole setup.`,
	}
	cmd.AddCommand(newComponentAddCmd(e), newComponentListCmd(e), newComponentDelCmd(e))
	return cmd
}

// withComponents runs fn with the Components of the data directory: the same service the
// user commands get, which manages components too.
func (e *env) withComponents(cmd *cobra.Command, fn func(Components) error) error {
	return e.withUsers(cmd, func(u Users) error {
		c, ok := u.(Components)
		if !ok {
			return fmt.Errorf("internal error: %T cannot manage components", u)
		}
		return fn(c)
	})
}

func newComponentAddCmd(e *env) *cobra.Command {
	var secretStdin bool
	cmd := &cobra.Command{
		Use:   "add DOMAIN [--secret-stdin]",
		Short: "Let a component serve DOMAIN",
		Long: `Let an external component serve DOMAIN, such as irc.example.org. Prints
"domain: ..." and, unless --secret-stdin reads the secret from the first line of stdin,
"secret: ..." with a generated one: put it in the component's configuration. A secret has
at least 16 bytes.

DOMAIN may not be this server's domain or its chat room service's. To change a secret,
delete the component and add it again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			secret, generated, err := e.componentSecret(cmd, secretStdin)
			if err != nil {
				return err
			}
			return e.withComponents(cmd, func(c Components) error {
				d, err := c.AddComponent(cmd.Context(), args[0], secret)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "domain: %s\n", d)
				if generated {
					fmt.Fprintf(cmd.OutOrStdout(), "secret: %s\n", secret)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&secretStdin, "secret-stdin", false, "read the secret from the first line of stdin instead of generating one")
	return cmd
}

// componentSecret returns the secret from stdin, or a generated one to print: 26 base32
// characters, 130 random bits.
func (e *env) componentSecret(cmd *cobra.Command, fromStdin bool) (secret string, generated bool, err error) {
	if !fromStdin {
		return rand.Text(), true, nil
	}
	secret, err = e.readLine(cmd)
	switch {
	case err != nil:
		return "", false, errors.New("--secret-stdin: no secret on stdin")
	case secret == "":
		return "", false, errors.New("--secret-stdin: the secret on stdin is empty")
	}
	return secret, false, nil
}

func newComponentListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List the components and whether they are connected",
		Long: `List the configured components sorted by domain, and whether each is connected
now ("no" for all when the server is not running). --json prints {"components":
[{"domain", "connected"}, ...]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withComponents(cmd, func(c Components) error {
				l, err := c.ListComponents(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					out := apitype.ComponentList{Components: make([]apitype.Component, 0, len(l))}
					for _, x := range l {
						out.Components = append(out.Components, apitype.Component{Domain: x.Domain, Connected: x.Connected})
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				if len(l) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no components")
					return nil
				}
				if _, offline := c.(*admin.Service); offline {
					fmt.Fprintln(cmd.ErrOrStderr(), "the server is not running: no component is connected")
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "DOMAIN\tCONNECTED")
				for _, x := range l {
					connected := "no"
					if x.Connected {
						connected = "yes"
					}
					fmt.Fprintf(tw, "%s\t%s\n", x.Domain, connected)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"components": [{"domain": ..., "connected": ...}, ...]}`)
	return cmd
}

func newComponentDelCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "del DOMAIN",
		Aliases: []string{"delete", "rm"},
		Short:   "Remove a component (and disconnect it)",
		Long: `Remove a component: its secret is deleted and, if it is connected, its stream ends at
once. Prints "deleted DOMAIN".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withComponents(cmd, func(c Components) error {
				d, err := c.DeleteComponent(cmd.Context(), args[0])
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%w; \"xmppbox component list\" shows the components", err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", d)
				return nil
			})
		},
	}
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"xmppbox/admin"
)

func versionString() string { return admin.Version() }

func newVersionCmd(_ *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this build",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "xmppbox", versionString())
			return err
		},
	}
}

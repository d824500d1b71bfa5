package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"xmppbox/server/tlsconf"
)

func newCertCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Certificates: the local root CA",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "ca [--data DIR]",
		Short: "Print the root CA certificate (PEM) that clients must trust",
		Long: `Print the local root CA certificate as PEM on stdout, and its SHA-256
fingerprint and hints for importing it on stderr:

  xmppbox cert ca > xmppbox-ca.crt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.data()
			if err != nil {
				return err
			}
			ca, err := tlsconf.LoadCA(dir)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no CA in %s: run \"xmppbox init\" first, or give --data DIR", dir)
			}
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(ca.PEM()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), `SHA-256 fingerprint: %s

Import it as a trusted root CA (saved as xmppbox-ca.crt):
  Debian/Ubuntu: sudo cp xmppbox-ca.crt /usr/local/share/ca-certificates/ && sudo update-ca-certificates
  Windows:       certutil -addstore Root xmppbox-ca.crt
  macOS:         sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain xmppbox-ca.crt
  Android:       Settings > Security > Encryption & credentials > Install a certificate > CA certificate
  iOS:           open the file, then Settings > General > About > Certificate Trust Settings
Compare the fingerprint with the one the device shows before trusting it.
`, ca.Fingerprint())
			return nil
		},
	})
	return cmd
}

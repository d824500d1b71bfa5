// Command xmppbox is a self-contained XMPP server; see "xmppbox --help".
package main

import (
	"os"

	"xmppbox/admin/cli"
)

func main() {
	root := cli.New(os.Stdin, os.Stdout, os.Stderr, os.Environ())
	// cobra has printed the error already (SilenceUsage keeps it to that one line).
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}

// Package config is xmppbox's configuration file, DATA/xmppbox.toml: what `xmppbox init`
// writes, how it is read back (unknown keys and syntax errors are reported as file:line), and
// how flags and environment variables override it.
//
// Precedence, highest first: command-line flag, environment variable, file, built-in default.
// Only the settings listed by [Overridable] can be overridden; the domain cannot, because
// accounts and certificates are tied to it.
package config

// Package server assembles the XMPP server: the router, the feature modules (wired in
// modules.go) and the listeners. It owns no storage: the caller passes stores and TLS in
// Config and closes them after Run returns.
package server

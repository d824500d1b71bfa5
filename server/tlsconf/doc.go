// Package tlsconf provides the server's TLS: a local root CA kept in the data
// directory, and a certmagic-backed Manager that issues, stores, serves and
// renews the leaf certificates for the XMPP domain and its service subdomains.
//
// The default issuer is the local CA (CreateCA, LoadCA), so a box with no
// network still gets working certificates; clients trust the box once by
// importing ca.crt, whose Fingerprint the operator can compare out of band.
// An ACME issuer (an internal ACME CA such as step-ca, or a public CA) can
// replace it through Config.ACME.
//
// Files in the data directory:
//
//	ca.crt                      root certificate, PEM, mode 0644
//	ca.key                      root private key, PEM, mode 0600
//	certs/                      certmagic.FileStorage: leaf certificates,
//	                            keys, metadata and lock files
//
// Leaf certificates are ECDSA P-256 (with RSA-2048, logins per second fell
// by 60%, see DESIGN.md), one per name, valid for 90 days and renewed by
// certmagic's maintenance goroutine when a third of their lifetime is left.
//
// Not implemented: on-demand issuance for names not listed in Config.Domains,
// OCSP stapling, the ACME TLS-ALPN challenge, and certificate revocation.
package tlsconf

// Package sasl is the server side of SASL authentication for client streams (RFC 6120 §6):
// SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), their -PLUS variants
// with tls-exporter (RFC 9266) or tls-server-end-point (RFC 5929) channel binding, and PLAIN
// (RFC 4616) for TLS-protected streams only.
//
// The server stores only SCRAM verifiers (Credentials), never a password. One password gives
// one Secret per hash; PLAIN and the web login recompute the SHA-256 one and compare.
//
// A Conversation runs one exchange. Mechanisms and ChannelBindingTypes say what to offer for
// the stream's TLS state (Binding); NewConversation refuses anything else, so PLAIN without
// TLS and -PLUS without a usable binding cannot be started even if a client asks.
//
// What a client can observe is the same for an unknown account and a wrong password: SCRAM
// answers client-first with a decoy salt that is stable per username (keyed with a random
// per-process key) and MinIterations, and fails only on the proof; PLAIN spends the same PBKDF2
// work before it fails. Both return ErrAuthFailed. What stays observable: an account created
// with an iteration count other than MinIterations announces that count, and decoy salts change
// when the process restarts.
//
// A Conversation belongs to one stream and is not safe for concurrent use; the package
// functions are. The package keeps no mutable state: the decoy key is drawn once at start.
//
// Not implemented: tls-unique (insecure, and absent from TLS 1.3), SCRAM extensions ("m="),
// EXTERNAL, ANONYMOUS, and XEP-0388 (SASL2) with its inline features.
package sasl

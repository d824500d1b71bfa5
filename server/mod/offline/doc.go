// Package offline keeps messages for accounts with no available resource and delivers
// them on the next initial presence (RFC 6121 §8.5.2.2.1, XEP-0160), each stamped with
// the time it arrived (XEP-0203).
//
// Not implemented: XEP-0013 flexible offline retrieval.
package offline

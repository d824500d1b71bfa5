package embeddb

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
)

// sep joins the parts of a key. It cannot occur in a JID (checkJID), so a
// prefix built for one owner never matches another owner's keys.
const sep = 0x00

const (
	schemaKey = "meta/schema"

	kindAccount     = "acct"
	kindRoster      = "roster"
	kindRosterVer   = "rosterver"
	kindPending     = "pending"
	kindOffline     = "offline"
	kindOfflineMeta = "offlinemeta"
)

// checkJID refuses strings that would break the key layout. It is not a JID
// validator: normalisation is the caller's job.
func checkJID(jid string) error {
	switch {
	case jid == "":
		return fmt.Errorf("embeddb: empty JID: %w", fs.ErrInvalid)
	case strings.IndexByte(jid, sep) >= 0:
		return fmt.Errorf("embeddb: JID %q contains a NUL byte: %w", jid, fs.ErrInvalid)
	case strings.IndexByte(jid, '/') >= 0:
		return fmt.Errorf("embeddb: %q is not a bare JID: %w", jid, fs.ErrInvalid)
	}
	return nil
}

// key joins kind and parts with sep. An empty last part gives the prefix of
// every key below the others: key("roster", owner, "") = "roster\x00owner\x00".
func key(kind string, parts ...string) []byte {
	n := len(kind) + len(parts)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, kind...)
	for _, p := range parts {
		k = append(k, sep)
		k = append(k, p...)
	}
	return k
}

func accountKey(jid string) []byte           { return key(kindAccount, jid) }
func accountPrefix() []byte                  { return key(kindAccount, "") }
func rosterKey(owner, contact string) []byte { return key(kindRoster, owner, contact) }
func rosterPrefix(owner string) []byte       { return key(kindRoster, owner, "") }
func rosterVerKey(owner string) []byte       { return key(kindRosterVer, owner) }
func pendingKey(owner, from string) []byte   { return key(kindPending, owner, from) }
func pendingPrefix(owner string) []byte      { return key(kindPending, owner, "") }
func offlinePrefix(owner string) []byte      { return key(kindOffline, owner, "") }
func offlineMetaKey(owner string) []byte     { return key(kindOfflineMeta, owner) }

// offlineKey appends seq big-endian so that byte order is push order.
func offlineKey(owner string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(offlinePrefix(owner), seq)
}

// ownerPrefixes are the prefixes holding data that belongs to owner, and
// ownerKeys its single keys; DeleteAccount removes both.
func ownerPrefixes(owner string) [][]byte {
	return [][]byte{rosterPrefix(owner), pendingPrefix(owner), offlinePrefix(owner)}
}

func ownerKeys(owner string) [][]byte {
	return [][]byte{rosterVerKey(owner), offlineMetaKey(owner)}
}

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

// Kinds of the vcard and private modules' stores (vcards.go, private.go).
const (
	kindVCard        = "vcard"
	kindVCardPhoto   = "vcardphoto"
	kindPrivate      = "private"
	kindPrivateCount = "privatecount"
)

// Kinds of the message archive (archive.go), which has its own Badger instance
// (archive_db.go). "mam\x00" differs from the others in its fourth byte, so no prefix
// scan of one returns keys of another.
const (
	kindMam      = "mam"
	kindMamWith  = "mamwith"
	kindMamCount = "mamcount"
	kindMamPrefs = "mamprefs"
	mamClockKey  = "meta/mamclock"
)

func mamPrefix(owner string) []byte           { return key(kindMam, owner, "") }
func mamKey(owner string, id []byte) []byte   { return append(mamPrefix(owner), id...) }
func mamWithPrefix(owner, peer string) []byte { return key(kindMamWith, owner, peer, "") }
func mamWithOwnerPrefix(owner string) []byte  { return key(kindMamWith, owner, "") }
func mamCountKey(owner string) []byte         { return key(kindMamCount, owner) }
func mamCountPrefix() []byte                  { return key(kindMamCount, "") }
func mamPrefsKey(owner string) []byte         { return key(kindMamPrefs, owner) }

// mamWithKey is the with-index entry of a record: mamwith\x00<owner>\x00<peer>\x00<id>.
func mamWithKey(owner, peer string, id []byte) []byte {
	return append(mamWithPrefix(owner, peer), id...)
}

// kindInvite holds the register module's invitations (invites.go), keyed by token.
const kindInvite = "invite"

func inviteKey(token string) []byte { return key(kindInvite, token) }
func invitePrefix() []byte          { return key(kindInvite, "") }

// kindBlock holds XEP-0191 block lists (blocklists.go).
const kindBlock = "block"

func blockKey(owner, jid string) []byte { return key(kindBlock, owner, jid) }
func blockPrefix(owner string) []byte   { return key(kindBlock, owner, "") }

// kindPeer holds the configured federation peers (peers.go), keyed by domain.
const kindPeer = "peer"

func peerKey(domain string) []byte { return key(kindPeer, domain) }
func peerPrefix() []byte           { return key(kindPeer, "") }

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
func vcardKey(owner string) []byte           { return key(kindVCard, owner) }
func vcardPhotoKey(owner string) []byte      { return key(kindVCardPhoto, owner) }
func privatePrefix(owner string) []byte      { return key(kindPrivate, owner, "") }
func privateCountKey(owner string) []byte    { return key(kindPrivateCount, owner) }

// privateKey is private\x00<owner>\x00<space>\x00<local>; neither part holds a NUL
// (checkPrivateKey), so the first NUL after the owner ends the namespace.
func privateKey(owner, space, local string) []byte { return key(kindPrivate, owner, space, local) }

// offlineKey appends seq big-endian so that byte order is push order.
func offlineKey(owner string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(offlinePrefix(owner), seq)
}

// ownerPrefixes are the prefixes holding data that belongs to owner, and
// ownerKeys its single keys; DeleteAccount removes both.
func ownerPrefixes(owner string) [][]byte {
	return append([][]byte{rosterPrefix(owner), pendingPrefix(owner), offlinePrefix(owner), privatePrefix(owner),
		blockPrefix(owner)}, pepOwnerPrefixes(owner)...)
}

func ownerKeys(owner string) [][]byte {
	return [][]byte{rosterVerKey(owner), offlineMetaKey(owner), vcardKey(owner), vcardPhotoKey(owner), privateCountKey(owner)}
}

// kindComponent holds the shared secrets of external components (components.go), keyed
// by domain.
const kindComponent = "component"

func componentKey(domain string) []byte { return key(kindComponent, domain) }
func componentPrefix() []byte           { return key(kindComponent, "") }

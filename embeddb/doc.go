// Package embeddb is xmppbox's embedded store: one Badger database in the data
// directory that implements the account, roster and offline-message store
// interfaces defined by their consumers (admin.AccountStore, c2s.Accounts,
// roster.Store and offline.Store).
//
// # Durability
//
// Every write is synced before the call returns (Badger SyncWrites): each one
// is something a client was told is stored, such as an offline message whose
// sender got no error, or a roster push already sent to the user's resources.
// The one exception is the message archive (Archive.Append): its records are
// committed in the background, in batches, and synced every tenth of a second,
// so a crash can lose the last tenth of a second of them; archive.go says why.
// It lives in its own Badger instance in the subdirectory archive/
// (archive_db.go), with the keys marked (archive) below.
//
// # Key layout
//
// Keys are bare JIDs joined by a 0x00 byte, which cannot occur in a JID (RFC
// 7622 forbids control characters), so no owner's prefix is a prefix of another
// owner's keys: "roster\x00alice@example.org\x00" does not match keys of
// "alice@example.org.evil". Keys are compared byte for byte; callers pass
// normalised (PRECIS) bare JIDs. A JID that is empty or contains 0x00 or '/' is
// refused with an error wrapping fs.ErrInvalid.
//
//	meta/schema                        schema version, decimal ASCII ("1")
//	acct\x00<jid>                      sasl.Credentials as JSON
//	roster\x00<owner>\x00<contact>     roster.Item as JSON
//	rosterver\x00<owner>               roster version, uint64 big-endian (≥ Unix µs)
//	pending\x00<owner>\x00<from>       the inbound subscribe stanza, raw bytes
//	offline\x00<owner>\x00<seq>        one offline stanza, raw bytes; seq is a
//	                                   uint64 big-endian, so key order is age order
//	offlinemeta\x00<owner>             next seq and message count, two uint64
//	                                   big-endian; absent when the queue is empty
//	invite\x00<token>                  register.Invite as JSON; deleted when used up
//	vcard\x00<owner>                   the vCard element (XEP-0054), raw bytes
//	vcardphoto\x00<owner>              its XEP-0153 photo hash, hex ASCII ("" for none)
//	private\x00<owner>\x00<ns>\x00<name> one XEP-0049 private element, raw bytes
//	privatecount\x00<owner>            number of private elements, uint64 big-endian;
//	                                   absent when there are none
//	pepnode\x00<owner>\x00<node>         a XEP-0163 node: config, next seq, item count (JSON)
//	pepitem\x00<owner>\x00<node>\x00<seq> one item (pep.go encodeItem); seq uint64 big-endian
//	pepid\x00<owner>\x00<node>\x00<id>   the seq of item <id>, uint64 big-endian
//	block\x00<owner>\x00<jid>           one XEP-0191 block list entry (any JID shape), empty value
//	mucroom\x00<room>                  a persistent XEP-0045 room: muc.Stored as JSON
//	peer\x00<domain>                   a federation peer: s2s.PeerConfig as JSON
//	component\x00<domain>              an external component's secret (XEP-0114), in plain
//	                                   because the handshake needs it, with its creation
//	                                   time, as JSON
//	mam\x00<owner>\x00<id>              (archive) a chunk of archived messages whose first
//	                                   has <id>: 15 bytes, Unix µs uint64 big-endian then 7
//	                                   random bytes, so key order is archive order; the
//	                                   record count in the user byte (archive_chunk.go)
//	mamwith\x00<owner>\x00<peer>\x00<id> (archive) the IDs of a chunk's messages with the
//	                                   bare JID <peer>, 15 bytes each; count in the user byte
//	mamcount\x00<owner>               (archive) number of archived messages, uint64
//	                                   big-endian; absent when there are none
//	mamprefs\x00<owner>               (archive) mam.Prefs as JSON (XEP-0441)
//	meta/mamclock                      (archive) newest archive time handed out, Unix µs
//	                                   uint64 big-endian: IDs keep growing across restarts
//
// The prefixes differ in the byte after their common part ("roster\x00" and
// "rosterver\x00", "offline\x00" and "offlinemeta\x00"), so no prefix scan of
// one kind returns keys of another.
//
// # Concurrency
//
// All methods are safe for concurrent use. Read-modify-write operations (roster
// versions, the offline count check) run in one Badger transaction; Badger
// detects conflicting concurrent transactions and the operation is retried a
// bounded number of times. Every update reads and writes a per-owner counter
// key (rosterver, offlinemeta), so two writers of the same owner always
// conflict rather than both passing a check on a stale snapshot. Methods must
// not be called after DB.Close.
//
// # Limits
//
// One Badger transaction holds at most about 1.2 MiB of writes (15% of the 8 MiB
// memtable). Deleting an account and taking a large offline queue are split
// into several transactions; a single stanza larger than that cannot be stored.
package embeddb

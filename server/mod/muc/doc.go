// Package muc is the XEP-0045 Multi-User Chat service (version 1.35) that xmppbox serves
// on conference.<domain>, registered with the router as a service domain.
//
// It implements instant rooms (locked until the owner submits the configuration form or
// accepts the defaults with an empty one, §10.1.2), joining with passwords, members-only,
// bans and occupant limits, presence with status codes (100, 110, 172/173, 201, 301, 303,
// 307, 321), nick changes and conflicts, groupchat messages with XEP-0359 stanza-ids and
// XEP-0421 occupant-ids, the subject, discussion history on join (§7.2.15, stamped with
// XEP-0203 delays), private messages, mediated invitations, voice requests (forwarded to
// moderators), multi-session nicks (one account joined from several resources under one
// nick), XEP-0410 self-ping, the muc#roomconfig form, muc#admin roles and affiliations,
// and room destruction with an alternate venue. Persistent rooms keep their
// configuration, affiliations and subject in a Store and are loaded on first use after a
// restart; empty temporary rooms are dropped.
//
// Room registration (§7.10, register.go): a jabber:iq:register get returns the
// muc#register form (the roomnick only) or <registered/> with the reserved nick; a
// submitted form makes the sender a member of an open room (in a members-only room only
// members may register, others get registration-required) and reserves the nick, which
// is kept with the affiliations (Stored.Nicks) and dropped with the membership. A nick
// reserved by another account is a conflict when joining, changing nick or registering
// (§7.2.9), and disco#info with node x-roomuser-item returns the sender's reserved nick
// (§7.12).
//
// Limits: occupants per room (service ceiling and room setting), rooms per creating
// account (counted for live rooms), and a token-bucket message rate per occupant answered
// with resource-constraint; none of them drops a stanza silently.
//
// Persistent rooms keep a XEP-0313 archive in the service's mam.Archive (see mam.go).
//
// Operators list, create and destroy rooms and set affiliations through manage.go
// (admin.Service, `xmppbox room`).
//
// Left out: registration forms beyond the roomnick (names, URLs, FAQ acceptance) and
// registration requests that wait for an admin's approval, approving voice requests
// through the submitted form (moderators grant voice through muc#admin), relaying IQs
// between occupants, and the nick rewriting that status 210 announces (nicks are used as
// sent; a member joining under another nick keeps it). History is kept in memory only.
//
// Locks: Module.mu guards the room table; each room has its own mu. Module.mu is taken
// before a room's mu, and neither is held while the router is called: state is copied
// under the lock and stanzas are sent after it is released.
package muc

// Package mam keeps a per-account archive of 1:1 messages and serves it with XEP-0313
// Message Archive Management (urn:xmpp:mam:2, version 0.8 / 1.x, with the
// urn:xmpp:mam:2#extended fields before-id, after-id and ids, flipped pages and archive
// metadata), paged with XEP-0059 Result Set Management. Every archived message is
// delivered with a XEP-0359 <stanza-id/> naming its place in the recipient's archive.
// Archiving preferences follow XEP-0441 (urn:xmpp:mam:2 <prefs/>); the default for an
// account that never set them is to archive everything. Records older than the retention
// period (default one year) are deleted by Run, hourly.
//
// Archiving is not on the message's critical path: a store may write records in the
// background (embeddb does, and may lose the last tenth of a second of them in a crash),
// and a failure to archive is logged, never returned to the sender.
//
// What is archived (XEP-0313 §5.1.1, as Prosody's mod_mam does): messages of type chat or
// normal with a <body/>, in the archive of the local sender (its copy, whoever the
// recipient is, on this server or not) and of the local recipient. Not archived: groupchat,
// headline and error messages, messages without a body (chat states alone, receipts,
// markers), and messages carrying a XEP-0334 <no-store/> or <no-permanent-store/> hint
// (unless also <store/>, which archives a chat or normal message even without a body).
// Chat state elements are stripped from the stored copy. A message an account sends to
// itself is archived once.
//
// MUC room archives live in the same Archive, owned by the room's bare JID; the muc package
// archives and answers them with ParseQuery, Answer and Metadata.
//
// Not implemented: groupchat messages in user archives (and so the include-groupchat field),
// PubSub archives, RSM <index/> in requests (answered feature-not-implemented, as
// XEP-0059 §2.6 allows), the XEP-0441 ad-hoc command, and <stanza-id/> inside the Carbons
// copy of a sent message (the carbons module would have to learn the sender's ID).
package mam

// Package vcard stores and serves vcard-temp (XEP-0054 v1.2) and helps vCard-based
// avatars (XEP-0153 v1.1) by putting the avatar hash into the user's presence.
//
// A user gets and sets their own vCard (IQ with no 'to', or to their own bare JID); anyone
// may get an account's vCard, which is world-readable (XEP-0054 §3.3, §6). With no vCard
// stored, the user's own get returns an empty <vCard/> (§3.1 allows it or item-not-found;
// clients handle the empty result better when they are about to upload one), while a get of
// another account returns item-not-found, as §3.3 requires an error. A get addressed to the
// server itself returns item-not-found: the server has no vCard of its own.
//
// A set replaces the whole vCard (there are no partial updates, §3.2). It is refused with
// policy-violation when its XML is larger than the configured maximum, and with bad-request
// when the PHOTO BINVAL is not base64 (XEP-0153 §4.5: whitespace in it is ignored).
//
// # Avatar hashes in presence
//
// When a vCard is stored, the SHA-1 of its decoded PHOTO BINVAL (XEP-0153 §3.1) is computed
// once and stored with it. Every available presence a local client sends, broadcast or
// directed, then carries that hash in <x xmlns='vcard-temp:x:update'><photo/></x>, as
// XEP-0398 §4 describes for a server: the <x/> is added when missing, an empty <x/> ("not
// ready", XEP-0153 §4.1) is filled, and a different hash is replaced with the stored one,
// which is what contacts will find when they fetch the vCard. A presence whose <photo/> is
// empty is left alone (the client says it has no image to advertise), and so is every
// presence of an account whose vCard has no PHOTO or that has no vCard.
//
// Not implemented: the XEP-0398 conversion between vCard and XEP-0084 PEP avatars, so the
// urn:xmpp:pep-vcard-conversion:0 feature is not advertised (Set is the entry point a PEP
// module would use for it); XEP-0292 vCard4; a vCard for the server itself.
package vcard

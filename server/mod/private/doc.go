// Package private is Private XML Storage (XEP-0049 v1.2, jabber:iq:private): a user
// stores arbitrary XML on the server and gets it back, and nobody else can read or change
// it (§3: forbidden, which the router answers for any IQ to another account).
//
// Each stored element is kept under its own namespace and local name, as Prosody does:
// <storage xmlns='storage:bookmarks'/> and <storage xmlns='storage:rosternotes'/> are two
// entries. A set may carry several elements (§2.3); each replaces the entry with its name,
// all in one store write, and an element with no attributes and no content removes the
// entry. A get returns the stored element for each requested one, or the request's own
// empty element when nothing is stored (what clients expect of an empty storage). A query
// with no child element is refused with not-acceptable (§2.3), and so is a child with no
// namespace of its own (it would be in jabber:iq:private itself).
//
// An account holds at most a fixed number of entries (resource-constraint beyond); each is
// bounded by the stanza size limit.
//
// Not implemented: the OPTIONAL refusal of reserved namespaces (§2.3, 'jabber:*',
// 'http://jabber.org/*', 'vcard-temp'): the data is only ever visible to its owner, so
// refusing them protects nothing and could break a client. XEP-0411 bookmark conversion
// lives with the PEP bookmarks; it uses Get, Set and OnChange.
package private

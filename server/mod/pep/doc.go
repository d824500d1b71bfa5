// Package pep makes every account a personal eventing service (XEP-0163 v1.2) on a
// XEP-0060 (v1.26) publish-subscribe core, with notifications filtered by XEP-0115 v1.6
// entity capabilities. It is what OMEMO (XEP-0384: eu.siacs.conversations.axolotl and
// urn:xmpp:omemo:2 device lists and bundles), user avatars (XEP-0084), native bookmarks
// (XEP-0402) and private storage via pubsub (XEP-0223) are built on.
//
// # Service
//
// The service of an account is its bare JID, with the identity pubsub/pep. The owner
// publishes (auto-create, §7.1.4; an item ID is generated when missing), retracts
// (§7.2, notify), creates nodes with or without a configuration (§8.1), gets and submits
// the node configuration form (§8.2), gets the default configuration (§8.3), deletes
// (§8.4) and purges (§8.5) nodes. Anyone may retrieve items (§6.5: all, max_items, by
// ID) as the node's access model allows: open (anyone), presence (the owner's contacts
// with a 'from' or 'both' subscription; others get not-authorized with
// presence-subscription-required), roster (those of them in pubsub#roster_groups_allowed;
// not-in-roster-group) and whitelist (the owner only; not-allowed with closed-node).
//
// publish-options (§7.1.5) are preconditions: on an existing node every known field must
// match the configuration (after normalisation: "1" is true, "max" and counts above the
// limit are Options.MaxItems) or the publish fails with conflict and
// precondition-not-met; a new node is created with the defaults changed by them. Fields
// the service does not know are ignored. The defaults (XEP-0163 §7): access model
// presence, persist_items true, max_items 1, send_last_published_item
// on_sub_and_presence, notifications with payloads, retractions and deletions notified.
// A node with persist_items false keeps no item: it notifies and forgets.
//
// # Notifications
//
// Subscriptions are implicit (XEP-0163 §4.2, §4.3): the account's own available
// resources and the available resources of contacts with a 'from' or 'both' subscription
// receive a node's events when their caps advertise NODE+notify and the access model
// lets them read the node. Events are headline messages from the owner's bare JID to each
// full JID. The audience of an account is learned from presence: its own resources'
// broadcasts (OnOutbound, OnAvailable) and available presence reaching its bare JID from
// other accounts' resources (OnInbound) — for a local contact, this is the presence the
// presence module routes to the account, so a contact whose presence the account does not
// receive (subscription 'from' only) gets no events, as XEP-0163 §4.2 notes. A resource
// with a negative priority gets none.
//
// When a resource becomes available (or its caps add a +notify), it gets the last item
// of each node it wants, unless the node says never (or on_sub, for a resource that just
// came online), stamped with <delay/> (§4.3.5).
//
// # Entity capabilities
//
// The <c/> of each presence is read; an unknown ver is resolved with a disco#info query
// to that full JID (from the account's bare JID), once per ver however many JIDs send it.
// The answer is verified (XEP-0115 §5.4, sha-1, sha-256 or sha-512) and then cached for
// every JID, in a cache bounded by Options.CapsCacheSize and shared by all accounts; an
// answer that fails verification, or one for another hash, counts for the asked JID only.
// Caps are remembered per full JID while it is available.
//
// # Concurrency
//
// Writes to one account's nodes are serialised by a striped lock in the module, so a
// configuration check and the write depending on it are atomic; the store needs no
// compare-and-set. The caps tracker has its own mutex, never held while calling out.
//
// # Bookmarks
//
// XEP-0402 bookmarks need nothing beyond publish-options (whitelist, max_items max,
// send_last_published_item never). With Options.Private set, the server also keeps them
// in step with XEP-0048 bookmarks in XEP-0049 private storage and advertises
// urn:xmpp:bookmarks:1#compat (XEP-0402 §5.3): a change of the urn:xmpp:bookmarks:1 node
// rewrites the conferences of storage:bookmarks (other entries, such as URLs, stay), and
// a client storing storage:bookmarks publishes and retracts the items that changed, with
// notifications, creating the node with the XEP-0402 configuration if needed.
//
// Not implemented: explicit subscriptions (subscribe, unsubscribe, subscription options:
// feature-not-implemented), affiliations (so the whitelist holds only the owner), the
// authorize access model, collection nodes, item expiry, notifications to remote servers
// (no federation yet), and disco#items listing of an account's nodes. Of the bookmark
// conversions, XEP-0411 (storage:bookmarks as a PEP node, urn:xmpp:bookmarks-conversion:0)
// and XEP-0402 #compat-pep are not offered.
package pep

package pep

import (
	"context"
	"time"
)

// Item is one published item of a node.
type Item struct {
	ID        string
	Publisher string    // bare JID of the account that published it (the owner in PEP)
	Published time.Time // when it was published, for <delay/> on last-item delivery
	// Payload is the item's payload element serialised by stanza.Element.AppendXML with
	// jabber:client as the namespace in scope (xmlstream.Parse reads it back); nil for an
	// item without payload.
	Payload []byte
}

// Config is a node's configuration (XEP-0060 §16.4.3, pubsub#node_config). The store
// keeps it as given; the one field it acts on is MaxItems.
type Config struct {
	AccessModel           string   `json:"access_model"` // open, presence, roster or whitelist
	RosterGroupsAllowed   []string `json:"roster_groups_allowed,omitempty"`
	PersistItems          bool     `json:"persist_items"`
	MaxItems              int      `json:"max_items"`
	SendLastPublishedItem string   `json:"send_last_published_item"` // never, on_sub, on_sub_and_presence
	DeliverNotifications  bool     `json:"deliver_notifications"`
	DeliverPayloads       bool     `json:"deliver_payloads"`
	NotifyRetract         bool     `json:"notify_retract"`
	NotifyDelete          bool     `json:"notify_delete"`
	Title                 string   `json:"title,omitempty"`
	Type                  string   `json:"type,omitempty"` // payload namespace, informational
}

// Store keeps the PEP nodes of every account and their items; embeddb implements it.
//
// Owners are bare JIDs; node names and item IDs are any non-empty strings without a NUL
// byte. Missing nodes and items are reported with errors wrapping fs.ErrNotExist, an
// existing node on CreateNode with one wrapping fs.ErrExist. Items of a node are ordered
// by publication: PutItem makes its item the newest, also when it replaces one with the
// same ID. A node keeps at most Config.MaxItems items (none when it is 0 or less): PutItem
// and SetConfig delete the oldest beyond that. All methods are safe for concurrent use;
// values passed in and returned are copies that the store and the caller do not share.
type Store interface {
	// Node returns a node's configuration.
	Node(ctx context.Context, owner, node string) (Config, error)
	// Nodes returns the names of owner's nodes in byte order.
	Nodes(ctx context.Context, owner string) ([]string, error)
	// CreateNode creates an empty node.
	CreateNode(ctx context.Context, owner, node string, cfg Config) error
	// SetConfig replaces a node's configuration, trimming its items to cfg.MaxItems.
	SetConfig(ctx context.Context, owner, node string, cfg Config) error
	// DeleteNode removes a node and its items.
	DeleteNode(ctx context.Context, owner, node string) error
	// PutItem stores it as the node's newest item, replacing the item with the same ID.
	PutItem(ctx context.Context, owner, node string, it Item) error
	// Items returns the node's items oldest first; with last > 0 only the newest last ones.
	Items(ctx context.Context, owner, node string, last int) ([]Item, error)
	// Item returns one item of a node.
	Item(ctx context.Context, owner, node, id string) (Item, error)
	// DeleteItem removes one item of a node.
	DeleteItem(ctx context.Context, owner, node, id string) error
	// Purge removes every item of a node.
	Purge(ctx context.Context, owner, node string) error
}

package vcard

import "context"

// Card is a stored vCard.
type Card struct {
	// XML is the <vCard xmlns='vcard-temp'/> element as written by stanza.Element.AppendXML
	// with jabber:client in scope, so that xmlstream.Parse reads it back.
	XML []byte
	// PhotoHash is the lower-case hex SHA-1 of the decoded PHOTO BINVAL, "" when the vCard
	// has no photo. It is computed when the vCard is set, not on every presence.
	PhotoHash string
}

// Store is the vCard storage this module needs; embeddb implements it. Owners are bare
// JIDs. A missing vCard is reported with an error that wraps fs.ErrNotExist.
type Store interface {
	// Get returns owner's vCard. The caller owns the returned bytes.
	Get(ctx context.Context, owner string) (Card, error)
	// Put stores c as owner's vCard, replacing any earlier one, and returns once it is
	// durable. The store keeps its own copy of c.XML.
	Put(ctx context.Context, owner string, c Card) error
	// PhotoHash returns the PhotoHash of owner's vCard without reading the vCard itself;
	// it is called for every available presence.
	PhotoHash(ctx context.Context, owner string) (string, error)
}

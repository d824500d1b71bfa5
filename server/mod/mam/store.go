package mam

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is wrapped by Archive.Query when an ID the query names (AfterID, BeforeID,
// IDs, After or Before) is not in the owner's archive. XEP-0313 §4.1.3 and §4.3.2 turn it
// into item-not-found.
var ErrNotFound = errors.New("mam: no such archive id")

// Archive is the per-account message history this module needs; embeddb implements it.
// Owners are bare JIDs, normalised by the caller. All methods are safe for concurrent use.
type Archive interface {
	// Append adds r to owner's archive and returns the ID the store gave it: unique within
	// the archive, never reused, unpredictable (XEP-0359 §6: it must not reveal the size
	// of the archive) and ordered: IDs of one archive sort, byte for byte, in the order
	// their Appends returned, and so do their times. r.ID is ignored. The record's time is
	// r.Time at microsecond precision, unless the store already archived a record with
	// that time or a later one (in any archive): then it is a microsecond after the latest,
	// so a clock step backwards cannot reorder an archive.
	//
	// A record is visible to every Query that starts after Append returned. A store may
	// write records in the background, in batches: a record can then be lost if the
	// process dies a few milliseconds after Append returned (see embeddb's doc for why
	// that is the trade made for archives). The store keeps r.Stanza: the caller must not
	// change it afterwards (it is built for the call; copying it would cost the hot path).
	Append(ctx context.Context, owner string, r Record) (id string, err error)

	// Query returns one page of owner's records matching q, oldest first, with the
	// number of records matching the filters. An ID in q that is not in the archive
	// gives an error wrapping ErrNotFound.
	Query(ctx context.Context, owner string, q Query) (Page, error)

	// DeleteBefore removes the records of every archive whose time is before cutoff
	// and returns how many went. IDs are not reused afterwards.
	DeleteBefore(ctx context.Context, cutoff time.Time) (int, error)

	// Prefs returns owner's archiving preferences, the zero Prefs if none were set.
	Prefs(ctx context.Context, owner string) (Prefs, error)
	// SetPrefs replaces owner's archiving preferences.
	SetPrefs(ctx context.Context, owner string, p Prefs) error
}

// Record is one archived message.
type Record struct {
	ID   string    // set by the store
	Time time.Time // when the server archived the message
	// With is the other party: the 'to' of an outgoing message, the 'from' of an
	// incoming one, as a JID string (full or bare, as it was on the stanza).
	With string
	// Stanza is the message as sent or delivered, serialised in jabber:client.
	Stanza []byte
}

// Query selects records. Filters narrow the result set (and its Count); After, Before
// and Last page through it. The zero Query matches the whole archive; with Max 0 it
// returns only the Count.
type Query struct {
	// With keeps records whose With matches: a bare JID matches every JID of that bare
	// JID, a full JID only itself (XEP-0313 §4.1.1). "" matches all.
	With string
	// Start and End keep records with Start <= Time <= End; a zero time is no bound.
	Start, End time.Time
	// AfterID and BeforeID keep records strictly after or before that record.
	AfterID, BeforeID string
	// IDs keeps only these records (nil: no such filter; empty and non-nil: none).
	IDs []string

	// After returns the page that follows the record After (XEP-0059 §2.2), Before the
	// page that precedes the record Before (§2.3). Last returns the last page (§2.5, an
	// empty <before/>). With none of them, the first page.
	After, Before string
	Last          bool
	// Max is the most records a page holds; 0 returns no records, only Count.
	Max int
}

// Page is the result of a Query.
type Page struct {
	Items []Record // oldest first
	// Count is the number of records matching the filters of the query, ignoring paging.
	Count int
	// Complete is true when no matching record lies beyond this page in the direction of
	// paging: after it for a forward page, before it for a Before or Last page.
	Complete bool
}

// Policy is an archiving default (XEP-0441 §2.1.1).
type Policy string

// The policies of XEP-0441 §2.1.1.
const (
	Always Policy = "always" // archive every message
	Never  Policy = "never"  // archive none
	Roster Policy = "roster" // archive messages with contacts in the roster
)

// Prefs are an account's archiving preferences (XEP-0441). JIDs are normalised JID
// strings; a bare JID applies to all its full JIDs.
type Prefs struct {
	Default Policy // "" until the user sets preferences: the server's default applies
	Always  []string
	Never   []string
}

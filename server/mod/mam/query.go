package mam

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// Request is a parsed archive query (ParseQuery).
type Request struct {
	Query
	QueryID string
	Flip    bool // XEP-0313 §4.3.4: send the page newest first
}

// query answers an archive query (XEP-0313 §4): one <message/> per result to the querying
// resource, then the IQ result with <fin/>. The results go into the resource's queue
// before the router queues the IQ result behind them, so the client sees them first.
func (m *Module) query(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	req, err := ParseQuery(iq.Payload)
	if err != nil {
		return nil, err
	}
	send := func(el *stanza.Element) error {
		if iq.Session == nil { // not asked by a client of this server: cannot happen with ToSelf
			m.router.Route(ctx, el)
			return nil
		}
		return iq.Session.Send(el)
	}
	return Answer(ctx, m.archive, iq.To, iq.From, req, send, m.log)
}

// Answer runs req on owner's archive and sends each result, as a <message/> from owner to
// to (XEP-0313 §4.2), through send, oldest first (newest first with flip-page). It returns
// the <fin/> payload of the IQ result, which the caller must send after the results. An
// ID in req that is not in the archive is item-not-found; a send error stops the results
// with resource-constraint. The MUC service answers room archives with it too.
func Answer(ctx context.Context, a Archive, owner, to jid.JID, req Request, send func(*stanza.Element) error, log *slog.Logger) (*stanza.Element, error) {
	page, err := a.Query(ctx, owner.String(), req.Query)
	if errors.Is(err, ErrNotFound) {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	if err != nil {
		return nil, err
	}
	order := slices.Clone(page.Items)
	if req.Flip {
		slices.Reverse(order)
	}
	for _, r := range order {
		msg, err := resultMessage(owner, to, req.QueryID, r)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "archived message unreadable", slog.String("jid", owner.String()), slog.String("id", r.ID), slog.Any("err", err))
			continue
		}
		if err := send(msg); err != nil {
			// The client's queue is full or gone: the rest would be lost too.
			log.LogAttrs(ctx, slog.LevelDebug, "archive results not queued", slog.String("jid", to.String()), slog.Any("err", err))
			return nil, stanza.Error{Type: stanza.Wait, Condition: stanza.ResourceConstraint, Text: "too many results at once: ask for a smaller page"}
		}
	}
	return fin(req, page), nil
}

// resultMessage wraps a record for the querier (XEP-0313 §4.2).
func resultMessage(owner, to jid.JID, queryID string, r Record) (*stanza.Element, error) {
	orig, err := xmlstream.Parse(r.Stanza)
	if err != nil {
		return nil, err
	}
	fwd := stanza.New(NSForward, "forwarded").Append(
		stanza.New(NSDelay, "delay", "stamp", stamp(r.Time)),
		orig,
	)
	result := stanza.New(NS, "result", "queryid", queryID, "id", r.ID).Append(fwd)
	return stanza.New(stanza.NSClient, "message", "to", to.String(), "from", owner.String()).Append(result), nil
}

// fin is the IQ result payload: the page's bounds and the result set's size (XEP-0059
// §2.1). complete is given in both cases, as XEP-0313 §4.3.2 allows.
func fin(req Request, page Page) *stanza.Element {
	complete := "false"
	if page.Complete {
		complete = "true"
	}
	set := stanza.New(NSRSM, "set")
	if n := len(page.Items); n > 0 {
		first := stanza.New(NSRSM, "first").AppendText(page.Items[0].ID)
		// The index is known without counting only on the first page; elsewhere XEP-0059
		// §2.1 lets it be left out. It is left out of the last page too, although it is
		// Count-n there: slixmpp's ResultIterator (1.8) stops paging backwards as soon as
		// index+n equals the count, which on the last page is at once.
		if req.Before == "" && !req.Last && req.After == "" {
			first.Set("index", "0")
		}
		set.Append(first, stanza.New(NSRSM, "last").AppendText(page.Items[n-1].ID))
	}
	set.Append(stanza.New(NSRSM, "count").AppendText(strconv.Itoa(page.Count)))
	return stanza.New(NS, "fin", "queryid", req.QueryID, "complete", complete).Append(set)
}

// metadata answers <metadata/> (XEP-0313 §6) for the account's archive.
func (m *Module) metadata(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	return Metadata(ctx, m.archive, iq.To.String())
}

// Metadata is the <metadata/> payload (XEP-0313 §6) of owner's archive: its first and
// last record, or nothing for an empty archive.
func Metadata(ctx context.Context, a Archive, owner string) (*stanza.Element, error) {
	el := stanza.New(NS, "metadata")
	for _, end := range []struct {
		name string
		q    Query
	}{{"start", Query{Max: 1}}, {"end", Query{Max: 1, Last: true}}} {
		page, err := a.Query(ctx, owner, end.q)
		if err != nil {
			return nil, err
		}
		if len(page.Items) == 0 {
			return stanza.New(NS, "metadata"), nil
		}
		r := page.Items[0]
		el.Append(stanza.New(NS, end.name, "id", r.ID, "timestamp", stamp(r.Time)))
	}
	return el, nil
}

// stamp formats t as a XEP-0082 DateTime in UTC, to the microsecond the archive keeps.
func stamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.999999Z")
}

// QueryForm lists the fields a query may use (XEP-0313 §4.1.5), the payload of the result
// to a query get. None is required; 'ids' is open to any value (XEP-0122).
func QueryForm() *stanza.Element {
	x := stanza.New(NSData, "x", "type", "form").Append(
		stanza.New(NSData, "field", "type", "hidden", "var", "FORM_TYPE").Append(
			stanza.New(NSData, "value").AppendText(NS)),
		stanza.New(NSData, "field", "type", "jid-single", "var", "with"),
		stanza.New(NSData, "field", "type", "text-single", "var", "start"),
		stanza.New(NSData, "field", "type", "text-single", "var", "end"),
		stanza.New(NSData, "field", "type", "text-single", "var", "before-id"),
		stanza.New(NSData, "field", "type", "text-single", "var", "after-id"),
		stanza.New(NSData, "field", "type", "list-multi", "var", "ids").Append(
			stanza.New(nsValidate, "validate", "datatype", "xs:string").Append(stanza.New(nsValidate, "open"))),
	)
	return stanza.New(NS, "query").Append(x)
}

func badRequest(text string) error {
	return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: text}
}

// ParseQuery reads a <query xmlns='urn:xmpp:mam:2'/>: its data form (XEP-0313 §4.1), its
// RSM set (XEP-0059) and <flip-page/>. Errors are stanza.Errors to answer with.
func ParseQuery(q *stanza.Element) (Request, error) {
	req := Request{QueryID: q.Get("queryid"), Query: Query{Max: DefaultPage}}
	if q.Get("node") != "" {
		// Reserved for PubSub archives (XEP-0313 §5.1.3); an account has none.
		return req, stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented, Text: "no node archives here"}
	}
	if x := q.Child(NSData, "x"); x != nil {
		if err := parseForm(x, &req.Query); err != nil {
			return req, err
		}
	}
	if set := q.Child(NSRSM, "set"); set != nil {
		if err := parseRSM(set, &req.Query); err != nil {
			return req, err
		}
	}
	req.Flip = q.Child(NS, "flip-page") != nil
	return req, nil
}

// parseForm applies the form's fields to q. A field this server does not know is
// feature-not-implemented (XEP-0313 §4.1.5).
func parseForm(x *stanza.Element, q *Query) error {
	if t := x.Get("type"); t != "submit" && t != "" {
		return badRequest("the query form must be of type submit")
	}
	for _, f := range x.ChildElements() {
		if f.Name.Space != NSData || f.Name.Local != "field" {
			continue
		}
		var values []string
		for _, v := range f.ChildElements() {
			if v.Name.Space == NSData && v.Name.Local == "value" {
				values = append(values, v.Text())
			}
		}
		single := ""
		if len(values) > 0 {
			single = values[0]
		}
		name := f.Get("var")
		switch name {
		case "FORM_TYPE":
			if single != NS {
				return badRequest("FORM_TYPE must be " + NS)
			}
		case "with":
			if single == "" {
				continue
			}
			j, err := jid.Parse(single)
			if err != nil {
				return stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed, Text: "with: not a JID"}
			}
			q.With = j.String()
		case "start", "end":
			if single == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, single) // XEP-0082 DateTime, fraction optional
			if err != nil {
				return badRequest(name + ": not a XEP-0082 date and time")
			}
			if name == "start" {
				q.Start = t
			} else {
				q.End = t
			}
		case "after-id":
			q.AfterID = single
		case "before-id":
			q.BeforeID = single
		case "ids":
			q.IDs = slices.DeleteFunc(values, func(v string) bool { return v == "" })
			if q.IDs == nil {
				q.IDs = []string{}
			}
		default:
			return stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented, Text: "unknown field " + name}
		}
	}
	return nil
}

// parseRSM applies a XEP-0059 <set/> to q: max (capped at MaxPage), after, before (empty
// for the last page). Paging by <index/> is not supported (§2.6 allows that).
func parseRSM(set *stanza.Element, q *Query) error {
	for _, c := range set.ChildElements() {
		if c.Name.Space != NSRSM {
			continue
		}
		switch c.Name.Local {
		case "max":
			n, err := strconv.Atoi(c.Text())
			if err != nil || n < 0 {
				return badRequest("max must be a number, 0 or more")
			}
			q.Max = min(n, MaxPage)
		case "after":
			q.After = c.Text()
		case "before":
			q.Before = c.Text()
			q.Last = q.Before == ""
		case "index":
			return stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented, Text: "page by UID, not by index"}
		}
	}
	return nil
}

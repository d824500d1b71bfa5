package webadmin

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// files holds the templates and the static files. The templates are named by a pattern:
// embedding the directory would leave out the shared _layout.html and _partials.html.
//
//go:embed templates/*.html static
var files embed.FS

// pages holds one template set per page: the shared layout and partials, plus the page's
// own "content". Parsing happens once; the sets are never changed afterwards.
var pages = parsePages()

// formError is the argument of the "formerror" template.
type formError struct{ ID, Text string }

// confirmForm is the argument of the "confirm" template: a destructive action behind a
// disclosure and a confirmation checkbox, for one row of a table.
type confirmForm struct {
	Action       string // the POST route
	Field, Value string // the hidden field naming the row's object
	Name         string // how the object is shown
	ID           string // of the checkbox, unique on the page
	Verb         string // the button: "Delete", "Destroy"
	Confirm      string // the checkbox's label
	CSRF         string
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when":     func(t time.Time) string { return t.Format("2 Jan 2006, 15:04 MST") },
		"iso":      func(t time.Time) string { return t.Format(time.RFC3339) },
		"bytes":    humanBytes,
		"roomName": roomName,
		"errorFor": func(errs map[string]string, id string) formError {
			return formError{ID: id, Text: errs[id]}
		},
		"confirm": func(action, field, value, name, id, verb, confirm, csrf string) confirmForm {
			return confirmForm{Action: action, Field: field, Value: value, Name: name, ID: id, Verb: verb, Confirm: confirm, CSRF: csrf}
		},
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/_*.html"))
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	m := make(map[string]*template.Template)
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		m[name] = template.Must(template.Must(base.Clone()).ParseFS(files, n))
	}
	return m
}

// page is what the layout shows around a page's content.
type page struct {
	Title  string
	Nav    string  // the path of the current section, marked in the navigation
	Domain string  // the XMPP domain
	Viewer *viewer // nil on public pages
	CSRF   string  // the token for this page's forms
	Flash  string  // the outcome of the last action, after a redirect
	Error  string  // a failure that concerns the whole page
	// Errors holds a message per form id, shown next to that form.
	Errors map[string]string
	// Form is what the user sent, to fill the form in again after an error.
	Form url.Values
	Data any
}

type navItem struct {
	Path, Label string
	Current     bool
}

// NavItems is the main navigation for the viewer.
func (p page) NavItems() []navItem {
	if p.Viewer == nil {
		return nil
	}
	var items []navItem
	if p.Viewer.Admin {
		items = append(items,
			navItem{Path: "/", Label: "Dashboard"},
			navItem{Path: "/users", Label: "Users"},
			navItem{Path: "/sessions", Label: "Sessions"},
			navItem{Path: "/invites", Label: "Invitations"},
			navItem{Path: "/rooms", Label: "Rooms"},
			navItem{Path: "/federation", Label: "Federation"},
			navItem{Path: "/settings", Label: "Settings"},
		)
	} else if p.Viewer.MayInvite {
		items = append(items, navItem{Path: "/invites", Label: "Invitations"})
	}
	items = append(items,
		navItem{Path: "/certificates", Label: "Certificates"},
		navItem{Path: "/me", Label: "My account"},
	)
	for i := range items {
		items[i].Current = items[i].Path == p.Nav
	}
	return items
}

// newPage starts a page for v (the zero viewer on public pages).
func newPage(v viewer, title, nav string) page {
	p := page{Title: title, Nav: nav}
	if v.JID != "" {
		p.Viewer = &v
		p.CSRF = v.CSRF
	}
	return p
}

// render writes page name with status. It executes the template into a buffer first, so a
// template failure is a clean 500 and not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := pages[name]
	if !ok {
		h.log.LogAttrs(r.Context(), slog.LevelError, "web page missing", slog.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Domain = h.domain
	if p.Viewer != nil && p.Flash == "" {
		p.Flash = h.sessions.popFlash(p.Viewer.session)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "web page failed", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		buf.WriteTo(w)
	}
}

// done ends a successful form post: the outcome is kept for the next page, and the browser
// is sent to see it, so reloading that page does not send the form again.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, v viewer, to, msg string) {
	h.sessions.setFlash(v.session, msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// messageData is the content of the message page.
type messageData struct {
	Heading, Text  string
	Link, LinkText string // "": back to the start or login page
	NoLink         bool   // no link at all
}

// message shows a page that only says something, such as an error.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, v viewer, status int, m messageData) {
	if m.Link == "" && !m.NoLink {
		m.Link, m.LinkText = "/login", "Go to the login page"
		if v.JID != "" {
			m.Link, m.LinkText = v.Home(), "Back to the start page"
		}
	}
	p := newPage(v, m.Heading, "")
	p.Data = m
	h.render(w, r, status, "message", p)
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, v viewer, text string) {
	h.message(w, r, v, http.StatusForbidden, messageData{Heading: "Not allowed", Text: text})
}

// csrfFailed refuses a form post without the right token. back is the page with the form,
// where a reload gets a fresh token.
func (h *Handler) csrfFailed(w http.ResponseWriter, r *http.Request, back string) {
	h.message(w, r, viewer{}, http.StatusForbidden, messageData{
		Heading:  "Form expired",
		Text:     "This form was too old or did not come from this page. Go back, reload the page and send it again.",
		Link:     back,
		LinkText: "Back to the form",
	})
}

// formPage is the page that shows the form posted to path: /users for /users/create.
func formPage(path string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if first == "logout" {
		return "/"
	}
	return "/" + first
}

// badBody answers a form post whose body could not be read.
func (h *Handler) badBody(w http.ResponseWriter, r *http.Request, err error) {
	status, text := http.StatusBadRequest, "The form could not be read."
	if _, ok := err.(*http.MaxBytesError); ok {
		status, text = http.StatusRequestEntityTooLarge, "The form was too large."
	}
	h.message(w, r, viewer{}, status, messageData{Heading: "Bad request", Text: text})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, viewer{}, http.StatusNotFound, messageData{
		Heading: "Page not found", Text: "There is no page at this address.",
		Link: "/", LinkText: "Go to the start page",
	})
}

// fail shows err as a page with the status its kind calls for. Failures of the server are
// logged, and the page says no more than that: their text may name internals.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v viewer, err error) {
	status, text := h.formFailure(r, err)
	h.message(w, r, v, status, messageData{Heading: http.StatusText(status), Text: text})
}

func (h *Handler) logFailure(r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "web request failed",
		slog.String("path", r.URL.Path), slog.String("jid", actorOf(r.Context())), slog.Any("err", err))
}

// static serves the embedded style sheet and icon. Unlike pages, they may be cached.
func (h *Handler) static(w http.ResponseWriter, r *http.Request, _ viewer) {
	name := r.PathValue("name")
	sub, _ := fs.Sub(files, "static")
	if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "max-age=3600")
	http.ServeFileFS(w, r, sub, name)
}

package webadmin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"xmppbox/admin"
)

// Options configure a Handler.
type Options struct {
	Backend Backend      // required
	Logger  *slog.Logger // required
	// Domain is the XMPP domain, shown on the pages and in invitations.
	Domain string
	// IdleTimeout ends a web session that has not been used for that long; 0 means 30
	// minutes. Sessions also end 12 hours after login, however busy.
	IdleTimeout time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

const (
	defaultIdleTimeout = 30 * time.Minute
	maxSessionAge      = 12 * time.Hour
	// maxBodyBytes bounds every request body. Most forms are a few hundred bytes; the
	// largest holds a peer's CA certificates in PEM, 2.2 KiB each once form-encoded for a
	// 4096-bit RSA CA, so about thirty fit.
	maxBodyBytes = 64 << 10
)

// Handler serves the web page on the HTTPS listener. It is safe for concurrent use. Its
// sessions live in memory, so they end when the process does.
type Handler struct {
	backend  Backend
	log      *slog.Logger
	domain   string
	now      func() time.Time
	sessions *sessionStore
	throttle *throttle
	mux      *http.ServeMux
}

// New returns a Handler for o.
func New(o Options) (*Handler, error) {
	if o.Backend == nil || o.Logger == nil {
		return nil, errors.New("webadmin: Options needs Backend and Logger")
	}
	if o.Domain == "" {
		return nil, errors.New("webadmin: Options needs Domain")
	}
	if o.IdleTimeout < 0 {
		return nil, fmt.Errorf("webadmin: negative IdleTimeout %v", o.IdleTimeout)
	}
	idle := o.IdleTimeout
	if idle == 0 {
		idle = defaultIdleTimeout
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	h := &Handler{
		backend:  o.Backend,
		log:      o.Logger,
		domain:   o.Domain,
		now:      now,
		sessions: newSessionStore(idle, maxSessionAge),
		throttle: newThrottle(maxLoginFailures, loginWindow),
		mux:      http.NewServeMux(),
	}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, h.guard(rt))
	}
	h.mux.HandleFunc("/", h.notFound)
	return h, nil
}

// securityHeaders go on every response. The policy allows the embedded style sheet, data:
// images and forms posting back here, and nothing else: the page has no script at all.
// There is no HSTS header: the certificate usually comes from the box's own CA, and HSTS
// would stop a browser that does not trust it yet from even showing how to fix that.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":  "nosniff",
	// Invitation tokens are in URLs, so no other site gets them as a referrer; not
	// no-referrer, with which browsers send "Origin: null" on form posts and the
	// same-origin check could not tell our own forms from forged ones.
	"Referrer-Policy":            "same-origin",
	"X-Frame-Options":            "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Cache-Control":              "no-store", // the static handler relaxes it
}

// ServeHTTP serves the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	for k, v := range securityHeaders {
		hdr.Set(k, v)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	h.mux.ServeHTTP(w, r)
}

// access says who may use a route.
type access int

const (
	public    access = iota // anyone, logged in or not
	member                  // any logged-in, enabled account
	adminOnly               // an enabled administrator (checked anew on every request)
	inviter                 // an administrator, or any account when users may invite
)

// pageFunc handles one route. v is the logged-in account, or the zero viewer on public
// routes; r's context carries admin.AsUser for v.
type pageFunc func(w http.ResponseWriter, r *http.Request, v viewer)

type route struct {
	pattern string
	access  access
	handle  pageFunc
}

// routes is the route table: every path of the page and who may use it. The tests walk it,
// so a new route is checked for authorization and CSRF without further work.
func (h *Handler) routes() []route {
	return []route{
		{"GET /static/{name}", public, h.static},
		{"GET /ca.pem", public, h.caPEM},
		{"GET /ca.der", public, h.caDER},
		{"GET /login", public, h.loginPage},
		{"POST /login", public, h.login},
		{"GET /invite/{token}", public, h.invitePage},
		{"POST /invite/{token}", public, h.inviteRedeem},

		{"POST /logout", member, h.logout},
		{"GET /me", member, h.mePage},
		{"POST /me/password", member, h.mePassword},
		{"POST /me/logout-device", member, h.meKick},
		{"GET /certificates", member, h.certificatesPage},

		{"GET /{$}", adminOnly, h.dashboard},
		{"GET /users", adminOnly, h.usersPage},
		{"POST /users/create", adminOnly, h.userCreate},
		{"POST /users/password", adminOnly, h.userPassword},
		{"POST /users/disabled", adminOnly, h.userDisabled},
		{"POST /users/admin", adminOnly, h.userAdmin},
		{"POST /users/delete", adminOnly, h.userDelete},
		{"GET /sessions", adminOnly, h.sessionsPage},
		{"POST /sessions/kick", adminOnly, h.sessionKick},
		{"GET /invites", inviter, h.invitesPage},
		{"POST /invites/create", inviter, h.inviteCreate},
		{"POST /invites/revoke", inviter, h.inviteRevoke},
		{"GET /rooms", adminOnly, h.roomsPage},
		{"POST /rooms/create", adminOnly, h.roomCreate},
		{"POST /rooms/destroy", adminOnly, h.roomDestroy},
		{"GET /federation", adminOnly, h.federationPage},
		{"POST /federation/peers/add", adminOnly, h.peerAdd},
		{"POST /federation/peers/delete", adminOnly, h.peerDelete},
		{"POST /federation/components/add", adminOnly, h.componentAdd},
		{"POST /federation/components/delete", adminOnly, h.componentDelete},
		{"GET /settings", adminOnly, h.settingsPage},
		{"POST /settings", adminOnly, h.settingsSave},
	}
}

// guard runs the checks a route's access level calls for, in this order: a POST's body is
// read and its origin checked; public routes then check the double-submit token; other
// routes need a live session, its CSRF token on a POST, and the account's current rights.
func (h *Handler) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		post := r.Method == http.MethodPost
		if post {
			if err := r.ParseForm(); err != nil {
				h.badBody(w, r, err)
				return
			}
			if !sameOrigin(r) {
				h.forbidden(w, r, viewer{}, "This form was sent from another site, so it was refused.")
				return
			}
		}
		if rt.access == public {
			if post && !checkFormToken(r) {
				h.csrfFailed(w, r, r.URL.Path)
				return
			}
			rt.handle(w, r, viewer{})
			return
		}

		s, ok := h.session(r)
		if !ok {
			h.needLogin(w, r)
			return
		}
		if post && !checkSessionToken(r, s.csrf) {
			h.csrfFailed(w, r, formPage(r.URL.Path))
			return
		}
		ctx := actAs(r.Context(), s.jid)
		u, err := h.backend.User(ctx, s.jid)
		switch {
		case err == nil && !u.Disabled && u.PasswordStamp != s.stamp:
			// Changed elsewhere (CLI, XMPP, another admin): whoever logged in with the old
			// password is logged out.
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "web session ended", slog.String("jid", s.jid), slog.String("reason", "password changed"))
			h.sessions.delete(s.id)
			clearCookie(w, sessionCookie)
			h.needLogin(w, r)
			return
		case err == nil && !u.Disabled:
		case err == nil, errors.Is(err, admin.ErrForbidden), errors.Is(err, fs.ErrNotExist):
			// Disabled or deleted since login: the session ends now, not at its timeout.
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "web session ended", slog.String("jid", s.jid), slog.String("reason", "account disabled or deleted"))
			h.sessions.delete(s.id)
			clearCookie(w, sessionCookie)
			h.needLogin(w, r)
			return
		default:
			h.fail(w, r, viewer{}, fmt.Errorf("checking the account of %s: %w", s.jid, err))
			return
		}
		v := viewer{JID: s.jid, Admin: u.Admin, CSRF: s.csrf, session: s.id}
		if !v.Admin {
			// Errors count as "no": the page then only lacks a menu entry.
			v.MayInvite, _ = h.backend.UsersMayInvite(ctx)
		}
		if (rt.access == adminOnly || rt.access == inviter && !v.MayInvite) && !v.Admin {
			h.forbidden(w, r, v, "This page is for administrators of the box.")
			return
		}
		rt.handle(w, r.WithContext(ctx), v)
	})
}

// needLogin answers a request that needs a session and has none: a page is sent to the
// login form, a form post is refused (its data could not be kept anyway).
func (h *Handler) needLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.forbidden(w, r, viewer{}, "Your session has ended. Log in again, then repeat what you did.")
}

// viewer is the logged-in account a request acts for.
type viewer struct {
	JID   string // bare JID
	Admin bool   // as the Backend said on this request
	// MayInvite: not an administrator, but users may invite people (admin.Settings).
	MayInvite bool
	CSRF      string // the session's token for its forms
	// session is the id of the web session.
	session string
}

// Home is where the viewer starts: the dashboard for administrators, their account page
// for everyone else.
func (v viewer) Home() string {
	if v.Admin {
		return "/"
	}
	return "/me"
}

// actorKey holds the bare JID a request acts for, next to admin.AsUser's own copy, which
// this package cannot read: the error log names the account with it.
type actorKey struct{}

// actAs marks ctx as acting for the account bareJID, for the Backend and for this package.
func actAs(ctx context.Context, bareJID string) context.Context {
	return admin.AsUser(context.WithValue(ctx, actorKey{}, bareJID), bareJID)
}

// actorOf returns the bare JID ctx acts for, or "".
func actorOf(ctx context.Context) string {
	j, _ := ctx.Value(actorKey{}).(string)
	return j
}

// Package webadmin is xmppbox's built-in web page: server-rendered HTML for administrators
// (dashboard, accounts, sessions, invitations, chat rooms, federation peers and gateways,
// settings), a self-service page for every account, the public invitation landing page
// (XEP-0401 §4) and the download of the box's certificate authority.
//
// It talks only to a [Backend], which *admin.Service satisfies; it never reaches the store
// or the server. Every call carries admin.AsUser for the logged-in account, so the Backend
// checks rights again; the page checks them first, so a refused request never reaches it.
//
// The page has no JavaScript and loads nothing from elsewhere: templates and the style
// sheet are embedded, charts and QR codes are inline SVG. Forms work with a keyboard and on
// a 360 px wide phone screen.
//
// Security, in one place each:
//   - sessions (session.go): in memory, 256-bit random ids in a __Host- cookie, 30 minutes
//     idle and 12 hours at most; rights are looked up again on every request.
//   - CSRF (csrf.go): a per-session token in every form, a double-submit cookie for the
//     forms shown before login, and a same-origin check on every POST.
//   - login throttling (throttle.go): 5 failures per 15 minutes per client and per name.
//   - headers (handler.go): a strict Content-Security-Policy and friends on every response.
//
// Locks: sessionStore.mu and throttle.mu are never held together, nor across a call to
// the Backend.
package webadmin

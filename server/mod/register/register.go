package register

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"xmppbox/server/router"
)

const (
	// NS is the in-band registration namespace (XEP-0077).
	NS = "jabber:iq:register"
	// NSFeature is the stream feature offering registration before authentication
	// (XEP-0077 §8).
	NSFeature = "http://jabber.org/features/iq-register"
	// NSToken is the stream feature announcing pre-authenticated registration
	// (XEP-0445 §3).
	NSToken = "urn:xmpp:ibr-token:0"
	// NSPreauth is the namespace of the <preauth token='…'/> element a client sends in an
	// IQ to present its invitation (XEP-0379, XEP-0445 §4).
	NSPreauth = "urn:xmpp:pars:0"

	nsData = "jabber:x:data" // XEP-0004 data forms
)

// DefaultPerIPPerHour is how many accounts one address may register in an hour without an
// invitation, when Options leaves it at 0.
const DefaultPerIPPerHour = 5

// Options says who may register in-band and how passwords are stored. The zero value lets
// nobody register; password change and account removal by a logged-in user are always on.
type Options struct {
	// Enabled lets clients create accounts on an unauthenticated stream.
	Enabled bool
	// InviteOnly allows that only after the client presented a valid invitation token.
	InviteOnly bool
	// PerIPPerHour bounds the registrations without an invitation from one address in
	// any hour; 0 means DefaultPerIPPerHour. Registrations with an invitation do not count:
	// the operator authorised them.
	PerIPPerHour int
	// Iterations is the PBKDF2 iteration count for new passwords (RFC 7677); the sasl
	// package raises a lower value to its minimum.
	Iterations int
	// MakeContacts puts two accounts in each other's rosters, for invitations that
	// pre-approve a subscription with the inviter (XEP-0379); nil ignores that request.
	MakeContacts func(ctx context.Context, a, b string) error
}

// Module serves jabber:iq:register: registration before authentication (through
// Open, which c2s calls for each unauthenticated stream), and password change and
// account removal after it.
type Module struct {
	accounts Accounts
	invites  Invites
	router   *router.Router
	domain   string
	opts     Options
	policy   atomic.Pointer[Policy] // who may register now; see SetPolicy
	limit    *limiter
	log      *slog.Logger
	now      func() time.Time
}

// New returns the module. It keeps no reference to opts.
func New(accounts Accounts, invites Invites, r *router.Router, opts Options, log *slog.Logger) *Module {
	if opts.PerIPPerHour <= 0 {
		opts.PerIPPerHour = DefaultPerIPPerHour
	}
	m := &Module{
		accounts: accounts,
		invites:  invites,
		router:   r,
		domain:   r.Domain().Domainpart(),
		opts:     opts,
		limit:    newLimiter(opts.PerIPPerHour, time.Hour),
		log:      log,
		now:      time.Now,
	}
	m.SetPolicy(Policy{Enabled: opts.Enabled, InviteOnly: opts.InviteOnly})
	return m
}

// Policy says who may create an account from a client.
type Policy struct {
	Enabled    bool // in-band registration is offered
	InviteOnly bool // only to clients that presented an invitation
}

// Policy returns the registration policy in force.
func (m *Module) Policy() Policy { return *m.policy.Load() }

// SetPolicy changes who may register, for streams opened from now on; the operator
// changes it live from the web page.
func (m *Module) SetPolicy(p Policy) { m.policy.Store(&p) }

// Register wires password change and account removal. Both are always on, so the feature
// is always advertised: a logged-in client learns from disco#info that it can change its
// password in-band (XEP-0077 §10). Registration itself is offered as a stream feature, by
// Open's streams, only when it is enabled.
func (m *Module) Register(r *router.Router) {
	// A client may address the server (as XEP-0077 §3.3 shows) or send no 'to' at all
	// (as §3.2 recommends for removal); the router gives the second form to ToSelf.
	for _, target := range []router.Target{router.ToServer, router.ToSelf} {
		r.RegisterIQ("get", NS, target, m.registered)
		r.RegisterIQ("set", NS, target, m.changePassword)
	}
	// Removal answers and then ends every session of the account, the requester's
	// included; an IQ handler's answer is sent after it returns, too late for that.
	r.OnOutbound(m.remove)
	r.RegisterFeature(NS)
}

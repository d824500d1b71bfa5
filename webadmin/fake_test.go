package webadmin

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"xmppbox/admin"
	"xmppbox/server/s2s"
)

// fakeBackend is an in-memory Backend. Like admin.Service it enforces who may do what,
// by the account the web layer says it acts for (actorOf, set next to admin.AsUser). It
// records every call, so tests can check that the web layer refused a request before
// asking it.
type fakeBackend struct {
	links  []s2s.LinkInfo // server-to-server links Status and ListPeers report
	domain string
	now    func() time.Time

	mu       sync.Mutex
	users    map[string]*fakeUser // by bare JID; guarded by mu
	sessions []admin.Session      // guarded by mu
	invites  map[string]admin.Invite
	rooms    map[string]admin.Room // by name
	roomsOff bool
	settings admin.Settings
	history  []admin.Sample
	ca       admin.CAInfo
	calls    []fakeCall
	nextTok  int
	peers    map[string]s2s.PeerConfig // by domain
	comps    map[string]string         // secret by domain
	compsOn  map[string]bool           // connected components
}

type fakeUser struct {
	password        string
	admin, disabled bool
}

type fakeCall struct {
	method string
	actor  string // "" for none
}

func newFakeBackend(domain string, now func() time.Time) *fakeBackend {
	return &fakeBackend{
		domain:   domain,
		now:      now,
		users:    make(map[string]*fakeUser),
		invites:  make(map[string]admin.Invite),
		rooms:    make(map[string]admin.Room),
		peers:    make(map[string]s2s.PeerConfig),
		comps:    make(map[string]string),
		compsOn:  make(map[string]bool),
		settings: admin.Settings{Registration: admin.RegistrationInvite, MAMRetention: 30 * 24 * time.Hour},
		ca: admin.CAInfo{
			PEM:         []byte("-----BEGIN CERTIFICATE-----\nTUlJ\n-----END CERTIFICATE-----\n"),
			DER:         []byte{0x30, 0x82, 0x01, 0x0a},
			Fingerprint: "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
			Subject:     "CN=xmppbox local CA",
			NotAfter:    now().Add(10 * 365 * 24 * time.Hour),
		},
	}
}

// addUser puts an account in place, bypassing the checks: the test's starting state.
func (f *fakeBackend) addUser(name, password string, isAdmin bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := name + "@" + f.domain
	f.users[j] = &fakeUser{password: password, admin: isAdmin}
	return j
}

func (f *fakeBackend) setFlags(j string, isAdmin, disabled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[j].admin, f.users[j].disabled = isAdmin, disabled
}

func (f *fakeBackend) addSession(full, remote string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = append(f.sessions, admin.Session{JID: full, Remote: remote, Since: f.now()})
}

// callLog returns the methods called so far, and forgets them.
func (f *fakeBackend) callLog() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// record notes a call. f.mu is held.
func (f *fakeBackend) record(ctx context.Context, method string) {
	f.calls = append(f.calls, fakeCall{method: method, actor: actorOf(ctx)})
}

// authorize allows the admin operations to enabled administrators. f.mu is held.
func (f *fakeBackend) authorize(ctx context.Context, op string) error {
	a := actorOf(ctx)
	if u, ok := f.users[a]; ok && u.admin && !u.disabled {
		return nil
	}
	return fmt.Errorf("%s: %w: %q is not an administrator", op, admin.ErrForbidden, a)
}

// authorizeInviter allows admins, and any enabled account when users may invite; asUser
// says which, like admin.Service. f.mu is held.
func (f *fakeBackend) authorizeInviter(ctx context.Context, op string) (asUser bool, err error) {
	if err := f.authorize(ctx, op); err == nil {
		return false, nil
	}
	if u, ok := f.users[actorOf(ctx)]; ok && !u.disabled && f.settings.UsersMayInvite {
		return true, nil
	}
	return false, f.authorize(ctx, op)
}

func (f *fakeBackend) UsersMayInvite(ctx context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "UsersMayInvite")
	return f.settings.UsersMayInvite, nil
}

// authorizeSelf also allows an enabled account to act on itself. f.mu is held.
func (f *fakeBackend) authorizeSelf(ctx context.Context, op, j string) error {
	if a := actorOf(ctx); a == j {
		if u, ok := f.users[a]; ok && !u.disabled {
			return nil
		}
	}
	return f.authorize(ctx, op)
}

// bare normalises a name the way the Service does, roughly. f.mu need not be held.
func (f *fakeBackend) bare(nameOrJID string) (string, error) {
	n := strings.ToLower(nameOrJID)
	if n == "" || strings.ContainsAny(n, " /") {
		return "", fmt.Errorf("%w user name %q: it may not be empty or have spaces", admin.ErrInvalid, nameOrJID)
	}
	if !strings.Contains(n, "@") {
		n += "@" + f.domain
	}
	if !strings.HasSuffix(n, "@"+f.domain) {
		return "", fmt.Errorf("%w user %q: wrong domain", admin.ErrInvalid, nameOrJID)
	}
	return n, nil
}

func (f *fakeBackend) Authenticate(ctx context.Context, nameOrJID, password string) (admin.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "Authenticate")
	j, err := f.bare(nameOrJID)
	if err != nil {
		return admin.User{}, admin.ErrBadLogin
	}
	u, ok := f.users[j]
	if !ok || u.disabled || u.password != password {
		return admin.User{}, admin.ErrBadLogin
	}
	return f.user(j), nil
}

// user describes account j. f.mu is held.
func (f *fakeBackend) user(j string) admin.User {
	u := f.users[j]
	n := 0
	for _, s := range f.sessions {
		if strings.HasPrefix(s.JID, j+"/") {
			n++
		}
	}
	return admin.User{JID: j, Admin: u.admin, Disabled: u.disabled, Sessions: n, PasswordStamp: "stamp-" + u.password}
}

func (f *fakeBackend) User(ctx context.Context, nameOrJID string) (admin.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "User")
	j, err := f.bare(nameOrJID)
	if err != nil {
		return admin.User{}, err
	}
	if err := f.authorizeSelf(ctx, "user", j); err != nil {
		return admin.User{}, err
	}
	if _, ok := f.users[j]; !ok {
		return admin.User{}, fmt.Errorf("%s: %w", j, admin.ErrNoUser)
	}
	return f.user(j), nil
}

func (f *fakeBackend) Users(ctx context.Context, q admin.UserQuery) (admin.UserPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "Users")
	if err := f.authorize(ctx, "users"); err != nil {
		return admin.UserPage{}, err
	}
	var all []string
	for j := range f.users {
		if strings.Contains(j, strings.ToLower(q.Search)) {
			all = append(all, j)
		}
	}
	slices.Sort(all)
	p := admin.UserPage{Total: len(all)}
	for i := q.Offset; i < len(all) && i < q.Offset+q.Limit; i++ {
		p.Users = append(p.Users, f.user(all[i]))
	}
	return p, nil
}

func (f *fakeBackend) AddUser(ctx context.Context, nameOrJID, password string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "AddUser")
	if err := f.authorize(ctx, "add user"); err != nil {
		return "", err
	}
	return f.create(nameOrJID, password)
}

// create adds an account. f.mu is held.
func (f *fakeBackend) create(nameOrJID, password string) (string, error) {
	j, err := f.bare(nameOrJID)
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", fmt.Errorf("%w password: it is empty", admin.ErrInvalid)
	}
	if _, ok := f.users[j]; ok {
		return "", fmt.Errorf("%s: %w", j, admin.ErrUserExists)
	}
	f.users[j] = &fakeUser{password: password}
	return j, nil
}

func (f *fakeBackend) DeleteUser(ctx context.Context, nameOrJID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "DeleteUser")
	if err := f.authorize(ctx, "delete user"); err != nil {
		return "", err
	}
	j, err := f.existing(nameOrJID)
	if err != nil {
		return "", err
	}
	delete(f.users, j)
	return j, nil
}

// existing normalises nameOrJID and checks the account exists. f.mu is held.
func (f *fakeBackend) existing(nameOrJID string) (string, error) {
	j, err := f.bare(nameOrJID)
	if err != nil {
		return "", err
	}
	if _, ok := f.users[j]; !ok {
		return "", fmt.Errorf("%s: %w", j, admin.ErrNoUser)
	}
	return j, nil
}

func (f *fakeBackend) SetPassword(ctx context.Context, nameOrJID, password string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "SetPassword")
	j, err := f.bare(nameOrJID)
	if err != nil {
		return "", err
	}
	if err := f.authorizeSelf(ctx, "set password", j); err != nil {
		return "", err
	}
	if _, err := f.existing(j); err != nil {
		return "", err
	}
	if password == "" {
		return "", fmt.Errorf("%w password: it is empty", admin.ErrInvalid)
	}
	f.users[j].password = password
	return j, nil
}

func (f *fakeBackend) SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "SetDisabled")
	if err := f.authorize(ctx, "disable"); err != nil {
		return "", err
	}
	j, err := f.existing(nameOrJID)
	if err != nil {
		return "", err
	}
	f.users[j].disabled = disabled
	return j, nil
}

func (f *fakeBackend) SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "SetAdmin")
	if err := f.authorize(ctx, "set admin"); err != nil {
		return "", err
	}
	j, err := f.existing(nameOrJID)
	if err != nil {
		return "", err
	}
	f.users[j].admin = isAdmin
	return j, nil
}

func (f *fakeBackend) ListSessions(ctx context.Context) ([]admin.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "ListSessions")
	if err := f.authorize(ctx, "list sessions"); err != nil {
		return nil, err
	}
	return slices.Clone(f.sessions), nil
}

func (f *fakeBackend) UserSessions(ctx context.Context, bareJID string) ([]admin.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "UserSessions")
	if err := f.authorizeSelf(ctx, "user sessions", bareJID); err != nil {
		return nil, err
	}
	var l []admin.Session
	for _, s := range f.sessions {
		if bareOf(s.JID) == bareJID {
			l = append(l, s)
		}
	}
	return l, nil
}

func (f *fakeBackend) KickSession(ctx context.Context, fullJID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "KickSession")
	if err := f.authorizeSelf(ctx, "kick", bareOf(fullJID)); err != nil {
		return err
	}
	i := slices.IndexFunc(f.sessions, func(s admin.Session) bool { return s.JID == fullJID })
	if i < 0 {
		return fmt.Errorf("%s: %w", fullJID, admin.ErrNoSession)
	}
	f.sessions = slices.Delete(f.sessions, i, i+1)
	return nil
}

func (f *fakeBackend) CreateInvite(ctx context.Context, req admin.InviteRequest) (admin.Invite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "CreateInvite")
	asUser, err := f.authorizeInviter(ctx, "create invite")
	if err != nil {
		return admin.Invite{}, err
	}
	if asUser && (req.Uses > 1 || req.ValidFor > admin.DefaultInviteValidity || req.Username != "") {
		return admin.Invite{}, fmt.Errorf("%w: one person, for a week at most", admin.ErrInvalid)
	}
	if req.Username != "" {
		if _, err := f.bare(req.Username); err != nil {
			return admin.Invite{}, err
		}
	}
	f.nextTok++
	tok := fmt.Sprintf("TOKEN%dABCDEFGHIJKLMNOPQRS", f.nextTok)
	inv := admin.Invite{
		Token: tok, URI: admin.InviteURI(f.domain, tok),
		Created: f.now(), Expires: f.now().Add(req.ValidFor),
		Uses: max(req.Uses, 1), Username: req.Username, CreatedBy: actorOf(ctx), AddInviter: req.AddInviter,
	}
	f.invites[tok] = inv
	return inv, nil
}

func (f *fakeBackend) ListInvites(ctx context.Context) ([]admin.Invite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "ListInvites")
	asUser, err := f.authorizeInviter(ctx, "list invites")
	if err != nil {
		return nil, err
	}
	var l []admin.Invite
	for _, inv := range f.invites {
		if !asUser || inv.CreatedBy == actorOf(ctx) {
			l = append(l, inv)
		}
	}
	slices.SortFunc(l, func(a, b admin.Invite) int { return strings.Compare(a.Token, b.Token) })
	return l, nil
}

func (f *fakeBackend) RevokeInvite(ctx context.Context, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "RevokeInvite")
	asUser, err := f.authorizeInviter(ctx, "revoke invite")
	if err != nil {
		return err
	}
	if inv, ok := f.invites[token]; !ok || asUser && inv.CreatedBy != actorOf(ctx) {
		return admin.ErrNoInvite
	}
	delete(f.invites, token)
	return nil
}

// lookup returns a working invitation. f.mu is held.
func (f *fakeBackend) lookup(token string) (admin.Invite, error) {
	inv, ok := f.invites[token]
	if !ok || inv.Uses < 1 || !f.now().Before(inv.Expires) {
		return admin.Invite{}, admin.ErrNoInvite
	}
	return inv, nil
}

func (f *fakeBackend) LookupInvite(ctx context.Context, token string) (admin.Invite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "LookupInvite")
	return f.lookup(token)
}

func (f *fakeBackend) RedeemInvite(ctx context.Context, token, username, password string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "RedeemInvite")
	inv, err := f.lookup(token)
	if err != nil {
		return "", err
	}
	if inv.Username != "" && !strings.EqualFold(username, inv.Username) {
		return "", fmt.Errorf("%w: this invitation is for the user name %s", admin.ErrInvalid, inv.Username)
	}
	j, err := f.create(username, password)
	if err != nil {
		return "", err
	}
	inv.Uses--
	f.invites[token] = inv
	return j, nil
}

func (f *fakeBackend) Status(ctx context.Context) (admin.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "Status")
	if err := f.authorize(ctx, "status"); err != nil {
		return admin.Status{}, err
	}
	return admin.Status{
		Domain: f.domain, Version: "v0.test", Running: true, Started: f.now().Add(-50 * time.Hour),
		Users: len(f.users), OnlineUsers: 1, Connections: len(f.sessions), Sessions: slices.Clone(f.sessions),
		StanzasPerSecond: 2.5, StoreBytes: 3 << 20, CertExpiry: f.now().Add(80 * 24 * time.Hour),
		Links: slices.Clone(f.links),
	}, nil
}

func (f *fakeBackend) History(ctx context.Context) ([]admin.Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "History")
	if err := f.authorize(ctx, "history"); err != nil {
		return nil, err
	}
	return slices.Clone(f.history), nil
}

func (f *fakeBackend) CA() (admin.CAInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(context.Background(), "CA")
	return f.ca, nil
}

func (f *fakeBackend) Settings(ctx context.Context) (admin.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "Settings")
	if err := f.authorize(ctx, "settings"); err != nil {
		return admin.Settings{}, err
	}
	return f.settings, nil
}

func (f *fakeBackend) SetSettings(ctx context.Context, s admin.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "SetSettings")
	if err := f.authorize(ctx, "set settings"); err != nil {
		return err
	}
	if s.MAMRetention < admin.MinRetention || s.MAMRetention > admin.MaxRetention {
		return fmt.Errorf("%w retention %v", admin.ErrInvalid, s.MAMRetention)
	}
	f.settings = s
	return nil
}

func (f *fakeBackend) ListRooms(ctx context.Context) ([]admin.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "ListRooms")
	if err := f.authorize(ctx, "list rooms"); err != nil {
		return nil, err
	}
	if f.roomsOff {
		return nil, admin.ErrNoRooms
	}
	var l []admin.Room
	for _, r := range f.rooms {
		l = append(l, r)
	}
	slices.SortFunc(l, func(a, b admin.Room) int { return strings.Compare(a.JID, b.JID) })
	return l, nil
}

func (f *fakeBackend) CreateRoom(ctx context.Context, name, owner string) (admin.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "CreateRoom")
	if err := f.authorize(ctx, "create room"); err != nil {
		return admin.Room{}, err
	}
	if f.roomsOff {
		return admin.Room{}, admin.ErrNoRooms
	}
	if strings.ContainsAny(name, " @/") {
		return admin.Room{}, fmt.Errorf("%w room name %q", admin.ErrInvalid, name)
	}
	name = strings.ToLower(name)
	if _, ok := f.rooms[name]; ok {
		return admin.Room{}, fmt.Errorf("%s: %w", name, admin.ErrRoomExists)
	}
	r := admin.Room{JID: name + "@conference." + f.domain, Persistent: true, Public: true}
	f.rooms[name] = r
	return r, nil
}

func (f *fakeBackend) DestroyRoom(ctx context.Context, name, reason string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "DestroyRoom")
	if err := f.authorize(ctx, "destroy room"); err != nil {
		return "", err
	}
	if f.roomsOff {
		return "", admin.ErrNoRooms
	}
	if _, ok := f.rooms[name]; !ok {
		return "", fmt.Errorf("%s: %w", name, admin.ErrNoRoom)
	}
	delete(f.rooms, name)
	return name, nil
}

// peerDomain normalises a peer's domain roughly as the Service does. f.mu need not be held.
func (f *fakeBackend) peerDomain(domain string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	switch {
	case d == "" || strings.ContainsAny(d, "@/ "):
		return "", fmt.Errorf("%w peer domain %q", admin.ErrInvalid, domain)
	case d == f.domain:
		return "", fmt.Errorf("%w peer %s: it is this server's own domain", admin.ErrInvalid, d)
	}
	return d, nil
}

// checkCAPEM accepts PEM text of certificates only, like the Service.
func checkCAPEM(text string) error {
	rest, n := []byte(text), 0
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("%w peer CA: it holds a PEM block of type %q; give only certificates", admin.ErrInvalid, b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("%w peer CA: certificate %d: %v", admin.ErrInvalid, n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w peer CA: no PEM certificate in it", admin.ErrInvalid)
	}
	return nil
}

func (f *fakeBackend) ListPeers(ctx context.Context) ([]admin.PeerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "ListPeers")
	if err := f.authorize(ctx, "list peers"); err != nil {
		return nil, err
	}
	links := map[string][]s2s.LinkInfo{}
	for _, l := range f.links {
		links[l.Remote] = append(links[l.Remote], l)
	}
	var out []admin.PeerStatus
	for d, c := range f.peers {
		out = append(out, admin.PeerStatus{PeerConfig: c, Configured: true, Links: links[d]})
		delete(links, d)
	}
	for d, l := range links {
		out = append(out, admin.PeerStatus{PeerConfig: s2s.PeerConfig{Domain: d}, Links: l})
	}
	slices.SortFunc(out, func(a, b admin.PeerStatus) int { return strings.Compare(a.Domain, b.Domain) })
	return out, nil
}

func (f *fakeBackend) AddPeer(ctx context.Context, c s2s.PeerConfig) (s2s.PeerConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "AddPeer")
	if err := f.authorize(ctx, "add peer"); err != nil {
		return s2s.PeerConfig{}, err
	}
	var err error
	if c.Domain, err = f.peerDomain(c.Domain); err != nil {
		return s2s.PeerConfig{}, err
	}
	if c.Addr != "" {
		if err := s2s.CheckAddr(c.Addr); err != nil {
			return s2s.PeerConfig{}, fmt.Errorf("%w peer %w", admin.ErrInvalid, err)
		}
	}
	if c.CAPEM != "" {
		if err := checkCAPEM(c.CAPEM); err != nil {
			return s2s.PeerConfig{}, err
		}
	}
	if _, err := c.Peer(); err != nil {
		return s2s.PeerConfig{}, fmt.Errorf("%w %v", admin.ErrInvalid, err)
	}
	f.peers[c.Domain] = c
	return c, nil
}

func (f *fakeBackend) DeletePeer(ctx context.Context, domain string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "DeletePeer")
	if err := f.authorize(ctx, "delete peer"); err != nil {
		return err
	}
	d, err := f.peerDomain(domain)
	if err != nil {
		return err
	}
	if _, ok := f.peers[d]; !ok {
		return fmt.Errorf("%s: %w", d, admin.ErrNoPeer)
	}
	delete(f.peers, d)
	return nil
}

// componentDomain checks a component's domain roughly as the Service does. f.mu need not
// be held.
func (f *fakeBackend) componentDomain(domain string) (string, error) {
	d := strings.ToLower(domain)
	switch {
	case d == "" || strings.ContainsAny(d, "@/ "):
		return "", fmt.Errorf("%w component domain %q", admin.ErrInvalid, domain)
	case !strings.Contains(d, "."):
		return "", fmt.Errorf("%w component domain %q: give a name with a dot, such as gw.%s", admin.ErrInvalid, domain, f.domain)
	case d == f.domain || d == "conference."+f.domain:
		return "", fmt.Errorf("%w component domain %s: it is this server's own", admin.ErrInvalid, d)
	}
	return d, nil
}

func (f *fakeBackend) ListComponents(ctx context.Context) ([]admin.Component, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "ListComponents")
	if err := f.authorize(ctx, "list components"); err != nil {
		return nil, err
	}
	out := []admin.Component{}
	for d := range f.comps {
		out = append(out, admin.Component{Domain: d, Connected: f.compsOn[d]})
	}
	slices.SortFunc(out, func(a, b admin.Component) int { return strings.Compare(a.Domain, b.Domain) })
	return out, nil
}

func (f *fakeBackend) AddComponent(ctx context.Context, domain, secret string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "AddComponent")
	if err := f.authorize(ctx, "add component"); err != nil {
		return "", err
	}
	d, err := f.componentDomain(domain)
	if err != nil {
		return "", err
	}
	if len(secret) < admin.MinComponentSecretBytes {
		return "", fmt.Errorf("%w secret: it has %d bytes", admin.ErrInvalid, len(secret))
	}
	if _, ok := f.comps[d]; ok {
		return "", fmt.Errorf("%s: %w", d, admin.ErrComponentExists)
	}
	f.comps[d] = secret
	return d, nil
}

func (f *fakeBackend) DeleteComponent(ctx context.Context, domain string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(ctx, "DeleteComponent")
	if err := f.authorize(ctx, "delete component"); err != nil {
		return "", err
	}
	d := strings.ToLower(domain)
	if _, ok := f.comps[d]; !ok {
		return "", fmt.Errorf("%s: %w", d, admin.ErrNoComponent)
	}
	delete(f.comps, d)
	delete(f.compsOn, d)
	return d, nil
}

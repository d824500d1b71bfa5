package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/s2s"
	"xmppbox/server/sasl"
)

// Config is what a Service needs.
type Config struct {
	Domain   string       // the XMPP domain; user names without a domain get this one
	Accounts AccountStore // required
	// Sessions is the running server; nil when the CLI works on the store directly.
	Sessions Sessions
	Invites  InviteStore // nil: CreateInvite fails
	// Rooms is the running server's chat room service; nil when the CLI works on the
	// store directly or MUC is off: the room methods fail with ErrNoRooms.
	Rooms Rooms
	// Settings stores what the web page changes; Live applies it to the running server.
	// Either nil: Settings and SetSettings fail.
	Settings SettingsStore
	Live     LiveSettings
	// StoreSize returns the store's size on disk in bytes; nil: unknown.
	StoreSize func() int64
	// CertExpiry returns when the domain's TLS certificate expires; nil: unknown.
	CertExpiry func() (time.Time, error)
	// CA is the local root CA; nil when there is none.
	CA *CAInfo
	// Components stores the secrets of external components (XEP-0114); nil: the
	// component methods fail. ComponentLinks is the running server's component listener;
	// nil when the CLI works on the store directly (components show as not connected).
	Components     ComponentStore
	ComponentLinks ComponentLinks
	// MUCDomain is the domain of the chat room service, which no component may take.
	MUCDomain string
	// Peers stores the federation peers added with the CLI or the API; nil: AddPeer and
	// DeletePeer fail. Federation is the running server's server-to-server links; nil
	// when the CLI works on the store directly or federation is off (peers show no links).
	Peers PeerStore
	// StaticPeers are the config file's [[peers]], listed by ListPeers with FromFile.
	StaticPeers []s2s.PeerConfig
	Federation  Federation
	// Iterations is the PBKDF2 iteration count for new passwords; below 4096 means 4096.
	Iterations int
	Logger     *slog.Logger // required
}

// Service carries out administrative operations. It is safe for concurrent use; its only
// state of its own is the last hour of status samples (see Run).
type Service struct {
	domain      string
	accounts    AccountStore
	sessions    Sessions
	invites     InviteStore
	rooms       Rooms
	settings    SettingsStore
	live        LiveSettings
	storeSize   func() int64
	certExpiry  func() (time.Time, error)
	ca          *CAInfo
	components  ComponentStore
	compLinks   ComponentLinks
	mucDomain   string
	peers       PeerStore
	federation  Federation
	staticPeers []s2s.PeerConfig
	iterations  int
	log         *slog.Logger
	history     *history
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	d, err := jid.Parse(cfg.Domain)
	if err != nil || d.Localpart() != "" || d.Resourcepart() != "" {
		return nil, fmt.Errorf("admin: invalid domain %q", cfg.Domain)
	}
	if cfg.Accounts == nil || cfg.Logger == nil {
		return nil, errors.New("admin: Config needs Accounts and Logger")
	}
	it := cfg.Iterations
	if it < 4096 {
		it = 4096
	}
	return &Service{
		domain:      d.Domainpart(),
		accounts:    cfg.Accounts,
		sessions:    cfg.Sessions,
		invites:     cfg.Invites,
		rooms:       cfg.Rooms,
		settings:    cfg.Settings,
		live:        cfg.Live,
		storeSize:   cfg.StoreSize,
		certExpiry:  cfg.CertExpiry,
		ca:          cfg.CA,
		components:  cfg.Components,
		compLinks:   cfg.ComponentLinks,
		mucDomain:   cfg.MUCDomain,
		peers:       cfg.Peers,
		federation:  cfg.Federation,
		staticPeers: cfg.StaticPeers,
		iterations:  it,
		log:         cfg.Logger,
		history:     newHistory(),
	}, nil
}

// Domain returns the normalised domain the Service manages.
func (s *Service) Domain() string { return s.domain }

// BareJID normalises a user name ("Alice") or a bare JID ("alice@example.org") of this
// Service's domain to the bare JID the store is keyed on. Errors wrap ErrInvalid.
func (s *Service) BareJID(nameOrJID string) (string, error) {
	var (
		j   jid.JID
		err error
	)
	if strings.ContainsAny(nameOrJID, "@/") {
		j, err = jid.Parse(nameOrJID)
	} else {
		// A plain name is a localpart: jid.New applies PRECIS UsernameCaseMapped to it
		// (RFC 7622 §3.3), so "Alice" and "ＡＬＩＣＥ" both become "alice".
		j, err = jid.New(nameOrJID, s.domain, "")
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("%w user name %q: %v", ErrInvalid, nameOrJID, err)
	case j.Resourcepart() != "":
		return "", fmt.Errorf("%w user name %q: give a bare JID, without /resource", ErrInvalid, nameOrJID)
	case j.Localpart() == "":
		return "", fmt.Errorf("%w user name %q: it needs a name before the @", ErrInvalid, nameOrJID)
	case j.Domainpart() != s.domain:
		return "", fmt.Errorf("%w user %q: its domain is %s, but this server serves %s",
			ErrInvalid, nameOrJID, j.Domainpart(), s.domain)
	}
	return j.Bare().String(), nil
}

// credentials derives the SCRAM secrets for password; the password itself is not kept.
func (s *Service) credentials(password string) (sasl.Credentials, error) {
	if password == "" {
		return sasl.Credentials{}, fmt.Errorf("%w password: it is empty", ErrInvalid)
	}
	c, err := sasl.NewCredentials(password, s.iterations)
	if err != nil {
		return sasl.Credentials{}, fmt.Errorf("%w password: %w", ErrInvalid, err)
	}
	return c, nil
}

// AddUser creates an account and returns its bare JID. Errors wrap ErrUserExists
// (fs.ErrExist) when the account exists and ErrInvalid for a bad name or password.
func (s *Service) AddUser(ctx context.Context, nameOrJID, password string) (string, error) {
	j, by, err := s.adminOn(ctx, "add user", nameOrJID)
	if err != nil {
		return "", err
	}
	c, err := s.credentials(password)
	if err != nil {
		return "", err
	}
	if err := s.accounts.CreateAccount(ctx, j, c); err != nil {
		return "", storeError(j, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "user added", slog.String("jid", j), by)
	return j, nil
}

// DeleteUser removes an account and everything it owns, ends its sessions, and returns
// its bare JID. Errors wrap ErrNoUser (fs.ErrNotExist) when there is no such account.
// Admins only, and not on their own account.
func (s *Service) DeleteUser(ctx context.Context, nameOrJID string) (string, error) {
	j, by, err := s.adminOn(ctx, "delete user", nameOrJID)
	if err != nil {
		return "", err
	}
	if isActor(ctx, j) {
		return "", fmt.Errorf("%w: you cannot delete your own account here", ErrInvalid)
	}
	if err := s.accounts.DeleteAccount(ctx, j); err != nil {
		return "", storeError(j, err)
	}
	// After the delete, so a client cannot log in again in between.
	n := s.disconnect(j)
	s.log.LogAttrs(ctx, slog.LevelInfo, "user deleted", slog.String("jid", j), slog.Int("sessions", n), by)
	return j, nil
}

// SetPassword replaces an account's password and ends its sessions, which were opened with
// the old one. Errors wrap ErrNoUser (fs.ErrNotExist) or ErrInvalid. The account itself
// and admins may change it.
func (s *Service) SetPassword(ctx context.Context, nameOrJID, password string) (string, error) {
	j, err := s.BareJID(nameOrJID)
	if err != nil {
		return "", err
	}
	by, err := s.authorizeSelf(ctx, "set password", j)
	if err != nil {
		return "", err
	}
	c, err := s.credentials(password)
	if err != nil {
		return "", err
	}
	if err := s.accounts.SetCredentials(ctx, j, c); err != nil {
		return "", storeError(j, err)
	}
	n := s.disconnect(j)
	s.log.LogAttrs(ctx, slog.LevelInfo, "password changed", slog.String("jid", j), slog.Int("sessions", n), by)
	return j, nil
}

// ListUsers returns the bare JIDs of all accounts, sorted. Admins only.
func (s *Service) ListUsers(ctx context.Context) ([]string, error) {
	if _, err := s.authorize(ctx, "list users"); err != nil {
		return nil, err
	}
	l, err := s.accounts.ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return l, nil
}

func (s *Service) disconnect(bareJID string) int {
	if s.sessions == nil {
		return 0
	}
	return s.sessions.Disconnect(bareJID)
}

// storeError gives store errors of the two expected kinds a message fit for the user,
// and wraps other errors with the account they concern.
func storeError(j string, err error) error {
	if errors.Is(err, ErrForbidden) || errors.Is(err, ErrInvalid) {
		return err
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", j, ErrUserExists)
	case isNotExist(err):
		return fmt.Errorf("%s: %w", j, ErrNoUser)
	}
	return fmt.Errorf("%s: %w", j, err)
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"strings"
	"unicode"

	"mellium.im/xmpp/jid"
)

// ComponentStore is the component secret storage the Service needs; embeddb implements
// it. Domains are normalised. A missing component is an error wrapping fs.ErrNotExist, a
// duplicate wraps fs.ErrExist.
type ComponentStore interface {
	AddComponent(ctx context.Context, domain, secret string) error // fs.ErrExist
	ListComponents(ctx context.Context) ([]string, error)          // sorted
	DeleteComponent(ctx context.Context, domain string) error      // fs.ErrNotExist
}

// ComponentLinks is the running server's component listener as the Service sees it; the
// server satisfies it through a small adapter in the CLI.
type ComponentLinks interface {
	// ComponentConnected reports whether the component serving domain is connected.
	ComponentConnected(domain string) bool
	// DisconnectComponent ends the component's stream and reports whether it was connected.
	DisconnectComponent(domain string) bool
}

// Component is one configured external component (XEP-0114), such as a gateway.
type Component struct {
	Domain    string
	Connected bool // false also when no server is running
}

// MinComponentSecretBytes is the shortest secret AddComponent takes. The secret travels
// only as SHA-1(stream id + secret), but the stream is not encrypted: whoever sees one
// handshake can guess offline, so the secret must resist that.
const MinComponentSecretBytes = 16

// ErrComponentExists is wrapped when adding a component whose domain has one; it wraps
// fs.ErrExist.
var ErrComponentExists error = &kindError{"component already exists", fs.ErrExist}

// ErrNoComponent is wrapped when the component does not exist; it wraps fs.ErrNotExist.
var ErrNoComponent error = &kindError{"no such component", fs.ErrNotExist}

// ComponentDomain normalises a component's domain (RFC 7622: IDNA, lower case) and checks
// that a component may serve it: a DNS name of at least two labels, not an IP address,
// and neither this server's domain nor its chat room service's. Errors wrap ErrInvalid.
func (s *Service) ComponentDomain(domain string) (string, error) {
	if domain == "" {
		return "", fmt.Errorf("%w component domain: it is empty", ErrInvalid)
	}
	j, err := jid.Parse(domain)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w component domain %q: %v", ErrInvalid, domain, err)
	case j.Localpart() != "" || j.Resourcepart() != "":
		return "", fmt.Errorf("%w component domain %q: give a domain only, without user@ or /resource", ErrInvalid, domain)
	}
	d := j.Domainpart()
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return "", fmt.Errorf("%w component domain %q: give a name such as gw.%s, not an address", ErrInvalid, domain, s.domain)
	}
	if !strings.Contains(d, ".") {
		return "", fmt.Errorf("%w component domain %q: give a name with a dot, such as gw.%s", ErrInvalid, domain, s.domain)
	}
	if d == s.domain {
		return "", fmt.Errorf("%w component domain %s: it is this server's own domain; use a subdomain such as gw.%s", ErrInvalid, d, s.domain)
	}
	if m, err := jid.Parse(s.mucDomain); err == nil && m.Domainpart() == d {
		return "", fmt.Errorf("%w component domain %s: it is this server's chat room service", ErrInvalid, d)
	}
	return d, nil
}

// checkComponentSecret refuses secrets that are too short to resist offline guessing, or
// that a component's configuration file cannot hold (control characters).
func checkComponentSecret(secret string) error {
	if len(secret) < MinComponentSecretBytes {
		return fmt.Errorf("%w secret: it has %d bytes; give at least %d (or let \"xmppbox component add\" make one)",
			ErrInvalid, len(secret), MinComponentSecretBytes)
	}
	if strings.IndexFunc(secret, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w secret: it contains a control character", ErrInvalid)
	}
	return nil
}

func (s *Service) componentStore() (ComponentStore, error) {
	if s.components == nil {
		return nil, errors.New("admin: this service has no component store")
	}
	return s.components, nil
}

// AddComponent configures an external component for domain with its shared secret and
// returns the normalised domain. While the server runs, the component can connect at
// once. Admins only. Errors wrap ErrInvalid or ErrComponentExists.
func (s *Service) AddComponent(ctx context.Context, domain, secret string) (string, error) {
	by, err := s.authorize(ctx, "add component")
	if err != nil {
		return "", err
	}
	store, err := s.componentStore()
	if err != nil {
		return "", err
	}
	d, err := s.ComponentDomain(domain)
	if err != nil {
		return "", err
	}
	if err := checkComponentSecret(secret); err != nil {
		return "", err
	}
	if err := store.AddComponent(ctx, d, secret); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s: %w", d, ErrComponentExists)
		}
		return "", fmt.Errorf("adding component %s: %w", d, err)
	}
	// The secret stays out of the log.
	s.log.LogAttrs(ctx, slog.LevelInfo, "component added", slog.String("domain", d), by)
	return d, nil
}

// ListComponents returns the configured components sorted by domain, each with whether it
// is connected now. Admins only.
func (s *Service) ListComponents(ctx context.Context) ([]Component, error) {
	if _, err := s.authorize(ctx, "list components"); err != nil {
		return nil, err
	}
	store, err := s.componentStore()
	if err != nil {
		return nil, err
	}
	domains, err := store.ListComponents(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing components: %w", err)
	}
	out := make([]Component, 0, len(domains))
	for _, d := range domains {
		out = append(out, Component{Domain: d, Connected: s.compLinks != nil && s.compLinks.ComponentConnected(d)})
	}
	return out, nil
}

// DeleteComponent removes a component's configuration and ends its stream if it is
// connected, and returns the normalised domain. Admins only. Errors wrap ErrNoComponent.
func (s *Service) DeleteComponent(ctx context.Context, domain string) (string, error) {
	by, err := s.authorize(ctx, "delete component")
	if err != nil {
		return "", err
	}
	store, err := s.componentStore()
	if err != nil {
		return "", err
	}
	j, err := jid.Parse(domain)
	if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
		return "", fmt.Errorf("%w component domain %q", ErrInvalid, domain)
	}
	d := j.Domainpart()
	if err := store.DeleteComponent(ctx, d); err != nil {
		if isNotExist(err) {
			return "", fmt.Errorf("%s: %w", d, ErrNoComponent)
		}
		return "", fmt.Errorf("deleting component %s: %w", d, err)
	}
	// After the delete, so the component cannot authenticate again in between.
	disconnected := s.compLinks != nil && s.compLinks.DisconnectComponent(d)
	s.log.LogAttrs(ctx, slog.LevelInfo, "component deleted", slog.String("domain", d), slog.Bool("disconnected", disconnected), by)
	return d, nil
}

package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SettingsStore keeps the settings changed in the web page; embeddb implements it.
type SettingsStore interface {
	// Settings returns what SaveSettings stored; fs.ErrNotExist when nothing was.
	Settings(ctx context.Context) ([]byte, error)
	SaveSettings(ctx context.Context, v []byte) error
}

// LiveSettings is the running server's side of the settings; *server.Server satisfies it
// through an adapter in the CLI.
type LiveSettings interface {
	Registration() string // one of the Registration constants
	SetRegistration(mode string)
	ArchiveRetention() time.Duration
	SetArchiveRetention(d time.Duration)
}

// Registration modes: who may create an account from a client (XEP-0077).
const (
	RegistrationClosed = "closed" // nobody; the admin creates accounts
	RegistrationInvite = "invite" // people holding an invitation
	RegistrationOpen   = "open"   // anyone who can connect
)

// Settings are the settings the operator may change while the box runs. They are saved
// in the store and override the config file's values from then on.
type Settings struct {
	Registration string        `json:"registration"`
	MAMRetention time.Duration `json:"mam_retention"` // how long message archives are kept
	// UsersMayInvite lets every account, not only admins, invite one person at a time
	// (XEP-0401 "optionally users"); off by default.
	UsersMayInvite bool `json:"users_may_invite"`
}

// MinRetention and MaxRetention bound the archive retention the web page accepts.
const (
	MinRetention = 24 * time.Hour
	MaxRetention = 10 * 365 * 24 * time.Hour
)

func (st Settings) validate() error {
	switch st.Registration {
	case RegistrationClosed, RegistrationInvite, RegistrationOpen:
	default:
		return fmt.Errorf("%w registration %q: choose closed, invite or open", ErrInvalid, st.Registration)
	}
	if st.MAMRetention < MinRetention || st.MAMRetention > MaxRetention {
		return fmt.Errorf("%w archive retention %v: give 1 to 3650 days", ErrInvalid, st.MAMRetention)
	}
	return nil
}

func (s *Service) settingsParts() (SettingsStore, LiveSettings, error) {
	if s.settings == nil || s.live == nil {
		return nil, nil, errors.New("settings can be changed only while the server runs")
	}
	return s.settings, s.live, nil
}

// Settings returns the settings in force. Admins only.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := s.authorize(ctx, "show settings"); err != nil {
		return Settings{}, err
	}
	store, live, err := s.settingsParts()
	if err != nil {
		return Settings{}, err
	}
	stored, _, err := StoredSettings(ctx, store)
	if err != nil {
		return Settings{}, err
	}
	return Settings{Registration: live.Registration(), MAMRetention: live.ArchiveRetention(), UsersMayInvite: stored.UsersMayInvite}, nil
}

// UsersMayInvite reports whether accounts that are not admins may invite people. Any
// enabled account may ask: the web page shows them the invitation form or not.
func (s *Service) UsersMayInvite(ctx context.Context) (bool, error) {
	a, ok := actorOf(ctx)
	if !ok {
		return false, fmt.Errorf("invitation policy: %w: no caller", ErrForbidden)
	}
	if !a.operator {
		if _, disabled, err := s.accounts.AccountFlags(ctx, a.jid); err != nil || disabled {
			return false, fmt.Errorf("invitation policy: %w", ErrForbidden)
		}
	}
	if s.settings == nil {
		return false, nil
	}
	st, _, err := StoredSettings(ctx, s.settings)
	if err != nil {
		return false, err
	}
	return st.UsersMayInvite, nil
}

// SetSettings validates st, saves it and applies it to the running server. Admins only.
// Errors wrap ErrInvalid for values out of range.
func (s *Service) SetSettings(ctx context.Context, st Settings) error {
	by, err := s.authorize(ctx, "change settings")
	if err != nil {
		return err
	}
	store, live, err := s.settingsParts()
	if err != nil {
		return err
	}
	if err := st.validate(); err != nil {
		return err
	}
	v, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	// Saved first: a setting in force but not saved would silently revert on restart.
	if err := store.SaveSettings(ctx, v); err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	live.SetRegistration(st.Registration)
	live.SetArchiveRetention(st.MAMRetention)
	s.log.LogAttrs(ctx, slog.LevelInfo, "settings changed", slog.String("registration", st.Registration),
		slog.Duration("mam_retention", st.MAMRetention), slog.Bool("users_may_invite", st.UsersMayInvite), by)
	return nil
}

// StoredSettings returns the settings saved from the web page, and false when none were.
// The CLI applies them over the config file's values when the server starts.
func StoredSettings(ctx context.Context, store SettingsStore) (Settings, bool, error) {
	v, err := store.Settings(ctx)
	if isNotExist(err) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, err
	}
	var st Settings
	if err := json.Unmarshal(v, &st); err != nil {
		return Settings{}, false, fmt.Errorf("stored settings: %w", err)
	}
	if err := st.validate(); err != nil {
		return Settings{}, false, fmt.Errorf("stored settings: %w", err)
	}
	return st, true, nil
}

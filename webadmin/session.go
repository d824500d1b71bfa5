package webadmin

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
	"xmppbox/admin"
)

// sessionCookie names the web session. The __Host- prefix makes browsers accept it only
// with Secure, Path=/ and no Domain, so no other host, and no plain-HTTP page, can set it.
const sessionCookie = "__Host-xmppbox"

// maxSessionsPerUser bounds the web sessions of one account: logging in again and again
// cannot fill the memory. Past it, the one unused for longest ends.
const maxSessionsPerUser = 20

// session is one login to the web page.
type session struct {
	id       string
	jid      string // bare JID
	admin    bool   // at login, for the log; rights are checked again on every request
	stamp    string // the account's admin.User.PasswordStamp at login
	csrf     string // the token every form of this session carries
	created  time.Time
	lastSeen time.Time
	flash    string // a message for the next page, after a redirect
}

// sessionStore keeps the web sessions in memory. Expired sessions are swept when a new one
// is made, at most once a minute, so the store needs no goroutine of its own.
type sessionStore struct {
	idle, maxAge time.Duration

	mu        sync.Mutex
	byID      map[string]*session // guarded by mu
	lastSweep time.Time           // guarded by mu
}

func newSessionStore(idle, maxAge time.Duration) *sessionStore {
	return &sessionStore{idle: idle, maxAge: maxAge, byID: make(map[string]*session)}
}

// newToken returns 256 random bits, URL-safe: unguessable by anyone who has not seen it.
func newToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessionStore) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.lastSeen) >= s.idle || now.Sub(ss.created) >= s.maxAge
}

// create starts a session for bareJID and returns it. A new id at every login means an id
// planted before login is worthless after it.
func (s *sessionStore) create(u admin.User, now time.Time) session {
	bareJID := u.JID
	ss := &session{id: newToken(), jid: bareJID, admin: u.Admin, stamp: u.PasswordStamp, csrf: newToken(), created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= time.Minute {
		for id, o := range s.byID {
			if s.expired(o, now) {
				delete(s.byID, id)
			}
		}
		s.lastSweep = now
	}
	var n int
	var oldest *session
	for _, o := range s.byID {
		if o.jid != bareJID {
			continue
		}
		n++
		if oldest == nil || o.lastSeen.Before(oldest.lastSeen) {
			oldest = o
		}
	}
	if n >= maxSessionsPerUser {
		delete(s.byID, oldest.id)
	}
	s.byID[ss.id] = ss
	return *ss
}

// get returns a copy of the live session id and marks it used; an expired one is removed.
func (s *sessionStore) get(id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return session{}, false
	}
	if s.expired(ss, now) {
		delete(s.byID, id)
		return session{}, false
	}
	ss.lastSeen = now
	return *ss, true
}

func (s *sessionStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// deleteUser ends every session of bareJID but the one with id except, and says how many.
func (s *sessionStore) deleteUser(bareJID, except string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int
	for id, ss := range s.byID {
		if ss.jid == bareJID && id != except {
			delete(s.byID, id)
			n++
		}
	}
	return n
}

// setFlash keeps msg for the session's next page.
func (s *sessionStore) setFlash(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byID[id]; ok {
		ss.flash = msg
	}
}

// popFlash returns the session's message and forgets it.
func (s *sessionStore) popFlash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return ""
	}
	msg := ss.flash
	ss.flash = ""
	return msg
}

// session returns the live session r's cookie names.
func (h *Handler) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	return h.sessions.get(c.Value, h.now())
}

// setCookie sets a cookie that only this host's HTTPS pages see and scripts cannot read.
// It has no expiry: the browser forgets it when it closes, and the server when it times out.
func setCookie(w http.ResponseWriter, name, value string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// setStamp records the password an account has now for its session id: after the owner
// changed it from that very session, which stays open.
func (s *sessionStore) setStamp(id, stamp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byID[id]; ok {
		ss.stamp = stamp
	}
}

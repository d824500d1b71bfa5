package webadmin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// csrfCookie carries the double-submit token of the forms shown before login (the login
// form and the invitation form), where there is no session to hold a token. Another site
// can make a browser post a form here, but cannot read or set a __Host- cookie of this
// host, so it cannot make the hidden field match it.
const csrfCookie = "__Host-xmppbox_csrf"

// csrfField is the hidden form field that carries the token in every form.
const csrfField = "csrf"

// formToken returns the double-submit token for a public form, setting the cookie when
// the browser has none yet.
func formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	t := newToken()
	setCookie(w, csrfCookie, t)
	return t
}

// checkFormToken reports whether a public form's field matches its cookie.
func checkFormToken(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	return tokensEqual(c.Value, r.PostForm.Get(csrfField))
}

// checkSessionToken reports whether a form carries its session's token.
func checkSessionToken(r *http.Request, want string) bool {
	return tokensEqual(want, r.PostForm.Get(csrfField))
}

// tokensEqual compares in constant time, so response times tell nothing about how much of
// a guess was right.
func tokensEqual(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// sameOrigin refuses what browsers mark as coming from elsewhere: an Origin header that
// is not this page's own https origin, or a Sec-Fetch-Site other than same-origin (or
// none, for what the user did in the browser itself). Clients that send neither header
// pass here and still need the token.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "https://"+r.Host) {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

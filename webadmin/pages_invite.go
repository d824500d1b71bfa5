package webadmin

import (
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"xmppbox/admin"
)

// chatApp is a chat app the invitation page suggests.
type chatApp struct{ Name, Platform, URL string }

// chatApps are apps known to handle xmpp: invitation links (XEP-0401) well.
var chatApps = []chatApp{
	{"Conversations", "Android", "https://conversations.im/"},
	{"Monocles Chat", "Android", "https://monocles.eu/"},
	{"Monal", "iPhone, iPad and Mac", "https://monal-im.org/"},
	{"Siskin IM", "iPhone and iPad", "https://siskin.im/"},
	{"Gajim", "Windows and Linux", "https://gajim.org/"},
	{"Dino", "Linux", "https://dino.im/"},
}

type inviteData struct {
	Invite  admin.Invite
	OpenURI template.URL // the xmpp: link; "" if the Backend gave no such link
	QR      *qrCode
	Clients []chatApp
	Token   string
}

// invitePage is the landing page of an invitation link (XEP-0401 §4): how to join with a
// chat app, and a form to create the account right here.
func (h *Handler) invitePage(w http.ResponseWriter, r *http.Request, _ viewer) {
	inv, ok := h.lookupInvite(w, r)
	if !ok {
		return
	}
	h.showInvite(w, r, http.StatusOK, inv, nil)
}

// lookupInvite finds the invitation of the request's path, or answers with the page
// saying it is not valid.
func (h *Handler) lookupInvite(w http.ResponseWriter, r *http.Request) (admin.Invite, bool) {
	token := r.PathValue("token")
	if token == "" || len(token) > 200 {
		h.inviteInvalid(w, r)
		return admin.Invite{}, false
	}
	inv, err := h.backend.LookupInvite(r.Context(), token)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		h.inviteInvalid(w, r)
		return admin.Invite{}, false
	case err != nil:
		h.fail(w, r, viewer{}, err)
		return admin.Invite{}, false
	}
	return inv, true
}

// inviteInvalid is the answer for an unknown, used up or expired invitation; it does not
// say which, as that would tell a stranger which tokens once existed.
func (h *Handler) inviteInvalid(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, viewer{}, http.StatusNotFound, messageData{
		Heading: "This invitation is not valid any more",
		Text:    "It may have expired, been used up or been revoked. Ask the person who invited you for a new one.",
		NoLink:  true,
	})
}

func (h *Handler) showInvite(w http.ResponseWriter, r *http.Request, status int, inv admin.Invite, errs map[string]string) {
	d := inviteData{Invite: inv, Clients: chatApps, Token: inv.Token}
	// html/template lets only http, https and mailto links into an href, so the xmpp:
	// link must be vouched for: it is, once its scheme is checked.
	if strings.HasPrefix(inv.URI, "xmpp:") {
		d.OpenURI = template.URL(inv.URI)
		if qr, err := newQR(inv.URI, "QR code of the invitation for chat apps"); err == nil {
			d.QR = &qr
		}
	}
	p := newPage(viewer{}, "Invitation to "+h.domain, "")
	p.CSRF = formToken(w, r)
	p.Errors = errs
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	p.Data = d
	h.render(w, r, status, "invite", p)
}

type inviteDoneData struct {
	JID string
}

// inviteRedeem creates the account the invitation allows.
func (h *Handler) inviteRedeem(w http.ResponseWriter, r *http.Request, _ viewer) {
	inv, ok := h.lookupInvite(w, r)
	if !ok {
		return
	}
	fail := func(status int, text string) {
		h.showInvite(w, r, status, inv, map[string]string{"invite-register": text})
	}
	name := strings.TrimSpace(r.PostForm.Get("user"))
	if inv.Username != "" {
		name = inv.Username // the field is read-only; what matters is what was invited
	}
	password := r.PostForm.Get("password")
	switch {
	case name == "":
		fail(http.StatusBadRequest, "Choose a user name.")
		return
	case strings.ContainsAny(name, "@/"):
		fail(http.StatusBadRequest, "Enter the user name alone, without @ or /: your address will be name@"+h.domain+".")
		return
	}
	if msg := checkNewPassword(password, r.PostForm.Get("password2")); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	j, err := h.backend.RedeemInvite(r.Context(), inv.Token, name, password)
	switch {
	case errors.Is(err, fs.ErrExist):
		fail(http.StatusConflict, "The user name "+name+" is taken. Choose another one.")
		return
	case errors.Is(err, fs.ErrNotExist):
		h.inviteInvalid(w, r) // used up or revoked meanwhile
		return
	case err != nil:
		fail(h.formFailure(r, err))
		return
	}
	p := newPage(viewer{}, "Welcome", "")
	p.Data = inviteDoneData{JID: j}
	h.render(w, r, http.StatusOK, "invite_done", p)
}

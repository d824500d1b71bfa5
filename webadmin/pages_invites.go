package webadmin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xmppbox/admin"
)

// inviteValidity are the choices of how long a new invitation works, in days;
// userInviteValidity those of accounts that are not administrators (admin.CreateInvite
// lets them invite one person for up to a week).
var (
	inviteValidity     = []int{1, 7, 30}
	userInviteValidity = []int{1, 7}
)

// maxInviteUses bounds the number of accounts one invitation may create.
const maxInviteUses = 100

type invitesData struct {
	Invites  []inviteRow
	Validity []int
	MaxUses  int
	Created  *inviteRow // the invitation just made, with its QR code
}

type inviteRow struct {
	admin.Invite
	Link string // the landing page on this web page
	QR   *qrCode
}

// landingURL is the invitation's page here, for whoever the link is given to. It uses the
// host the administrator reached this page by, which is the one known to work for them.
func landingURL(r *http.Request, token string) string {
	return "https://" + r.Host + "/invite/" + url.PathEscape(token)
}

// invitesPage lists the open invitations and a form to make one.
func (h *Handler) invitesPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showInvites(w, r, v, http.StatusOK, nil, nil)
}

func (h *Handler) showInvites(w http.ResponseWriter, r *http.Request, v viewer, status int, created *inviteRow, errs map[string]string) {
	list, err := h.backend.ListInvites(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := invitesData{Validity: inviteValidity, MaxUses: maxInviteUses, Created: created}
	if !v.Admin {
		d.Validity = userInviteValidity
	}
	for _, inv := range list {
		d.Invites = append(d.Invites, inviteRow{Invite: inv, Link: landingURL(r, inv.Token)})
	}
	p := newPage(v, "Invitations", "/invites")
	p.Errors = errs
	p.Error = errs[""]
	if r.Method == http.MethodPost && created == nil {
		p.Form = r.PostForm
	}
	p.Data = d
	h.render(w, r, status, "invites", p)
}

// inviteCreate makes an invitation and shows its link and QR code right away; the list
// shows the link later, but this is the moment it is handed on.
func (h *Handler) inviteCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	req, err := inviteRequest(r, v.Admin)
	if err == nil {
		var inv admin.Invite
		inv, err = h.backend.CreateInvite(r.Context(), req)
		if err == nil {
			row := inviteRow{Invite: inv, Link: landingURL(r, inv.Token)}
			if qr, err := newQR(row.Link, "QR code of the invitation link"); err == nil {
				row.QR = &qr
			}
			h.showInvites(w, r, v, http.StatusOK, &row, nil)
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showInvites(w, r, v, status, nil, map[string]string{"create-invite": text})
}

// inviteRequest reads and checks the form for a new invitation.
func inviteRequest(r *http.Request, isAdmin bool) (admin.InviteRequest, error) {
	f := r.PostForm
	if !isAdmin {
		// The form of a user has no number of uses nor user name: one person, who
		// chooses.
		f = url.Values{"valid_days": f["valid_days"], "uses": {"1"}, "add_inviter": f["add_inviter"]}
	}
	days, err := strconv.Atoi(f.Get("valid_days"))
	valid := false
	for _, d := range inviteValidity {
		valid = valid || (err == nil && d == days)
	}
	if !valid {
		return admin.InviteRequest{}, inputError("Choose how long the invitation is valid: 1, 7 or 30 days.")
	}
	uses, err := strconv.Atoi(strings.TrimSpace(f.Get("uses")))
	if err != nil || uses < 1 || uses > maxInviteUses {
		return admin.InviteRequest{}, inputErrorf("The number of accounts must be a whole number from 1 to %d.", maxInviteUses)
	}
	name := strings.TrimSpace(f.Get("username"))
	if len(name) > 1023 { // RFC 7622 §3.3: a localpart has at most 1023 bytes
		return admin.InviteRequest{}, inputError("The user name is too long.")
	}
	return admin.InviteRequest{
		ValidFor:   time.Duration(days) * 24 * time.Hour,
		Uses:       uses,
		Username:   name,
		AddInviter: f.Get("add_inviter") == "yes",
	}, nil
}

// inviteRevoke withdraws an invitation.
func (h *Handler) inviteRevoke(w http.ResponseWriter, r *http.Request, v viewer) {
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" || len(token) > 200 {
		h.showInvites(w, r, v, http.StatusBadRequest, nil, map[string]string{"": "The form did not say which invitation."})
		return
	}
	if err := h.backend.RevokeInvite(r.Context(), token); err != nil {
		status, text := h.formFailure(r, err)
		h.showInvites(w, r, v, status, nil, map[string]string{"": text})
		return
	}
	h.done(w, r, v, "/invites", "Revoked the invitation: its link no longer works.")
}

package webadmin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"xmppbox/admin"
)

// usersPerPage is the page size of the user list.
const usersPerPage = 50

type usersData struct {
	Query   string
	Page    int
	Pages   int
	Total   int
	Users   []admin.User
	PrevURL string // "" on the first page
	NextURL string // "" on the last page
}

// usersPage lists accounts, 50 a page, optionally filtered by ?q=.
func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showUsers(w, r, v, http.StatusOK, r.URL.Query(), nil)
}

// showUsers renders the user list at the search and page in q, with errs next to their
// forms.
func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, v viewer, status int, q url.Values, errs map[string]string) {
	search, pageNo := listPosition(q)
	res, err := h.backend.Users(r.Context(), admin.UserQuery{Search: search, Offset: (pageNo - 1) * usersPerPage, Limit: usersPerPage})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := usersData{Query: search, Page: pageNo, Total: res.Total, Users: res.Users}
	d.Pages = max(1, (res.Total+usersPerPage-1)/usersPerPage)
	if pageNo > 1 {
		d.PrevURL = usersURL(search, pageNo-1)
	}
	if pageNo < d.Pages {
		d.NextURL = usersURL(search, pageNo+1)
	}
	p := newPage(v, "Users", "/users")
	p.Errors = errs
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	if e := errs[""]; e != "" {
		p.Error = e
	}
	p.Data = d
	h.render(w, r, status, "users", p)
}

// listPosition reads the search and page number of the user list, from a query string or
// from the hidden fields of a form on it. A page that is not a number is the first.
func listPosition(q url.Values) (search string, page int) {
	search = strings.TrimSpace(q.Get("q"))
	if r := []rune(search); len(r) > 200 {
		search = string(r[:200])
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	return search, page
}

func usersURL(search string, page int) string {
	q := url.Values{}
	if search != "" {
		q.Set("q", search)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/users"
	}
	return "/users?" + q.Encode()
}

// backToUsers is where a form on the user list returns: the same search and page.
func backToUsers(form url.Values) string {
	return usersURL(listPosition(form))
}

// userCreate adds an account.
func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	fail := func(status int, text string) {
		h.showUsers(w, r, v, status, r.PostForm, map[string]string{"create-user": text})
	}
	if name == "" {
		fail(http.StatusBadRequest, "Enter a user name.")
		return
	}
	if msg := checkNewPassword(password, password); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	j, err := h.backend.AddUser(r.Context(), name, password)
	if err != nil {
		fail(h.formFailure(r, err))
		return
	}
	h.done(w, r, v, backToUsers(r.PostForm), "Created the account "+j+".")
}

// userTarget reads the account a form on the user list acts on.
func userTarget(r *http.Request) (string, bool) {
	u := strings.TrimSpace(r.PostForm.Get("user"))
	return u, u != "" && len(u) <= maxJIDBytes
}

// maxJIDBytes is the longest a JID can be (RFC 7622 §3.1).
const maxJIDBytes = 3071

// userAction runs one action on the account named by the form, and reports its outcome at
// the top of the user list.
func (h *Handler) userAction(w http.ResponseWriter, r *http.Request, v viewer, act func(user string) (string, error)) {
	user, ok := userTarget(r)
	if !ok {
		h.showUsers(w, r, v, http.StatusBadRequest, r.PostForm, map[string]string{"": "The form did not say which user."})
		return
	}
	msg, err := act(user)
	if err != nil {
		status, text := h.formFailure(r, err)
		h.showUsers(w, r, v, status, r.PostForm, map[string]string{"": text})
		return
	}
	h.done(w, r, v, backToUsers(r.PostForm), msg)
}

// errSelf refuses an action that would lock the acting administrator out of this page;
// another administrator, or the operator with the CLI, can still do it.
func errSelf(what string) error {
	return inputErrorf("You cannot %s your own account here: ask another administrator, or use the xmppbox command on the box.", what)
}

// userPassword sets another account's password. It ends that account's web sessions too,
// as the Backend ends its XMPP sessions.
func (h *Handler) userPassword(w http.ResponseWriter, r *http.Request, v viewer) {
	h.userAction(w, r, v, func(user string) (string, error) {
		password := r.PostForm.Get("password")
		if msg := checkNewPassword(password, password); msg != "" {
			return "", inputError(msg)
		}
		j, err := h.backend.SetPassword(r.Context(), user, password)
		if err != nil {
			return "", err
		}
		h.sessions.deleteUser(j, v.session)
		if j == v.JID {
			h.keepSession(r, v)
		}
		return "Set a new password for " + j + ".", nil
	})
}

// userDisabled disables or enables an account.
func (h *Handler) userDisabled(w http.ResponseWriter, r *http.Request, v viewer) {
	h.userAction(w, r, v, func(user string) (string, error) {
		disable, err := formBool(r, "disabled")
		if err != nil {
			return "", err
		}
		if disable && user == v.JID {
			return "", errSelf("disable")
		}
		j, err := h.backend.SetDisabled(r.Context(), user, disable)
		if err != nil {
			return "", err
		}
		if disable {
			h.sessions.deleteUser(j, "")
			return "Disabled " + j + ": it cannot log in until enabled again.", nil
		}
		return "Enabled " + j + ".", nil
	})
}

// userAdmin gives or takes administrator rights.
func (h *Handler) userAdmin(w http.ResponseWriter, r *http.Request, v viewer) {
	h.userAction(w, r, v, func(user string) (string, error) {
		makeAdmin, err := formBool(r, "admin")
		if err != nil {
			return "", err
		}
		if !makeAdmin && user == v.JID {
			return "", errSelf("remove administrator rights from")
		}
		j, err := h.backend.SetAdmin(r.Context(), user, makeAdmin)
		if err != nil {
			return "", err
		}
		if makeAdmin {
			return j + " is now an administrator.", nil
		}
		return j + " is no longer an administrator.", nil
	})
}

// userDelete deletes an account, once the confirmation box is ticked.
func (h *Handler) userDelete(w http.ResponseWriter, r *http.Request, v viewer) {
	h.userAction(w, r, v, func(user string) (string, error) {
		if r.PostForm.Get("confirm") != "yes" {
			return "", inputErrorf("Tick the box to confirm that %s and all its data should be deleted.", user)
		}
		if user == v.JID {
			return "", errSelf("delete")
		}
		j, err := h.backend.DeleteUser(r.Context(), user)
		if err != nil {
			return "", err
		}
		h.sessions.deleteUser(j, "")
		return "Deleted " + j + ".", nil
	})
}

// formBool reads a true/false field that a button sets.
func formBool(r *http.Request, name string) (bool, error) {
	switch r.PostForm.Get(name) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, inputErrorf("The form field %s must be true or false.", name)
}

// Password rules for passwords set through the web page. The page is reachable from the
// network, so it asks for a little more than the Backend, which only refuses empty ones.
const (
	minPasswordLen = 8
	maxPasswordLen = 1024 // PBKDF2 hashes all of it, many thousand times
)

// checkNewPassword returns what is wrong with a new password typed twice, or "".
func checkNewPassword(password, again string) string {
	switch n := len([]rune(password)); {
	case n == 0:
		return "Enter a password."
	case n < minPasswordLen:
		return fmt.Sprintf("The password is too short: use at least %d characters.", minPasswordLen)
	case len(password) > maxPasswordLen:
		return fmt.Sprintf("The password is too long: use at most %d bytes.", maxPasswordLen)
	case password != again:
		return "The two passwords are not the same."
	}
	return ""
}

// keepSession lets the viewer's session live on after they changed their own password.
func (h *Handler) keepSession(r *http.Request, v viewer) {
	if u, err := h.backend.User(r.Context(), v.JID); err == nil {
		h.sessions.setStamp(v.session, u.PasswordStamp)
	}
}

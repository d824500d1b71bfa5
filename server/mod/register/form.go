package register

import (
	"strings"

	"xmppbox/server/stanza"
)

// fields is what a jabber:iq:register request carries.
type fields struct {
	username, password string
	remove             bool
	// others says the request had children besides <remove/> (XEP-0077 §3.2: bad-request).
	others bool
}

// parseQuery reads the fields of a set request: the plain elements of XEP-0077 §3, or a
// submitted XEP-0004 data form, which takes precedence (XEP-0077 §4 rule 5, §6). A form
// of the change-password type (§12.4.3) gives its new password as "password"; an
// "old_password" is not checked: the session is already authenticated, which is all
// §3.3 asks for.
func parseQuery(q *stanza.Element) fields {
	var f fields
	for _, el := range q.ChildElements() {
		switch {
		case el.Name.Space == nsData && el.Name.Local == "x" && el.Get("type") == "submit":
			form := formValues(el)
			f.username, f.password = form["username"], form["password"]
			f.others = true
			return f
		case el.Name.Space != NS:
			f.others = true
		case el.Name.Local == "remove":
			f.remove = true
		case el.Name.Local == "username":
			f.username = strings.TrimSpace(el.Text())
			f.others = true
		case el.Name.Local == "password":
			f.password = el.Text()
			f.others = true
		default:
			// email, nick, … (§3.1): this server asks for none of them, and keeps none.
			f.others = true
		}
	}
	return f
}

// formValues returns the first value of each field of a submitted data form (XEP-0004
// §3.4), by var.
func formValues(x *stanza.Element) map[string]string {
	values := make(map[string]string)
	for _, field := range x.ChildElements() {
		if field.Name.Space != nsData || field.Name.Local != "field" {
			continue
		}
		name := field.Get("var")
		if v := field.Child(nsData, "value"); v != nil && name != "" {
			if _, seen := values[name]; !seen {
				values[name] = v.Text()
			}
		}
	}
	if u, ok := values["username"]; ok {
		values["username"] = strings.TrimSpace(u)
	}
	return values
}

package muc

import (
	"strconv"

	"xmppbox/server/stanza"
)

// field makes a data-form field with one value.
func field(name, typ, value string) *stanza.Element {
	f := stanza.New(NSData, "field", "var", name)
	if typ != "" {
		f.Set("type", typ)
	}
	return f.Append(stanza.New(NSData, "value").AppendText(value))
}

func labelled(f *stanza.Element, label string) *stanza.Element {
	f.Set("label", label)
	return f
}

func option(f *stanza.Element, values ...string) *stanza.Element {
	for _, v := range values {
		f.Append(stanza.New(NSData, "option", "label", v).Append(stanza.New(NSData, "value").AppendText(v)))
	}
	return f
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// formType returns a form's FORM_TYPE.
func formType(form *stanza.Element) string {
	return formValues(form)["FORM_TYPE"]
}

// formValues reads a submitted form's first value per field.
func formValues(form *stanza.Element) map[string]string {
	out := map[string]string{}
	for _, f := range form.ChildElements() {
		if f.Name.Local != "field" {
			continue
		}
		v := ""
		if val := f.Child(NSData, "value"); val != nil {
			v = val.Text()
		}
		out[f.Get("var")] = v
	}
	return out
}

// configForm is the muc#roomconfig form of §10.2 filled with cfg.
func configForm(cfg Config, maxOccupants int) *stanza.Element {
	return stanza.New(NSData, "x", "type", "form").Append(
		stanza.New(NSData, "title").AppendText("Room configuration"),
		field("FORM_TYPE", "hidden", NSConfig),
		labelled(field("muc#roomconfig_roomname", "text-single", cfg.Name), "Name"),
		labelled(field("muc#roomconfig_roomdesc", "text-single", cfg.Description), "Description"),
		labelled(field("muc#roomconfig_persistentroom", "boolean", boolValue(cfg.Persistent)), "Persistent"),
		labelled(field("muc#roomconfig_publicroom", "boolean", boolValue(cfg.Public)), "Listed in the room directory"),
		labelled(field("muc#roomconfig_membersonly", "boolean", boolValue(cfg.MembersOnly)), "Members only"),
		labelled(field("muc#roomconfig_passwordprotectedroom", "boolean", boolValue(cfg.Password != "")), "Password protected"),
		labelled(field("muc#roomconfig_roomsecret", "text-private", cfg.Password), "Password"),
		labelled(field("muc#roomconfig_moderatedroom", "boolean", boolValue(cfg.Moderated)), "Moderated"),
		labelled(option(field("muc#roomconfig_maxusers", "list-single", strconv.Itoa(cfg.MaxOccupants)),
			"10", "20", "50", "100", strconv.Itoa(maxOccupants)), "Maximum occupants (0: the service's limit)"),
		labelled(option(field("muc#roomconfig_whois", "list-single", cfg.WhoIs), "moderators", "anyone"), "Who may see real JIDs"),
		labelled(field("muc#roomconfig_changesubject", "boolean", boolValue(cfg.ChangeSubject)), "Participants may change the subject"),
		labelled(option(field("muc#roomconfig_allowpm", "list-single", pmValue(cfg.AllowPM)), "anyone", "none"), "Who may send private messages"),
		labelled(field("muc#maxhistoryfetch", "text-single", strconv.Itoa(cfg.HistoryLength)), "Messages of history sent to joiners"),
	)
}

func pmValue(allow bool) string {
	if allow {
		return "anyone"
	}
	return "none"
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// applyConfig reads a submitted configuration form over cfg. Fields left out keep their
// value; a malformed value is a bad request.
func applyConfig(cfg Config, form *stanza.Element, maxOccupants, maxHistory int) (Config, bool) {
	v := formValues(form)
	ok := true
	flag := func(name string, dst *bool) {
		if s, present := v[name]; present {
			b, valid := parseBool(s)
			ok = ok && valid
			*dst = b
		}
	}
	number := func(name string, dst *int, limit int) {
		if s, present := v[name]; present {
			n, err := strconv.Atoi(s)
			if s == "" {
				n, err = 0, nil
			}
			ok = ok && err == nil && n >= 0
			*dst = min(n, limit)
		}
	}
	if s, present := v["muc#roomconfig_roomname"]; present {
		cfg.Name = s
	}
	if s, present := v["muc#roomconfig_roomdesc"]; present {
		cfg.Description = s
	}
	flag("muc#roomconfig_persistentroom", &cfg.Persistent)
	flag("muc#roomconfig_publicroom", &cfg.Public)
	flag("muc#roomconfig_membersonly", &cfg.MembersOnly)
	flag("muc#roomconfig_moderatedroom", &cfg.Moderated)
	flag("muc#roomconfig_changesubject", &cfg.ChangeSubject)
	protected := cfg.Password != ""
	flag("muc#roomconfig_passwordprotectedroom", &protected)
	if s, present := v["muc#roomconfig_roomsecret"]; present {
		cfg.Password = s
	}
	if !protected {
		cfg.Password = ""
	} else if cfg.Password == "" {
		ok = false // protected without a password
	}
	number("muc#roomconfig_maxusers", &cfg.MaxOccupants, maxOccupants)
	number("muc#maxhistoryfetch", &cfg.HistoryLength, maxHistory)
	if s, present := v["muc#roomconfig_whois"]; present {
		switch s {
		case "moderators", "anyone":
			cfg.WhoIs = s
		default:
			ok = false
		}
	}
	if s, present := v["muc#roomconfig_allowpm"]; present {
		switch s {
		case "anyone", "participants", "moderators":
			cfg.AllowPM = true
		case "none":
			cfg.AllowPM = false
		default:
			b, valid := parseBool(s)
			ok = ok && valid
			cfg.AllowPM = b
		}
	}
	return cfg, ok
}

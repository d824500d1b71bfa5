package pep

import "xmppbox/server/stanza"

// form is a submitted XEP-0004 data form.
type form struct {
	typ      string              // submit, cancel, form or result
	formType string              // the FORM_TYPE value, "" when absent
	fields   map[string][]string // values by var; FORM_TYPE excluded
}

// parseForm reads the first <x xmlns='jabber:x:data'/> child of parent. ok is false when
// there is none.
func parseForm(parent *stanza.Element) (f form, ok bool) {
	x := parent.Child(NSData, "x")
	if x == nil {
		return f, false
	}
	f.typ = x.Get("type")
	f.fields = make(map[string][]string)
	for _, field := range x.ChildElements() {
		if field.Name.Space != NSData || field.Name.Local != "field" || field.Get("var") == "" {
			continue
		}
		var values []string
		for _, v := range field.ChildElements() {
			if v.Name.Space == NSData && v.Name.Local == "value" {
				values = append(values, v.Text())
			}
		}
		if field.Get("var") == "FORM_TYPE" {
			f.formType = first(values)
			continue
		}
		f.fields[field.Get("var")] = values
	}
	return f, true
}

// checkFormType refuses a form that names another FORM_TYPE than want (XEP-0068); a form
// without one is taken as meant for want, as clients often leave it out.
func checkFormType(f form, want string) error {
	if f.formType != "" && f.formType != want {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest,
			Text: "the form's FORM_TYPE must be " + want}
	}
	return nil
}

func hiddenFormType(ns string) *stanza.Element {
	return stanza.New(NSData, "field", "var", "FORM_TYPE", "type", "hidden").
		Append(stanza.New(NSData, "value").AppendText(ns))
}

package pep

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"slices"
	"strings"

	"xmppbox/server/stanza"
)

// capsHashes are the XEP-0115 hash functions whose verification strings are checked and
// cached (§5.4: sha-1 is mandatory; the names are those of the IANA "Hash Function
// Textual Names" registry). A ver made with any other function is still resolved by a
// disco#info query, but the answer is kept for that one JID only.
var capsHashes = map[string]func() hash.Hash{
	"sha-1":   sha1.New,
	"sha-256": sha256.New,
	"sha-512": sha512.New,
}

// discoInfo is a disco#info answer reduced to what a verification string covers.
type discoInfo struct {
	identities []identity
	features   []string
	forms      []extForm
}

type identity struct{ category, typ, lang, name string }

// extForm is a XEP-0128 extended information form.
type extForm struct {
	formType string
	fields   []extField // FORM_TYPE excluded
}

type extField struct {
	name   string
	values []string
}

// parseDiscoInfo reads a disco#info <query/>. wellFormed is false when XEP-0115 §5.4
// says the whole answer is ill-formed: a repeated identity, feature or FORM_TYPE, or a
// FORM_TYPE with differing values. Forms without a hidden FORM_TYPE are left out, as
// §5.4 says.
func parseDiscoInfo(q *stanza.Element) (info discoInfo, wellFormed bool) {
	seenID := map[identity]bool{}
	seenFeature := map[string]bool{}
	seenForm := map[string]bool{}
	wellFormed = true
	for _, c := range q.ChildElements() {
		switch {
		case c.Name.Space == nsDiscoInfo && c.Name.Local == "identity":
			id := identity{c.Get("category"), c.Get("type"), xmlLang(c), c.Get("name")}
			if seenID[id] {
				wellFormed = false
			}
			seenID[id] = true
			info.identities = append(info.identities, id)
		case c.Name.Space == nsDiscoInfo && c.Name.Local == "feature":
			v := c.Get("var")
			if seenFeature[v] {
				wellFormed = false
			}
			seenFeature[v] = true
			info.features = append(info.features, v)
		case c.Name.Space == NSData && c.Name.Local == "x":
			f, ok, bad := parseExtForm(c)
			if bad {
				wellFormed = false
			}
			if !ok {
				continue
			}
			if seenForm[f.formType] {
				wellFormed = false
			}
			seenForm[f.formType] = true
			info.forms = append(info.forms, f)
		}
	}
	return info, wellFormed
}

// parseExtForm reads one extended form; ok is false for a form to ignore, bad true for
// one that makes the answer ill-formed.
func parseExtForm(x *stanza.Element) (f extForm, ok, bad bool) {
	hasType := false
	for _, field := range x.ChildElements() {
		if field.Name.Space != NSData || field.Name.Local != "field" {
			continue
		}
		var values []string
		for _, v := range field.ChildElements() {
			if v.Name.Space == NSData && v.Name.Local == "value" {
				values = append(values, v.Text())
			}
		}
		if field.Get("var") == "FORM_TYPE" {
			if field.Get("type") != "hidden" || len(values) == 0 {
				return f, false, false
			}
			for _, v := range values[1:] {
				if v != values[0] {
					return f, false, true
				}
			}
			f.formType, hasType = values[0], true
			continue
		}
		f.fields = append(f.fields, extField{name: field.Get("var"), values: values})
	}
	return f, hasType, false
}

// verificationString is the input S of XEP-0115 §5.1, with i;octet ordering (Go's byte
// order of strings).
func verificationString(info discoInfo) string {
	var b strings.Builder
	ids := slices.Clone(info.identities)
	slices.SortFunc(ids, func(a, b identity) int {
		for _, c := range [][2]string{{a.category, b.category}, {a.typ, b.typ}, {a.lang, b.lang}, {a.name, b.name}} {
			if n := strings.Compare(c[0], c[1]); n != 0 {
				return n
			}
		}
		return 0
	})
	for _, id := range ids {
		b.WriteString(id.category + "/" + id.typ + "/" + id.lang + "/" + id.name + "<")
	}
	features := slices.Clone(info.features)
	slices.Sort(features)
	for _, f := range features {
		b.WriteString(f + "<")
	}
	forms := slices.Clone(info.forms)
	slices.SortFunc(forms, func(a, b extForm) int { return strings.Compare(a.formType, b.formType) })
	for _, form := range forms {
		b.WriteString(form.formType + "<")
		fields := slices.Clone(form.fields)
		slices.SortFunc(fields, func(a, b extField) int { return strings.Compare(a.name, b.name) })
		for _, field := range fields {
			b.WriteString(field.name + "<")
			values := slices.Clone(field.values)
			slices.Sort(values)
			for _, v := range values {
				b.WriteString(v + "<")
			}
		}
	}
	return b.String()
}

// capsVer computes the verification string of info with the named hash function; ok is
// false for a function not in capsHashes.
func capsVer(info discoInfo, hashName string) (ver string, ok bool) {
	newHash, ok := capsHashes[hashName]
	if !ok {
		return "", false
	}
	h := newHash()
	h.Write([]byte(verificationString(info)))
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), true
}

func xmlLang(el *stanza.Element) string {
	for _, a := range el.Attr {
		if a.Name.Space == stanza.NSXML && a.Name.Local == "lang" {
			return a.Value
		}
	}
	return ""
}

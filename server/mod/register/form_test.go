package register

import (
	"testing"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		want fields
	}{
		{"plain fields", `<query xmlns='jabber:iq:register'><username> bill </username><password> Calliope </password></query>`,
			fields{username: "bill", password: " Calliope ", others: true}},
		{"extra field", `<query xmlns='jabber:iq:register'><username>bill</username><password>x</password><email>b@x</email></query>`,
			fields{username: "bill", password: "x", others: true}},
		{"remove alone", `<query xmlns='jabber:iq:register'><remove/></query>`, fields{remove: true}},
		{"remove with more", `<query xmlns='jabber:iq:register'><remove/><username>bill</username></query>`,
			fields{remove: true, username: "bill", others: true}},
		{"foreign child", `<query xmlns='jabber:iq:register'><remove/><x xmlns='urn:other'/></query>`,
			fields{remove: true, others: true}},
		{"data form", `<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>
			<field type='hidden' var='FORM_TYPE'><value>jabber:iq:register</value></field>
			<field var='username'><value>juliet </value></field>
			<field var='password'><value>R0m30</value><value>ignored</value></field></x></query>`,
			fields{username: "juliet", password: "R0m30", others: true}},
		{"change password form", `<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>
			<field var='FORM_TYPE'><value>jabber:iq:register:changepassword</value></field>
			<field var='old_password'><value>old</value></field>
			<field var='password'><value>new</value></field></x></query>`,
			fields{password: "new", others: true}},
		{"empty", `<query xmlns='jabber:iq:register'/>`, fields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := xmlstream.Parse([]byte(tt.xml))
			if err != nil {
				t.Fatal(err)
			}
			if got := parseQuery(q); got != tt.want {
				t.Errorf("parseQuery = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestErrorIQHidesPayload: an error answer never carries the request's password back.
func TestErrorIQHidesPayload(t *testing.T) {
	req, err := xmlstream.Parse([]byte(`<iq xmlns='jabber:client' type='set' id='r1' to='example.test'><query xmlns='jabber:iq:register'><username>bill</username><password>secret</password></query></iq>`))
	if err != nil {
		t.Fatal(err)
	}
	reply := errorIQ(req, stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict})
	want := `<iq xmlns='jabber:client' type='error' id='r1' from='example.test'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`
	if got := string(reply.AppendXML(nil, "")); got != want {
		t.Errorf("errorIQ =\n%s\nwant\n%s", got, want)
	}
}

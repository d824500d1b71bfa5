package pep

import (
	"testing"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

func parse(t *testing.T, s string) *stanza.Element {
	t.Helper()
	el, err := xmlstream.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return el
}

// TestCapsVer checks the generation method against the examples of XEP-0115 §5.2 and
// §5.3, and the processing rules of §5.4.
func TestCapsVer(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		hash       string
		want       string
		wellFormed bool
	}{
		{"simple example §5.2", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity category='client' name='Exodus 0.9.1' type='pc'/>
			<feature var='http://jabber.org/protocol/caps'/>
			<feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/disco#items'/>
			<feature var='http://jabber.org/protocol/muc'/></query>`,
			"sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", true},
		{"complex example §5.3", `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
			<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
			<identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
			<feature var='http://jabber.org/protocol/caps'/>
			<feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/disco#items'/>
			<feature var='http://jabber.org/protocol/muc'/>
			<x xmlns='jabber:x:data' type='result'>
				<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
				<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
				<field var='os'><value>Mac</value></field>
				<field var='os_version'><value>10.5.1</value></field>
				<field var='software'><value>Psi</value></field>
				<field var='software_version'><value>0.11</value></field>
			</x></query>`,
			"sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=", true},
		{"order does not matter", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<feature var='http://jabber.org/protocol/muc'/>
			<feature var='http://jabber.org/protocol/disco#items'/>
			<feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/caps'/>
			<identity type='pc' name='Exodus 0.9.1' category='client'/></query>`,
			"sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", true},
		{"form without a hidden FORM_TYPE is ignored", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity category='client' name='Exodus 0.9.1' type='pc'/>
			<feature var='http://jabber.org/protocol/caps'/>
			<feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/disco#items'/>
			<feature var='http://jabber.org/protocol/muc'/>
			<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:x</value></field><field var='a'><value>b</value></field></x></query>`,
			"sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", true},
		{"repeated feature is ill-formed", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity category='client' type='pc'/><feature var='urn:a'/><feature var='urn:a'/></query>`,
			"sha-1", "", false},
		{"repeated identity is ill-formed", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity category='client' type='pc'/><identity category='client' type='pc'/></query>`,
			"sha-1", "", false},
		{"repeated FORM_TYPE is ill-formed", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:f</value></field></x>
			<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:f</value></field></x></query>`,
			"sha-1", "", false},
		{"sha-256 (openssl dgst -sha256 of client/pc//<)", `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/></query>`,
			"sha-256", "u8LXWXsvD3j+tn0Rquv1ADC//j8MS637YN/eP8rAILU=", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, ok := parseDiscoInfo(parse(t, tt.query))
			if ok != tt.wellFormed {
				t.Fatalf("well-formed = %v, want %v", ok, tt.wellFormed)
			}
			if !ok {
				return
			}
			ver, known := capsVer(info, tt.hash)
			if !known || ver != tt.want {
				t.Errorf("ver = %q (known hash %v), want %q\nS = %q", ver, known, tt.want, verificationString(info))
			}
		})
	}
	if _, known := capsVer(discoInfo{}, "md5"); known {
		t.Error("md5 is not a hash this service verifies")
	}
}

func TestTrackerCacheIsBounded(t *testing.T) {
	tr := newTracker(2)
	for i, ver := range []string{"v1", "v2", "v3"} {
		full := "bob@example.test/r" + string(rune('0'+i))
		q := tr.observe(full, caps{hash: "sha-1", node: "n", ver: ver}, true)
		if q == nil {
			t.Fatalf("no query for the new ver %s", ver)
		}
		tr.resolved(*q, featureSet{}, true)
	}
	if len(tr.cache) != 2 || tr.cache["sha-1 v1"] != nil {
		t.Errorf("cache %v: want the two newest entries", tr.cache)
	}
	if q := tr.observe("carol@example.test/r", caps{hash: "sha-1", node: "n", ver: "v1"}, true); q == nil {
		t.Error("an evicted ver was not asked again")
	}
	if q := tr.observe("carol@example.test/s", caps{hash: "sha-1", node: "n", ver: "v3"}, true); q != nil {
		t.Error("a cached ver was asked again")
	}
}

func TestTrackerForgetsRemoteWithLastAudience(t *testing.T) {
	tr := newTracker(10)
	const remote = "romeo@montague.example/orchard"
	tr.observe(remote, caps{}, false)
	tr.join("juliet@capulet.example", remote)
	tr.join("nurse@capulet.example", remote)
	tr.leave("juliet@capulet.example", remote)
	if tr.entities[remote] == nil {
		t.Fatal("forgotten while still in an audience")
	}
	tr.leave("nurse@capulet.example", remote)
	if tr.entities[remote] != nil || len(tr.audiences) != 0 {
		t.Errorf("still known after leaving every audience: %v %v", tr.entities, tr.audiences)
	}
	const local = "juliet@capulet.example/balcony"
	tr.observe(local, caps{}, true)
	tr.join("nurse@capulet.example", local)
	tr.leave("nurse@capulet.example", local)
	if tr.entities[local] == nil {
		t.Error("a local resource was forgotten before its session said so")
	}
	tr.forget(local)
	if tr.entities[local] != nil {
		t.Error("forget kept the entity")
	}
}

func TestPreconditions(t *testing.T) {
	const limit = 50
	def := DefaultConfig()
	open := def
	open.AccessModel, open.MaxItems = AccessOpen, limit
	tests := []struct {
		name   string
		cfg    Config
		fields map[string][]string
		met    bool
	}{
		{"none", def, nil, true},
		{"same access model", def, map[string][]string{"pubsub#access_model": {"presence"}}, true},
		{"other access model", def, map[string][]string{"pubsub#access_model": {"open"}}, false},
		{"persist 1 matches true", def, map[string][]string{"pubsub#persist_items": {"1"}}, true},
		{"persist false", def, map[string][]string{"pubsub#persist_items": {"false"}}, false},
		{"max_items count", def, map[string][]string{"pubsub#max_items": {"1"}}, true},
		{"max on a 1-item node", def, map[string][]string{"pubsub#max_items": {"max"}}, false},
		{"max on a node at the limit", open, map[string][]string{"pubsub#max_items": {"max"}}, true},
		{"above the limit on a node at the limit", open, map[string][]string{"pubsub#max_items": {"100000"}}, true},
		{"garbage max_items", def, map[string][]string{"pubsub#max_items": {"many"}}, false},
		{"unknown field", def, map[string][]string{"pubsub#item_expire": {"60"}}, true},
		{"publish model publishers", def, map[string][]string{"pubsub#publish_model": {"publishers"}}, true},
		{"publish model open", def, map[string][]string{"pubsub#publish_model": {"open"}}, false},
		{"send_last never", def, map[string][]string{"pubsub#send_last_published_item": {"never"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := preconditionsMet(tt.cfg, form{fields: tt.fields}, limit); got != tt.met {
				t.Errorf("preconditionsMet = %v, want %v", got, tt.met)
			}
		})
	}
}

func TestApplyFormErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string][]string
		cond   string
		app    string
	}{
		{"authorize", map[string][]string{"pubsub#access_model": {"authorize"}}, stanza.NotAcceptable, "unsupported-access-model"},
		{"bad boolean", map[string][]string{"pubsub#deliver_payloads": {"yes"}}, stanza.NotAcceptable, ""},
		{"negative max", map[string][]string{"pubsub#max_items": {"-1"}}, stanza.NotAcceptable, ""},
		{"normal notifications", map[string][]string{"pubsub#notification_type": {"normal"}}, stanza.NotAcceptable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := applyForm(&cfg, form{fields: tt.fields}, 10)
			se, ok := err.(stanza.Error)
			if !ok || se.Condition != tt.cond {
				t.Fatalf("applyForm = %v, want %s", err, tt.cond)
			}
			app := ""
			if se.App != nil {
				app = se.App.Name.Local
			}
			if app != tt.app {
				t.Errorf("application condition %q, want %q", app, tt.app)
			}
		})
	}
	cfg := DefaultConfig()
	err := applyForm(&cfg, form{fields: map[string][]string{
		"pubsub#access_model": {"roster"}, "pubsub#roster_groups_allowed": {"A", "B"}, "pubsub#max_items": {"max"},
		"pubsub#send_last_published_item": {"never"}, "pubsub#title": {"T"},
	}}, 10)
	if err != nil || cfg.AccessModel != AccessRoster || len(cfg.RosterGroupsAllowed) != 2 || cfg.MaxItems != 10 ||
		cfg.SendLastPublishedItem != SendNever || cfg.Title != "T" || !cfg.PersistItems {
		t.Errorf("applyForm = %v, config %+v", err, cfg)
	}
}

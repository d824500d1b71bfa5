package stanza

import (
	"encoding/xml"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		attrs []string
		want  string
	}{
		{"no attributes", nil, "<iq/>"},
		{"in order", []string{"type", "get", "id", "1"}, "<iq type='get' id='1'/>"},
		{"empty values left out", []string{"type", "result", "to", "", "id", "7"}, "<iq type='result' id='7'/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(NSClient, "iq", tt.attrs...).String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewOddAttrsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with an odd number of attrs did not panic")
		}
	}()
	New(NSClient, "iq", "type")
}

func TestGetSet(t *testing.T) {
	tests := []struct {
		name       string
		start      []xml.Attr
		key, value string
		want       string
	}{
		{"add", nil, "id", "1", "<m id='1'/>"},
		{"replace in place", []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1"}, {Name: xml.Name{Local: "b"}, Value: "2"}},
			"a", "3", "<m a='3' b='2'/>"},
		{"empty removes", []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1"}, {Name: xml.Name{Local: "b"}, Value: "2"}},
			"a", "", "<m b='2'/>"},
		{"remove absent is a no-op", nil, "a", "", "<m/>"},
		{"namespaced attribute is not the unqualified one",
			[]xml.Attr{{Name: xml.Name{Space: NSXML, Local: "lang"}, Value: "en"}},
			"lang", "de", "<m xml:lang='en' lang='de'/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Element{Name: xml.Name{Space: NSClient, Local: "m"}, Attr: tt.start}
			e.Set(tt.key, tt.value)
			if got := e.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if got := e.Get(tt.key); got != tt.value {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.value)
			}
		})
	}
}

func TestChildren(t *testing.T) {
	body := New(NSClient, "body").AppendText("hi")
	thread := New(NSClient, "thread")
	receipt := New("urn:xmpp:receipts", "request")
	m := New(NSClient, "message").Append(Text("\n "), body, nil, (*Element)(nil), Text(" "), thread, receipt)

	if len(m.Children) != 5 {
		t.Fatalf("Append kept %d children, want 5 (nil nodes are skipped)", len(m.Children))
	}
	if got := m.Child(NSClient, "thread"); got != thread {
		t.Errorf("Child(thread) = %v", got)
	}
	if got := m.Child("urn:other", "thread"); got != nil {
		t.Errorf("Child with the wrong namespace = %v, want nil", got)
	}
	if got := m.Child("urn:xmpp:receipts", "request"); got != receipt {
		t.Errorf("Child(request) = %v", got)
	}
	if got := m.FirstChild(); got != body {
		t.Errorf("FirstChild = %v, want body", got)
	}
	if got := New(NSClient, "iq").AppendText("x").FirstChild(); got != nil {
		t.Errorf("FirstChild of a text-only element = %v, want nil", got)
	}
	els := m.ChildElements()
	if len(els) != 3 || els[0] != body || els[1] != thread || els[2] != receipt {
		t.Errorf("ChildElements = %v", els)
	}
	if got := m.Text(); got != "\n  " {
		t.Errorf("Text = %q, want the two direct text nodes joined", got)
	}
	if got := body.Text(); got != "hi" {
		t.Errorf("body Text = %q", got)
	}
	if got := New(NSClient, "a").AppendText("").Text(); got != "" {
		t.Errorf("AppendText(\"\") added text %q", got)
	}
}

func TestCopyIsDeep(t *testing.T) {
	orig := New(NSClient, "message", "to", "bob@example.org", "id", "1").
		Append(New(NSClient, "body").AppendText("hello"))
	want := orig.String()

	c := orig.Copy()
	if got := c.String(); got != want {
		t.Fatalf("copy = %s, want %s", got, want)
	}
	c.Set("to", "eve@example.org")
	c.Attr = append(c.Attr, xml.Attr{Name: xml.Name{Local: "x"}, Value: "y"})
	c.FirstChild().AppendText(" world")
	c.FirstChild().Name.Local = "subject"
	c.Append(New(NSClient, "extra"))

	if got := orig.String(); got != want {
		t.Errorf("changing the copy changed the original: %s, want %s", got, want)
	}
	if (*Element)(nil).Copy() != nil {
		t.Error("Copy of nil is not nil")
	}
}

func TestRename(t *testing.T) {
	const server = "jabber:server"
	m := New(server, "message", "to", "a@b").Append(New(server, "body").AppendText("hi"), New("urn:x", "x").Append(New(server, "inner")))
	m.Rename(server, NSClient)
	if got, want := m.String(), `<message to='a@b'><body>hi</body><x xmlns='urn:x'><inner xmlns='jabber:client'/></x></message>`; got != want {
		t.Errorf("renamed = %s, want %s", got, want)
	}
}

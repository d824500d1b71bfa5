package embeddb

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"testing"
)

func TestBadgerLogger(t *testing.T) {
	tests := []struct {
		name  string
		log   func(l badgerLogger)
		level slog.Level // of the handler
		want  string
	}{
		{"InfoIsDebug", func(l badgerLogger) { l.Infof("flushed %d tables\n", 2) }, slog.LevelDebug, "level=DEBUG msg=\"flushed 2 tables\"\n"},
		{"InfoHiddenAtInfo", func(l badgerLogger) { l.Infof("flushed\n") }, slog.LevelInfo, ""},
		{"Debug", func(l badgerLogger) { l.Debugf("x") }, slog.LevelDebug, "level=DEBUG msg=x\n"},
		{"Warning", func(l badgerLogger) { l.Warningf("slow %s\n\n", "disk") }, slog.LevelInfo, "level=WARN msg=\"slow disk\"\n"},
		{"Error", func(l badgerLogger) { l.Errorf("bad\n") }, slog.LevelError, "level=ERROR msg=bad\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level: tt.level,
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			})
			tt.log(badgerLogger{slog.New(h)})
			if got := buf.String(); got != tt.want {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCollectGarbageNothingToDo(t *testing.T) {
	db, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A fresh database has nothing to rewrite: Badger says ErrNoRewrite,
	// which is not a failure.
	if err := db.collectGarbage(); err != nil {
		t.Errorf("collectGarbage = %v, want nil", err)
	}
}

func TestOpenWithoutDir(t *testing.T) {
	if db, err := Open(Options{}); err == nil {
		db.Close()
		t.Error("Open without Dir or InMemory succeeded")
	}
}

func TestKeysDoNotOverlap(t *testing.T) {
	owner, longer := "alice@example.org", "alice@example.org.evil"
	prefixes := map[string][]byte{
		"roster":  rosterPrefix(owner),
		"pending": pendingPrefix(owner),
		"offline": offlinePrefix(owner),
	}
	others := map[string][]byte{
		"longer owner's roster item":    rosterKey(longer, "bob@example.org"),
		"longer owner's pending":        pendingKey(longer, "bob@example.org"),
		"longer owner's offline":        offlineKey(longer, 0),
		"roster version":                rosterVerKey(owner),
		"offline meta":                  offlineMetaKey(owner),
		"account":                       accountKey(owner),
		"longer owner's roster version": rosterVerKey(longer),
	}
	for pname, p := range prefixes {
		for kname, k := range others {
			if bytes.HasPrefix(k, p) {
				t.Errorf("%s prefix %q matches %s key %q", pname, p, kname, k)
			}
		}
	}
	if !bytes.HasPrefix(offlineKey(owner, 7), offlinePrefix(owner)) {
		t.Error("offline key outside its owner's prefix")
	}
	if bytes.Compare(offlineKey(owner, 255), offlineKey(owner, 256)) >= 0 {
		t.Error("offline keys do not sort by seq")
	}
}

func TestCheckJID(t *testing.T) {
	tests := []struct {
		jid string
		ok  bool
	}{
		{"alice@example.org", true},
		{"example.org", true},
		{"ñandú@例え.jp", true},
		{"", false},
		{"alice@example.org/phone", false},
		{"alice\x00@example.org", false},
	}
	for _, tt := range tests {
		err := checkJID(tt.jid)
		if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("checkJID(%q) = %v, want ok=%v", tt.jid, err, tt.ok)
		}
	}
}

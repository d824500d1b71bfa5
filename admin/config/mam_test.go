package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMAM covers the [mam] table: archiving is on unless turned off, retention takes a
// duration string, and the written file round-trips it.
func TestMAM(t *testing.T) {
	base := "domain = \"example.org\"\n"
	tests := []struct {
		name    string
		file    string
		want    MAM
		wantErr string
	}{
		{"Absent", base, MAM{Enabled: true}, ""},
		{"Off", base + "[mam]\nenabled = false\n", MAM{Enabled: false}, ""},
		{"Retention", base + "[mam]\nretention = \"720h\"\n", MAM{Enabled: true, Retention: 720 * time.Hour}, ""},
		{"RetentionWithoutUnit", base + "[mam]\nretention = 3600\n", MAM{}, "xmppbox.toml:3: mam.retention needs a unit"},
		{"NegativeRetention", base + "[mam]\nretention = \"-1h\"\n", MAM{}, "mam.retention must not be negative"},
		{"Typo", base + "[mam]\nretension = \"1h\"\n", MAM{}, "unknown setting \"mam.retension\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tt.file), Overrides{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MAM != tt.want {
				t.Errorf("MAM = %+v, want %+v", c.MAM, tt.want)
			}
		})
	}
	t.Run("RoundTrip", func(t *testing.T) {
		c := Default("example.org")
		c.MAM = MAM{Enabled: false, Retention: 90 * 24 * time.Hour}
		p := filepath.Join(t.TempDir(), FileName)
		if err := Write(p, c); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		if got.MAM != c.MAM {
			t.Errorf("MAM after Write and Load = %+v, want %+v", got.MAM, c.MAM)
		}
	})
}

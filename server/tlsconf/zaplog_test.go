package tlsconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestZapBridge(t *testing.T) {
	var buf bytes.Buffer
	l := newZapLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))

	tests := []struct {
		name      string
		log       func(*zap.Logger)
		wantLevel string // "" when nothing may be written
		wantAttrs map[string]any
	}{
		{
			name:      "info with fields",
			log:       func(l *zap.Logger) { l.Info("certificate obtained", zap.String("identifier", "example.test")) },
			wantLevel: "INFO",
			wantAttrs: map[string]any{"identifier": "example.test"},
		},
		{
			name:      "debug is filtered by the slog level",
			log:       func(l *zap.Logger) { l.Debug("choosing certificate") },
			wantLevel: "",
		},
		{
			name:      "warn",
			log:       func(l *zap.Logger) { l.Warn("stapling OCSP") },
			wantLevel: "WARN",
		},
		{
			name:      "error uses the err key",
			log:       func(l *zap.Logger) { l.Error("renewing", zap.Error(errors.New("boom"))) },
			wantLevel: "ERROR",
			wantAttrs: map[string]any{"err": "boom"},
		},
		{
			name: "named logger, With fields, arrays and durations",
			log: func(l *zap.Logger) {
				l.Named("maintenance").With(zap.Strings("identifiers", []string{"a.test", "b.test"})).
					Info("certificate expires soon", zap.Duration("remaining", time.Minute))
			},
			wantLevel: "INFO",
			wantAttrs: map[string]any{
				"logger":      "maintenance",
				"identifiers": []any{"a.test", "b.test"},
				"remaining":   float64(time.Minute),
			},
		},
		{
			name:      "namespace nests later fields",
			log:       func(l *zap.Logger) { l.Info("x", zap.Namespace("acme"), zap.Int("status", 200)) },
			wantLevel: "INFO",
			wantAttrs: map[string]any{"acme": map[string]any{"status": float64(200)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			tt.log(l)
			if tt.wantLevel == "" {
				if buf.Len() != 0 {
					t.Fatalf("wrote %s, want nothing", buf.Bytes())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("%v in %s", err, buf.Bytes())
			}
			if rec["level"] != tt.wantLevel {
				t.Errorf("level = %v, want %s", rec["level"], tt.wantLevel)
			}
			for k, want := range tt.wantAttrs {
				got, _ := json.Marshal(rec[k])
				w, _ := json.Marshal(want)
				if !bytes.Equal(got, w) {
					t.Errorf("%s = %s, want %s", k, got, w)
				}
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   zapcore.Level
		want slog.Level
	}{
		{"debug", zap.DebugLevel, slog.LevelDebug},
		{"info", zap.InfoLevel, slog.LevelInfo},
		{"warn", zap.WarnLevel, slog.LevelWarn},
		{"error", zap.ErrorLevel, slog.LevelError},
		{"dpanic", zap.DPanicLevel, slog.LevelError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := slogLevel(tt.in); got != tt.want {
				t.Errorf("slogLevel(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

package embeddb_test

import (
	"context"
	"log/slog"
	"testing"
)

// testLogger sends Warn and above to t.Log; Badger's Debug chatter is dropped.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(tbHandler{t: t, level: slog.LevelWarn})
}

type tbHandler struct {
	t     *testing.T
	level slog.Level
	attrs []slog.Attr
}

func (h tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h tbHandler) Handle(_ context.Context, r slog.Record) error {
	h.t.Helper()
	args := []any{r.Level, r.Message}
	for _, a := range h.attrs {
		args = append(args, a)
	}
	r.Attrs(func(a slog.Attr) bool { args = append(args, a); return true })
	h.t.Log(args...)
	return nil
}

func (h tbHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(h.attrs[:len(h.attrs):len(h.attrs)], as...)
	return h
}

func (h tbHandler) WithGroup(string) slog.Handler { return h }

package tlsconf

import (
	"context"
	"log/slog"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newZapLogger returns a zap logger that writes through l, so certmagic's
// logs join the server's one slog stream with the same handler and keys.
// Without it certmagic prints INFO lines to stderr in zap's console format.
func newZapLogger(l *slog.Logger) *zap.Logger {
	return zap.New(slogCore{l: l})
}

// slogCore is a zapcore.Core that forwards entries to a slog.Logger.
// Levels map Debug→Debug, Info→Info, Warn→Warn, and Error and above
// (DPanic, Panic, Fatal) →Error; certmagic uses only the first four.
type slogCore struct {
	l      *slog.Logger
	fields []zapcore.Field // from With, written before each entry's own fields
}

func (c slogCore) Enabled(lvl zapcore.Level) bool {
	return c.l.Enabled(context.Background(), slogLevel(lvl))
}

func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{l: c.l, fields: append(slices.Clip(c.fields), fields...)}
}

func (c slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	// The record keeps zap's timestamp and no source location: the caller
	// is inside certmagic, and a PC of this bridge would mislead.
	r := slog.NewRecord(e.Time, slogLevel(e.Level), e.Message, 0)
	if e.LoggerName != "" {
		r.AddAttrs(slog.String("logger", e.LoggerName))
	}
	all := fields
	if len(c.fields) > 0 {
		all = append(slices.Clip(c.fields), fields...)
	}
	r.AddAttrs(slogAttrs(all)...)
	return c.l.Handler().Handle(context.Background(), r)
}

func (slogCore) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

// slogAttrs converts zap fields to slog attributes in order. zap.Error's
// "error" key becomes "err", the project's key, and keeps the error value
// itself. A zap.Namespace field nests every later field in a group, as it
// does in zap.
func slogAttrs(fields []zapcore.Field) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(fields))
	for i, f := range fields {
		switch f.Type {
		case zapcore.NamespaceType:
			return append(attrs, slog.Attr{Key: f.Key, Value: slog.GroupValue(slogAttrs(fields[i+1:])...)})
		case zapcore.SkipType:
			continue
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok && f.Key == "error" {
				attrs = append(attrs, slog.Any("err", err))
				continue
			}
		}
		// Everything else goes through zap's own encoding, which knows every
		// field type (durations, times, arrays, objects, stringers).
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		for k, v := range enc.Fields {
			attrs = append(attrs, slog.Any(k, v))
		}
	}
	return attrs
}

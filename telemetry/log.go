package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ErrUnknownLogFormat and ErrUnknownLogLevel are wrapped by the errors
// NewLogger returns for a format or level it does not know, so that a
// caller can tell which option was wrong.
var (
	ErrUnknownLogFormat = errors.New("telemetry: unknown log format")
	ErrUnknownLogLevel  = errors.New("telemetry: unknown log level")
)

// NewLogger makes the process logger, writing to w. format is "text"
// (slog's key=value lines) or "json" (one object per line); level is
// debug, info, warn or error (case is ignored). An unknown format or level
// is an error naming it, wrapping ErrUnknownLogFormat or
// ErrUnknownLogLevel.
//
// At info level and above the logger redacts (see RedactURL) the message
// and every string attribute, in groups too (finding messages and
// subjects quote challenge URLs), every attribute named "url" whatever its
// type (a *url.URL is logged as its redacted text), and every value of
// type URL; values of type URL become plain strings. At debug level all of
// them are logged whole: debug output is for the operator's own terminal,
// not for log shipping.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("%w %q (want text or json)", ErrUnknownLogFormat, format)
	}
	return slog.New(&redactHandler{inner: h, show: lvl <= slog.LevelDebug}), nil
}

func parseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%w %q (want debug, info, warn or error)", ErrUnknownLogLevel, level)
}

// URL is a URL (or any text that may carry an http-01 token or a key
// authorization) to log. Its LogValue is the redacted form (RedactURL),
// so that it stays hidden under any slog handler; a logger from NewLogger
// at debug level logs it whole.
type URL string

// LogValue implements slog.LogValuer: it returns RedactURL(u).
func (u URL) LogValue() slog.Value { return slog.StringValue(RedactURL(string(u))) }

// redactHandler rewrites the attributes NewLogger documents before its
// inner handler sees them. show is set at debug level: URL values are
// then logged whole and "url" attributes left alone.
type redactHandler struct {
	inner slog.Handler
	show  bool
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	changed := false
	r.Attrs(func(a slog.Attr) bool {
		a, c := h.rewrite(a)
		attrs = append(attrs, a)
		changed = changed || c
		return true
	})
	msg := r.Message
	if !h.show {
		if m := RedactURL(msg); m != msg {
			msg, changed = m, true
		}
	}
	if !changed {
		return h.inner.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	nr.AddAttrs(attrs...)
	return h.inner.Handle(ctx, nr)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i], _ = h.rewrite(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(out), show: h.show}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), show: h.show}
}

// rewrite returns a as it is to be logged, and whether that differs from a.
func (h *redactHandler) rewrite(a slog.Attr) (slog.Attr, bool) {
	v := a.Value
	changed := false
	if v.Kind() == slog.KindLogValuer {
		if u, ok := v.Any().(URL); ok {
			if h.show {
				return slog.String(a.Key, string(u)), true
			}
			return slog.String(a.Key, RedactURL(string(u))), true
		}
		// Resolve here, once, to see what the value holds; the inner
		// handler then gets the resolved value.
		v, changed = v.Resolve(), true
	}
	switch {
	case v.Kind() == slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, g := range group {
			var c bool
			out[i], c = h.rewrite(g)
			changed = changed || c
		}
		if changed {
			v = slog.GroupValue(out...)
		}
	case h.show:
	case v.Kind() == slog.KindString:
		if s := RedactURL(v.String()); s != v.String() {
			v, changed = slog.StringValue(s), true
		}
	case a.Key == "url":
		switch v.Kind() {
		case slog.KindAny:
			// *url.URL and the like: log their redacted text.
			if s, ok := v.Any().(fmt.Stringer); ok {
				v, changed = slog.StringValue(RedactURL(s.String())), true
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}, changed
}

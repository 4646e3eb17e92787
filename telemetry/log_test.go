package telemetry_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/telemetry"
)

// selfCheck returns the URL of the first http-01 self-check recorded in
// examples/recordings/v1-happy.jsonl, the key authorization it was
// answered with, and the token.
func selfCheck(t *testing.T) (u, keyAuth, token string) {
	t.Helper()
	r, err := journal.Open("../examples/recordings/v1-happy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for x, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if _, tok, ok := strings.Cut(x.Request.URL, "/.well-known/acme-challenge/"); ok && x.Response != nil {
			return x.Request.URL, string(x.Response.Body.Data), tok
		}
	}
	t.Fatal("no http-01 self-check in the recording")
	return
}

// marker is the replacement RedactURL documents for token.
func marker(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "REDACTED-" + hex.EncodeToString(sum[:4])
}

func TestRedactURL(t *testing.T) {
	u, keyAuth, token := selfCheck(t)
	if !strings.HasPrefix(keyAuth, token+".") {
		t.Fatalf("recorded key authorization %q does not start with token %q", keyAuth, token)
	}
	other := strings.Repeat("Z", 43)
	thumb := strings.Repeat("t", 43)
	for _, tc := range []struct{ name, in, want string }{
		{"ok/challenge-url", u, strings.TrimSuffix(u, token) + marker(token)},
		{"ok/challenge-url-query-kept", u + "?x=1#f", strings.TrimSuffix(u, token) + marker(token) + "?x=1#f"},
		{"ok/challenge-path-only", "/.well-known/acme-challenge/" + other + "/more", "/.well-known/acme-challenge/" + marker(other) + "/more"},
		{"ok/key-authorization-body", keyAuth, marker(token)},
		{"ok/key-authorization-in-text", "served " + keyAuth + ".", "served " + marker(token) + "."},
		{"ok/key-authorization-in-query", "https://x.test/p?ka=" + other + "." + thumb + "&y", "https://x.test/p?ka=" + marker(other) + "&y"},
		{"ok/directory-untouched", "https://acme-v02.api.letsencrypt.org/directory", "https://acme-v02.api.letsencrypt.org/directory"},
		{"ok/compact-jws-untouched", other + "." + thumb + "." + thumb, other + "." + thumb + "." + thumb},
		{"ok/short-token-not-key-authorization", "abc." + thumb, "abc." + thumb},
		{"ok/empty-token-untouched", "http://h/.well-known/acme-challenge/", "http://h/.well-known/acme-challenge/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := telemetry.RedactURL(tc.in)
			if got != tc.want {
				t.Errorf("RedactURL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := telemetry.RedactURL(got); again != got {
				t.Errorf("RedactURL is not idempotent: %q → %q", got, again)
			}
		})
	}
	if marker(token) == marker(other) {
		t.Error("two tokens share a marker")
	}
	if !regexp.MustCompile(`^REDACTED-[0-9a-f]{8}$`).MatchString(telemetry.RedactURL(keyAuth)) {
		t.Errorf("RedactURL(key authorization) = %q, want REDACTED- and 8 hex digits", telemetry.RedactURL(keyAuth))
	}
}

// logAll logs token-bearing values every way the logger must catch.
func logAll(log *slog.Logger, u, keyAuth string) {
	pu, _ := url.Parse(u)
	log.Info("fetch", "url", u)
	log.Info("parsed", "url", pu)
	log.Info("typed", "target", telemetry.URL(u), "body", telemetry.URL(keyAuth))
	log.Info("grouped", slog.Group("request", "method", "GET", "url", u))
	log.With("url", u).Info("with")
	log.WithGroup("g").With(slog.Any("t", telemetry.URL(u))).Warn("with group")
	// A finding quotes the URL in its message attribute, and a message
	// may quote it too.
	log.Warn("finding", "rule", "upstream_unreachable", "message", "GET "+u+" got no answer")
	log.Info("fetched " + u)
}

func TestLoggerRedaction(t *testing.T) {
	u, keyAuth, token := selfCheck(t)
	for _, format := range []string{"text", "json"} {
		for _, level := range []string{"info", "debug"} {
			t.Run(format+"/"+level, func(t *testing.T) {
				var buf bytes.Buffer
				log, err := telemetry.NewLogger(&buf, format, level)
				if err != nil {
					t.Fatal(err)
				}
				logAll(log, u, keyAuth)
				out := buf.String()
				if n := strings.Count(out, "\n"); n != 8 {
					t.Fatalf("%d lines logged, want 8:\n%s", n, out)
				}
				if level == "debug" {
					if c := strings.Count(out, token); c < 9 {
						t.Errorf("debug: token shown %d times, want every time (9):\n%s", c, out)
					}
					return
				}
				if strings.Contains(out, token) {
					t.Errorf("info: token leaked:\n%s", out)
				}
				if c := strings.Count(out, marker(token)); c != 9 {
					t.Errorf("info: marker %s appears %d times, want 9:\n%s", marker(token), c, out)
				}
				if format == "json" {
					first, _, _ := strings.Cut(out, "\n")
					var rec map[string]any
					if err := json.Unmarshal([]byte(first), &rec); err != nil {
						t.Fatal(err)
					}
					if rec["url"] != telemetry.RedactURL(u) || rec["level"] != "INFO" {
						t.Errorf("json record = %v, want url %q", rec, telemetry.RedactURL(u))
					}
				}
			})
		}
	}
}

// TestURLRedactsUnderAnyHandler: a URL logged through a logger that is not
// NewLogger's still hides the token.
func TestURLRedactsUnderAnyHandler(t *testing.T) {
	u, _, token := selfCheck(t)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("x", "u", telemetry.URL(u))
	if strings.Contains(buf.String(), token) || !strings.Contains(buf.String(), marker(token)) {
		t.Errorf("plain slog handler: %s", buf.String())
	}
}

func TestNewLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	log, err := telemetry.NewLogger(&buf, "text", "WARN")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "level=WARN msg=shown") {
		t.Errorf("warn logger wrote:\n%s", out)
	}
}

func TestNewLoggerRejects(t *testing.T) {
	for _, tc := range []struct {
		name, format, level string
		want                error
		names               string
	}{
		{"fail/format-xml", "xml", "info", telemetry.ErrUnknownLogFormat, `"xml"`},
		{"fail/format-empty", "", "info", telemetry.ErrUnknownLogFormat, `""`},
		{"fail/level-verbose", "json", "verbose", telemetry.ErrUnknownLogLevel, `"verbose"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := telemetry.NewLogger(&bytes.Buffer{}, tc.format, tc.level)
			if log != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.names) {
				t.Errorf("NewLogger(%q, %q) = %v, %v; want %v naming %s", tc.format, tc.level, log, err, tc.want, tc.names)
			}
		})
	}
}

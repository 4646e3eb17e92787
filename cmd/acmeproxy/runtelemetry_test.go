package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/acmeproxy/acmeproxy/journal"
)

// telemetryTestBuffer is a bytes.Buffer safe for the admin server's
// goroutines to log into while a test reads it.
type telemetryTestBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *telemetryTestBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *telemetryTestBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func telemetryEnv(t *testing.T) (*env, *telemetryTestBuffer) {
	stderr := &telemetryTestBuffer{}
	return &env{ctx: t.Context(), getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr}, stderr
}

func TestTelemetryFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want telemetryOptions
	}{
		{"ok/defaults", nil, telemetryOptions{admin: "", logFormat: "text", logLevel: "info"}},
		{"ok/all-set", []string{"--admin", "127.0.0.1:9464", "--log-format", "json", "--log-level", "debug"},
			telemetryOptions{admin: "127.0.0.1:9464", logFormat: "json", logLevel: "debug"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := pflag.NewFlagSet("run", pflag.ContinueOnError)
			var o telemetryOptions
			addTelemetryFlags(f, &o)
			if err := f.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if o != tc.want {
				t.Errorf("options = %+v, want %+v", o, tc.want)
			}
		})
	}
}

func TestStartTelemetryBadFlags(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		o    telemetryOptions
		want []string // in the error message
	}{
		{"fail/log-format", telemetryOptions{logFormat: "yaml", logLevel: "info"}, []string{"--log-format", `"yaml"`}},
		{"fail/log-level", telemetryOptions{logFormat: "text", logLevel: "trace"}, []string{"--log-level", `"trace"`}},
		{"fail/admin-in-use", telemetryOptions{admin: busy.Addr().String(), logFormat: "text", logLevel: "info"}, []string{"--admin " + busy.Addr().String()}},
		{"fail/admin-not-an-address", telemetryOptions{admin: "localhost", logFormat: "text", logLevel: "info"}, []string{"--admin localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := telemetryEnv(t)
			tr, err := startTelemetry(e, &tc.o, nil)
			if tr != nil {
				tr.Close(t.Context())
			}
			xe, ok := errors.AsType[*exitError](err)
			if !ok || xe.code != exitUsage {
				t.Fatalf("startTelemetry(%+v) = %v, want a usage error", tc.o, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestStartTelemetryOff(t *testing.T) {
	e, stderr := telemetryEnv(t)
	tr, err := startTelemetry(e, &telemetryOptions{logFormat: "text", logLevel: "info"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.AdminAddr != "" || tr.Log == nil || tr.Metrics == nil {
		t.Errorf("admin off: %+v", tr)
	}
	if err := tr.Close(t.Context()); err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), "admin listening") {
		t.Errorf("admin off but logged: %s", stderr)
	}
}

// TestStartTelemetryAdmin starts the admin server on a free loopback port,
// scrapes it, and checks that Close really stops it.
func TestStartTelemetryAdmin(t *testing.T) {
	e, stderr := telemetryEnv(t)
	findings := func() (any, error) {
		return []map[string]string{{"rule": "orphaned_pending_authz"}}, nil
	}
	tr, err := startTelemetry(e, &telemetryOptions{admin: "127.0.0.1:0", logFormat: "json", logLevel: "info"}, findings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(t.Context()) })
	host, port, err := net.SplitHostPort(tr.AdminAddr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("AdminAddr = %q", tr.AdminAddr)
	}
	if strings.Contains(stderr.String(), "no authentication") {
		t.Errorf("loopback admin address warned about: %s", stderr)
	}
	var rec struct{ Level, Msg, Addr string }
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(first), &rec); err != nil || rec.Msg != "admin listening" || rec.Addr != tr.AdminAddr || rec.Level != "INFO" {
		t.Errorf("first log line %q (%v), want admin listening at %s", first, err, tr.AdminAddr)
	}

	tr.Metrics.Recorded(&journal.Exchange{Mode: "mitm", Error: "dial tcp: connection refused"})
	client := &http.Client{Timeout: 5 * time.Second}
	fetch := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get("http://" + tr.AdminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := fetch("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := fetch("/metrics"); code != 200 ||
		!strings.Contains(body, "\nacmeproxy_recorded_exchanges_total{mode=\"mitm\"} 1\n") ||
		!strings.Contains(body, "\nacmeproxy_upstream_errors_total 1\n") ||
		!strings.Contains(body, "\ngo_goroutines ") {
		t.Errorf("/metrics = %d, missing the recorded exchange or runtime metrics:\n%s", code, body)
	}
	if code, body := fetch("/findings"); code != 200 || !strings.Contains(body, `"orphaned_pending_authz"`) {
		t.Errorf("/findings = %d %q", code, body)
	}

	if err := tr.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", tr.AdminAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("admin address %s still accepts connections after Close", tr.AdminAddr)
	}
	if err := tr.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartTelemetryWarnsBeyondLoopback(t *testing.T) {
	e, stderr := telemetryEnv(t)
	tr, err := startTelemetry(e, &telemetryOptions{admin: ":0", logFormat: "text", logLevel: "info"}, nil)
	if err != nil {
		t.Skipf("cannot listen on every interface here: %v", err)
	}
	defer tr.Close(t.Context())
	if !strings.Contains(stderr.String(), "level=WARN msg=\"admin endpoint reachable beyond this machine") {
		t.Errorf("no warning for admin on every interface:\n%s", stderr)
	}
}

package telemetry_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/telemetry"
)

// get does one request against a real server and returns status,
// Content-Type and body.
func get(t *testing.T, srv *httptest.Server, method, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

type finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Line     int    `json:"line"`
}

func TestHandler(t *testing.T) {
	var fail error
	findings := func() (any, error) {
		if fail != nil {
			return nil, fail
		}
		return []finding{{"orphaned_pending_authz", "warning", 12}, {"csr_signed_with_account_key", "error", 40}}, nil
	}
	srv := httptest.NewServer(telemetry.Handler(telemetry.NewMetrics(), findings))
	defer srv.Close()

	t.Run("ok/healthz", func(t *testing.T) {
		if code, _, body := get(t, srv, "GET", "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
			t.Errorf("GET /healthz = %d %q", code, body)
		}
	})
	t.Run("fail/healthz-post", func(t *testing.T) {
		if code, _, _ := get(t, srv, "POST", "/healthz"); code != http.StatusMethodNotAllowed {
			t.Errorf("POST /healthz = %d, want 405", code)
		}
	})
	t.Run("ok/findings-json", func(t *testing.T) {
		code, ct, body := get(t, srv, "GET", "/findings")
		if code != 200 || ct != "application/json" {
			t.Fatalf("GET /findings = %d %q", code, ct)
		}
		var got []finding
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		want, _ := findings()
		if len(got) != 2 || got[0] != want.([]finding)[0] || got[1] != want.([]finding)[1] {
			t.Errorf("GET /findings = %+v, want %+v", got, want)
		}
	})
	t.Run("fail/findings-error-is-problem", func(t *testing.T) {
		fail = errors.New("ledger closed")
		defer func() { fail = nil }()
		code, ct, body := get(t, srv, "GET", "/findings")
		var p struct {
			Title, Detail string
			Status        int
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("problem body %q: %v", body, err)
		}
		if code != 500 || ct != "application/problem+json" || p.Status != 500 || p.Detail != "ledger closed" {
			t.Errorf("GET /findings = %d %q %+v", code, ct, p)
		}
	})
	t.Run("fail/findings-unencodable-is-problem", func(t *testing.T) {
		srv := httptest.NewServer(telemetry.Handler(nil, func() (any, error) { return make(chan int), nil }))
		defer srv.Close()
		if code, ct, _ := get(t, srv, "GET", "/findings"); code != 500 || ct != "application/problem+json" {
			t.Errorf("GET /findings of a channel = %d %q, want a 500 problem", code, ct)
		}
	})
	t.Run("fail/off-endpoints-404", func(t *testing.T) {
		srv := httptest.NewServer(telemetry.Handler(nil, nil))
		defer srv.Close()
		for _, p := range []string{"/metrics", "/findings"} {
			if code, _, _ := get(t, srv, "GET", p); code != 404 {
				t.Errorf("GET %s with nothing to serve = %d, want 404", p, code)
			}
		}
		if code, _, _ := get(t, srv, "GET", "/healthz"); code != 200 {
			t.Errorf("GET /healthz = %d", code)
		}
	})
}

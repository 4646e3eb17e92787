package main

import (
	"bufio"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
)

func TestParseResolve(t *testing.T) {
	m, err := parseResolve([]string{
		"CA.Staging.Example:14000=127.0.0.1:43000",
		"www.example.test=127.0.0.1:8080",
		"[::1]:443=127.0.0.1:8443",
		"10.0.0.7=[::1]:9000",
		"www.example.test=127.0.0.1:8080", // the same twice is fine
	})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"ca.staging.example:14000": "127.0.0.1:43000",
		"CA.STAGING.EXAMPLE:14000": "127.0.0.1:43000",
		"ca.staging.example:443":   "ca.staging.example:443", // another port: not mapped
		"www.example.test:80":      "127.0.0.1:8080",         // no port given: every port
		"www.example.test:5002":    "127.0.0.1:8080",
		"[::1]:443":                "127.0.0.1:8443",
		"10.0.0.7:80":              "[::1]:9000",
		"other.example:443":        "other.example:443",
		"not-an-address":           "not-an-address",
	} {
		if got := m.target(addr); got != want {
			t.Errorf("target(%q) = %q, want %q", addr, got, want)
		}
	}
	for _, bad := range []string{
		"", "host", "=127.0.0.1:80", "host=", "host=127.0.0.1", "host=127.0.0.1:0", "host=127.0.0.1:70000",
		"host:x=127.0.0.1:80", ":80=127.0.0.1:80", "a/b=127.0.0.1:80", "a:b:c=127.0.0.1:80",
	} {
		if _, err := parseResolve([]string{bad}); err == nil || !strings.Contains(err.Error(), "--resolve") {
			t.Errorf("parseResolve(%q) = %v, want a --resolve usage error", bad, err)
		}
	}
	if _, err := parseResolve([]string{"h=127.0.0.1:1", "H=127.0.0.1:2"}); err == nil {
		t.Error("one host mapped to two targets was accepted")
	}
}

func TestRunResolveBadInput(t *testing.T) {
	tmp := t.TempDir()
	code, _, stderr := runCLI(t, nil, "run", "--upstream", "https://ca.example/dir", "--ca-dir", filepath.Join(tmp, "ca"),
		"--listen", "127.0.0.1:0", "--resolve", "ca.example=nowhere")
	if code != exitUsage || !strings.Contains(stderr, "--resolve") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want a one-line usage error naming --resolve", code, stderr)
	}
}

// TestRunResolve runs the command with an upstream known by a name that
// does not resolve (ca.invalid) and a challenge host checked over plain
// HTTP (site.invalid): --resolve carries both, and TLS to the CA is still
// verified for the name.
func TestRunResolve(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"newNonce":"https://`+r.Host+`/nonce"}`)
	}))
	up.StartTLS()
	t.Cleanup(up.Close)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "site "+r.Host+r.URL.Path)
	}))
	t.Cleanup(site.Close)
	_, upPort, _ := net.SplitHostPort(up.Listener.Addr().String())
	// httptest's certificate names example.com: the name the CA is known by.
	caName := "example.com:" + upPort
	tmp := t.TempDir()
	jpath := filepath.Join(tmp, "rec.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stdoutW := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--upstream", "https://" + caName + "/dir", "--upstream-ca", writeCertPEM(t, up),
			"--listen", "127.0.0.1:0", "--journal", jpath, "--ca-dir", filepath.Join(tmp, "ca"),
			"--resolve", caName + "=" + up.Listener.Addr().String(),
			"--resolve", "site.invalid=" + site.Listener.Addr().String()},
			func(string) string { return "" }, strings.NewReader(""), stdoutW, &stderr)
		stdoutW.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addr := waitListening(t, lines)
	ca, err := mitmca.Load(filepath.Join(tmp, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	proxyURL, _ := url.Parse("http://" + addr)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsTrusting(ca)}}
	for _, u := range []string{"https://" + caName + "/dir", "http://site.invalid/.well-known/acme-challenge/t"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
		}
		if strings.HasPrefix(u, "http:") && string(body) != "site site.invalid/.well-known/acme-challenge/t" {
			t.Errorf("GET %s: %q; want the site's answer with the original Host", u, body)
		}
	}
	cancel()
	for range lines {
	}
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d; stderr %q", code, stderr.String())
	}
	var urls []string
	journaltest.Each(t, jpath, func(e *journal.Exchange) {
		if e.Response == nil || e.Response.Status != http.StatusOK {
			t.Errorf("exchange %d: %+v", e.Seq, e.Response)
		}
		urls = append(urls, e.Request.URL)
	})
	if len(urls) != 2 || !strings.Contains(urls[0], caName) || !strings.Contains(urls[1], "site.invalid") {
		t.Errorf("recorded %q; want the CA's directory under its name, then the site", urls)
	}
}

// TestRunResolveVerifiesName: --resolve changes where the proxy dials, not
// which name TLS verifies: a mapping to a server whose certificate does
// not name the host fails upstream.
func TestRunResolveVerifiesName(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	up.Config.ErrorLog = log.New(io.Discard, "", 0)
	up.StartTLS()
	t.Cleanup(up.Close)
	m, err := parseResolve([]string{"ca.invalid=" + up.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: m.dialer(0), TLSClientConfig: up.Client().Transport.(*http.Transport).TLSClientConfig}
	if _, err := (&http.Client{Transport: tr}).Get("https://ca.invalid/dir"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("GET through a mapping to a server not named ca.invalid: %v; want a certificate error", err)
	}
}

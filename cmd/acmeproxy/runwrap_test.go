package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
	"github.com/acmeproxy/acmeproxy/live"
	"github.com/acmeproxy/acmeproxy/reports"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// logger, a child's output copier and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wrapRun is one `acmeproxy run` running in-process.
type wrapRun struct {
	dir            string // temporary directory: journal, reports, CA
	journal        string
	stdout, stderr *syncBuffer
	done           chan int
	cancel         context.CancelFunc
}

// startRun starts `acmeproxy run` against pebble with args (flags, and
// "--" CLIENT... when wrapping); --listen, --journal, --ca-dir and the
// upstream flags are added.
func startRun(t *testing.T, p *pebbletest.Server, args ...string) *wrapRun {
	t.Helper()
	dir := t.TempDir()
	pem := filepath.Join(dir, "pebble.pem")
	if err := os.WriteFile(pem, p.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	r := &wrapRun{dir: dir, journal: filepath.Join(dir, "rec.jsonl"), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	full := []string{"run", "--upstream", p.DirectoryURL, "--upstream-ca", pem, "--listen", "127.0.0.1:0",
		"--journal", r.journal, "--ca-dir", filepath.Join(dir, "ca")}
	full = append(full, args...)
	ctx, cancel := context.WithCancelCause(context.Background())
	r.cancel = func() { cancel(errors.New("test stops the run")) }
	go func() {
		r.done <- run(ctx, full, func(string) string { return "" }, strings.NewReader(""), r.stdout, r.stderr)
	}()
	t.Cleanup(func() {
		cancel(nil)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30s of the test's end")
		}
	})
	return r
}

// wait returns run's exit code.
func (r *wrapRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for Cleanup
		return code
	case <-time.After(90 * time.Second):
		t.Fatalf("run did not end within 90s; stderr:\n%s", r.stderr)
	}
	return -1
}

// waitStderr waits until stderr holds s.
func (r *wrapRun) waitStderr(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(r.stderr.String(), s) {
		select {
		case code := <-r.done:
			r.done <- code
			t.Fatalf("run ended (exit %d) before stderr said %q:\n%s", code, s, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("stderr did not say %q within 60s:\n%s", s, r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// client returns the arguments that wrap the test binary as an ACME client.
func client(mode string, args ...string) []string {
	return append([]string{"--", os.Args[0], testClientArg, mode}, args...)
}

// reportView is the part of the JSON report the tests read.
type reportView struct {
	Findings []struct {
		Rule    string `json:"rule"`
		Subject string `json:"subject"`
	} `json:"findings"`
	Summary struct {
		Exchanges int `json:"exchanges"`
		ExitCode  int `json:"exit_code"`
	} `json:"summary"`
	Client *reports.Client `json:"client"`
}

func readReport(t *testing.T, path string) *reportView {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep reportView
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &rep
}

func countRule(rep *reportView, rule string) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Rule == rule {
			n++
		}
	}
	return n
}

func startPebble(t *testing.T) *pebbletest.Server {
	// The wrapped client cannot fill the test's challenge server, so the
	// VA accepts every challenge it is asked to validate.
	return pebbletest.Start(t, pebbletest.Options{AlwaysValid: true})
}

// TestWrapCleanIssuance: a real client issues a certificate through
// `run -- CLIENT`: exit 0, every report written, the client named as
// having succeeded.
func TestWrapCleanIssuance(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	sarif, jsonPath, md := filepath.Join(dir, "acme.sarif"), filepath.Join(dir, "acme.json"), filepath.Join(dir, "acme.md")
	r := startRun(t, p, append([]string{"--report", "sarif=" + sarif, "--report", "json=" + jsonPath,
		"--report", "markdown=" + md, "--fail-on", "error"}, client("issue", p.DirectoryURL)...)...)
	if code := r.wait(t); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, r.stderr)
	}
	rep := readReport(t, jsonPath)
	if rep.Client == nil || rep.Client.Failed() || rep.Client.Command[1] != testClientArg {
		t.Errorf("report's client: %+v", rep.Client)
	}
	if n := len(journaltest.ReadAll(t, r.journal)); n < 10 || rep.Summary.Exchanges != n {
		t.Errorf("journal holds %d exchanges, the report counts %d", n, rep.Summary.Exchanges)
	}
	var s struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				ExitCode            int  `json:"exitCode"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if b, err := os.ReadFile(sarif); err != nil || json.Unmarshal(b, &s) != nil || len(s.Runs) != 1 ||
		len(s.Runs[0].Invocations) != 1 || !s.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Errorf("SARIF: %v, %+v", err, s)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "exited with status 0") {
		t.Errorf("markdown summary does not name the client: %v\n%s", err, b)
	}
	for _, want := range []string{"msg=exchange", "operation=order.create", "msg=\"client exited\"", "msg=\"lint done\""} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestWrapLikelyOrphanConfirmed: the client creates an order, reads its
// authorization and waits. While it waits, the proxy reports the
// authorization as likely orphaned; the test lets the client go only
// then. The final lint confirms it, and --fail-on warning makes it exit 1.
func TestWrapLikelyOrphanConfirmed(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	release, jsonPath := filepath.Join(dir, "release"), filepath.Join(dir, "acme.json")
	r := startRun(t, p, append([]string{"--orphan-after", "200ms", "--fail-on", "warning", "--admin", "127.0.0.1:0",
		"--report", "json=" + jsonPath}, client("abandon", p.DirectoryURL, release)...)...)
	r.waitStderr(t, "likely orphaned authorization (provisional)")
	if addr := adminAddr(t, r); addr != "" { // the admin endpoint shows it too
		snap := getFindings(t, addr)
		if snap.Final || len(snap.Findings) == 0 || snap.Findings[len(snap.Findings)-1].State != live.StateOpen ||
			!snap.Findings[len(snap.Findings)-1].Provisional {
			t.Errorf("/findings while the client waits: %+v", snap)
		}
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), "provisional finding confirmed") {
		t.Errorf("no confirmation on stderr:\n%s", r.stderr)
	}
	rep := readReport(t, jsonPath)
	if countRule(rep, live.OrphanRule) != 1 || rep.Client.Failed() {
		t.Errorf("final report: %d orphan findings (want 1), client %+v", countRule(rep, live.OrphanRule), rep.Client)
	}
}

// TestWrapLikelyOrphanWithdrawn: the client triggers its challenge only
// after the proxy called the authorization a likely orphan; the trigger
// withdraws it and the run is clean.
func TestWrapLikelyOrphanWithdrawn(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	release, jsonPath := filepath.Join(dir, "release"), filepath.Join(dir, "acme.json")
	r := startRun(t, p, append([]string{"--orphan-after", "200ms", "--fail-on", "error",
		"--report", "json=" + jsonPath}, client("late", p.DirectoryURL, release)...)...)
	r.waitStderr(t, "likely orphaned authorization (provisional)")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), "provisional finding withdrawn") || !strings.Contains(r.stderr.String(), "reason=\"a challenge was triggered") {
		t.Errorf("no withdrawal naming the trigger on stderr:\n%s", r.stderr)
	}
	if n := countRule(readReport(t, jsonPath), live.OrphanRule); n != 0 {
		t.Errorf("final report has %d orphan findings", n)
	}
}

// TestWrapClientFails: a client exiting 3 fails the run (exit 1) and is
// named in the report, in SARIF's invocation and the text verdict.
func TestWrapClientFails(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	jsonPath, sarif := filepath.Join(dir, "acme.json"), filepath.Join(dir, "acme.sarif")
	r := startRun(t, p, append([]string{"--report", "json=" + jsonPath, "--report", "sarif=" + sarif, "--report", "text"},
		client("fail", p.DirectoryURL)...)...)
	if code := r.wait(t); code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, r.stderr)
	}
	rep := readReport(t, jsonPath)
	if rep.Client == nil || rep.Client.ExitCode != 3 || rep.Summary.ExitCode != exitFindings {
		t.Errorf("report's client %+v, exit code %d", rep.Client, rep.Summary.ExitCode)
	}
	b, _ := os.ReadFile(sarif)
	if !strings.Contains(string(b), `"executionSuccessful": false`) || !strings.Contains(string(b), "exited with status 3") {
		t.Errorf("SARIF invocation does not name the failed client:\n%.2000s", b)
	}
	if !strings.Contains(r.stdout.String(), "FAIL") || !strings.Contains(r.stdout.String(), "exited with status 3") {
		t.Errorf("text report on stdout does not name the failed client:\n%s", r.stdout)
	}
}

// TestRunExitAfterIdle: without a client, --exit-after-idle ends the run
// once no exchange came for that long, with the report written.
func TestRunExitAfterIdle(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	jsonPath := filepath.Join(t.TempDir(), "acme.json")
	r := startRun(t, p, "--exit-after-idle", "700ms", "--report", "json="+jsonPath)
	addr := waitOutput(t, r.stdout, listeningRE)
	ca, err := mitmca.Load(filepath.Join(r.dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	proxyURL, _ := url.Parse("http://" + addr)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsTrusting(ca)}}
	var last time.Time
	for range 3 {
		resp, err := c.Get(p.DirectoryURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = time.Now()
		time.Sleep(300 * time.Millisecond) // busy: no idle stop yet
	}
	if code := r.wait(t); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr)
	}
	if idle := time.Since(last); idle < 700*time.Millisecond {
		t.Errorf("stopped %v after the last exchange, before 700ms of idleness", idle)
	}
	if rep := readReport(t, jsonPath); rep.Summary.Exchanges != 3 || rep.Client != nil {
		t.Errorf("report counts %d exchanges (want 3), client %+v", rep.Summary.Exchanges, rep.Client)
	}
	if !strings.Contains(r.stderr.String(), "exit-after-idle") {
		t.Errorf("stderr does not say why it stopped:\n%s", r.stderr)
	}
}

// TestRunWrapBadInput: usage errors are exit 2 with one line naming the
// flag or the client, and nothing is recorded.
func TestRunWrapBadInput(t *testing.T) {
	tmp := t.TempDir()
	up := []string{"run", "--upstream", "https://ca.example/dir", "--ca-dir", filepath.Join(tmp, "ca"), "--listen", "127.0.0.1:0",
		"--journal", filepath.Join(tmp, "j.jsonl")}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"fail/positional-without-dash", []string{"acme-tiny"}, "after --"},
		{"fail/positional-before-dash", []string{"acme-tiny", "--", "x"}, "before --"},
		{"fail/dash-without-client", []string{"--"}, "no client command"},
		{"fail/client-not-found", []string{"--", "no-such-acme-client-xyz"}, "no-such-acme-client-xyz"},
		{"fail/bad-report-format", []string{"--report", "pdf=x.pdf"}, "--report \"pdf\""},
		{"fail/report-dir-missing", []string{"--report", "sarif=" + filepath.Join(tmp, "no", "acme.sarif")}, "--report sarif="},
		{"fail/two-reports-on-stdout", []string{"--report", "text", "--report", "json"}, "--report: only one format"},
		{"fail/bad-fail-on", []string{"--fail-on", "fatal"}, "--fail-on"},
		{"fail/negative-orphan-after", []string{"--orphan-after", "-1s"}, "--orphan-after"},
		{"fail/bad-orphan-after", []string{"--orphan-after", "soon"}, "orphan-after"},
		{"fail/negative-idle", []string{"--exit-after-idle", "-1s"}, "--exit-after-idle"},
		{"fail/missing-rules", []string{"--rules", filepath.Join(tmp, "nope.yaml")}, "nope.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, append(slicesClone(up), tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(tmp, "j.jsonl")); err == nil {
				t.Fatal("a journal was created for a run that could not start")
			}
		})
	}
}

var adminRE = regexp.MustCompile(`admin on http://(\S+)`)

// adminAddr returns the admin address the run printed.
func adminAddr(t *testing.T, r *wrapRun) string {
	t.Helper()
	m := adminRE.FindStringSubmatch(r.stderr.String() + r.stdout.String())
	if m == nil {
		t.Fatalf("no admin address printed:\n%s", r.stderr)
	}
	return m[1]
}

// getFindings reads /findings.
func getFindings(t *testing.T, addr string) live.Snapshot {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/findings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap live.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/findings: %s, %v", resp.Status, err)
	}
	return snap
}

// waitOutput waits until buf holds a match of re and returns its first
// group.
func waitOutput(t *testing.T, buf *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no match of %v within 30s:\n%s", re, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func TestNoProxyWithout(t *testing.T) {
	tests := []struct{ list, host, want string }{
		{"", "ca.example", ""},
		{"*", "ca.example", ""},
		{"localhost,127.0.0.1,ca.example", "ca.example", "localhost,127.0.0.1"},
		{"localhost, .example ,other.test", "ca.example", "localhost,other.test"},
		{"example,*.example,ca.example:443", "ca.example", ""},
		{"10.0.0.0/8,127.0.0.0/8,internal", "127.0.0.1", "10.0.0.0/8,internal"},
		{"xca.example", "ca.example", "xca.example"},
	}
	for _, tc := range tests {
		if got := noProxyWithout(tc.list, tc.host); got != tc.want {
			t.Errorf("noProxyWithout(%q, %q) = %q, want %q", tc.list, tc.host, got, tc.want)
		}
	}
}

func TestClientEnv(t *testing.T) {
	env := clientEnv([]string{"PATH=/bin", "HTTPS_PROXY=http://old", "NO_PROXY=ca.example,keep", "no_proxy=*", "SSL_CERT_FILE=/x"},
		"http://127.0.0.1:1", "/b.pem", "/ca.pem", "ca.example")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	want := map[string]string{"PATH": "/bin", "HTTPS_PROXY": "http://127.0.0.1:1", "https_proxy": "http://127.0.0.1:1",
		"HTTP_PROXY": "http://127.0.0.1:1", "http_proxy": "http://127.0.0.1:1", "NO_PROXY": "keep",
		"SSL_CERT_FILE": "/b.pem", "REQUESTS_CA_BUNDLE": "/b.pem", "CURL_CA_BUNDLE": "/b.pem",
		"LEGO_CA_CERTIFICATES": "/b.pem", "NODE_EXTRA_CA_CERTS": "/ca.pem"}
	if len(got) != len(want) {
		t.Errorf("env %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}

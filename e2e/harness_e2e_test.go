//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/acmeproxy/acmeproxy/internal/citest"
)

var record = flag.Bool("record", false, "write the recordings of the runs to examples/e2e (journal, HAR, expected findings)")

// caHost is the name the clients know Pebble by. It is not a loopback
// address on purpose: Go clients (lego) never send loopback destinations
// through HTTPS_PROXY. Nothing resolves it but the proxy's --resolve.
const caHost = "ca.acmeproxy.test"

// clientTimeout bounds one client run.
const clientTimeout = 150 * time.Second

// requireTools skips (locally) or fails (CI=true) the test when a program
// of a Debian package is missing.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			citest.Missing(t, "%s is not installed (apt-get install pebble acme-tiny certbot lego; .ci/run does): %v", tool, err)
		}
	}
}

// packageVersion is the installed version of a Debian package, for the
// examples' metadata.
func packageVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// programs that must be told their port (pebble, certbot, lego).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDNS serves DNS on UDP and TCP of one random loopback port, for
// pebble -dnsserver: every A question is answered with 127.0.0.1 (AAAA with
// nothing), except names in nxdomain, which do not exist.
func startDNS(t *testing.T, nxdomain []string) string {
	t.Helper()
	nx := map[string]bool{}
	for _, n := range nxdomain {
		nx[dns.Fqdn(strings.ToLower(n))] = true
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		for _, q := range req.Question {
			if nx[strings.ToLower(q.Name)] {
				m.Rcode = dns.RcodeNameError
				continue
			}
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		_ = w.WriteMsg(m)
	})
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			if attempt < 20 {
				continue
			}
			t.Fatalf("DNS: no port free on both UDP and TCP: %v", err)
		}
		for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go func() { _ = srv.ActivateAndServe() }()
			<-started
			t.Cleanup(func() { _ = srv.Shutdown() })
		}
		return pc.LocalAddr().String()
	}
}

// pebbleOptions configures startPebble.
type pebbleOptions struct {
	// HTTPPort is the port Pebble's VA fetches HTTP-01 resources from.
	HTTPPort int
	// NonceReject is PEBBLE_WFE_NONCEREJECT, the share of good nonces
	// refused with badNonce.
	NonceReject int
	// NXDomain are names the VA's DNS says do not exist.
	NXDomain []string
}

// pebble is a running Debian pebble.
type pebble struct {
	// Directory is https://ca.acmeproxy.test:PORT/dir.
	Directory string
	// Addr is the 127.0.0.1:PORT it listens on.
	Addr string
	// CertFile is the PEM of its TLS certificate, for --upstream-ca.
	CertFile string
	logFile  string
}

// startPebble runs the pebble binary until the test ends, with a TLS
// certificate made here (Debian ships none) for caHost, 127.0.0.1 and
// localhost, and the VA resolving names through startDNS. Its ports are
// picked free; if one was taken meanwhile, it starts again on others.
func startPebble(t *testing.T, opts pebbleOptions) *pebble {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := writeServerCert(t, dir)
	dnsAddr := startDNS(t, opts.NXDomain)
	for attempt := 1; ; attempt++ {
		p, err := tryPebble(t, opts, dir, certFile, keyFile, dnsAddr)
		if err == nil {
			return p
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("pebble: %v; again on other ports", err)
	}
}

func tryPebble(t *testing.T, opts pebbleOptions, dir, certFile, keyFile, dnsAddr string) (*pebble, error) {
	port := freePort(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", port),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       opts.HTTPPort,
		"tlsPort":                        freePort(t),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}}
	cfgFile := filepath.Join(dir, "pebble-config.json")
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		return nil, err
	}
	p := &pebble{
		Directory: fmt.Sprintf("https://%s:%d/dir", caHost, port),
		Addr:      fmt.Sprintf("127.0.0.1:%d", port),
		CertFile:  certFile,
		logFile:   filepath.Join(dir, fmt.Sprintf("pebble-%d.log", port)),
	}
	logOut, err := os.Create(p.logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("pebble", "-config", cfgFile, "-dnsserver", dnsAddr)
	// Pebble's own settings come from here only, and its VA must reach
	// the names directly, whatever proxy the machine is set up with.
	cmd.Env = append(withoutEnv(os.Environ(), "PEBBLE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"),
		"PEBBLE_VA_NOSLEEP=1",
		"PEBBLE_WFE_NONCEREJECT="+strconv.Itoa(opts.NonceReject),
		"PEBBLE_AUTHZREUSE=0",
		"PEBBLE_VA_ALWAYS_VALID=0",
	)
	cmd.Stdout, cmd.Stderr = logOut, logOut
	if err := cmd.Start(); err != nil {
		logOut.Close()
		return nil, fmt.Errorf("starting pebble: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logOut.Close(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(certPEM)
	direct := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: caHost},
	}}
	defer direct.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("pebble exited at start:\n%s", tail(p.logFile, 40))
		default:
		}
		resp, err := direct.Get("https://" + p.Addr + "/dir")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("pebble did not answer on %s: %v\n%s", p.Addr, err, tail(p.logFile, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("pebble log:\n%s", tail(p.logFile, 60))
		}
	})
	return p, nil
}

// writeServerCert writes a self-signed ECDSA certificate for caHost,
// localhost and 127.0.0.1 and its key.
func writeServerCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: caHost},
		DNSNames:     []string{caHost, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "pebble-cert.pem"), filepath.Join(dir, "pebble-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withoutEnv drops the variables whose names start with one of prefixes.
func withoutEnv(env []string, prefixes ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, p := range prefixes {
			drop = drop || strings.HasPrefix(strings.ToUpper(name), p)
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// proxyRun is `acmeproxy run` as a user starts it.
type proxyRun struct {
	// Journal is the recording.
	Journal string
	// Exports are the variables the banner tells the user to export:
	// HTTPS_PROXY, HTTP_PROXY and the trust variables.
	Exports map[string]string
	// Args is the command line, for the report.
	Args []string

	cmd     *exec.Cmd
	stdout  *bytes.Buffer
	mu      sync.Mutex
	stderr  string
	exited  chan struct{}
	stopped bool
}

// startProxy runs the acmeproxy binary in front of p, with --resolve for
// the CA's name and for each challenge host (the clients' own self-checks
// go through the proxy to NAME:80, which --resolve sends to httpAddr).
func startProxy(t *testing.T, p *pebble, httpAddr string, names []string) *proxyRun {
	t.Helper()
	dir := t.TempDir()
	_, port, _ := net.SplitHostPort(p.Addr)
	r := &proxyRun{Journal: filepath.Join(dir, "journal.jsonl"), Exports: map[string]string{}, exited: make(chan struct{})}
	r.Args = []string{"run", "--upstream", p.Directory, "--upstream-ca", p.CertFile,
		"--listen", "127.0.0.1:0", "--journal", r.Journal, "--ca-dir", filepath.Join(dir, "ca"),
		"--resolve", caHost + ":" + port + "=" + p.Addr}
	for _, n := range names {
		r.Args = append(r.Args, "--resolve", n+"="+httpAddr)
	}
	r.cmd = exec.Command(acmeproxyBin, r.Args...)
	r.cmd.Dir = dir
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	r.cmd.Stderr = &stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	banner := make(chan string, 64)
	r.stdout = &bytes.Buffer{}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.mu.Lock()
			r.stdout.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			banner <- sc.Text()
		}
		close(banner)
		_ = r.cmd.Wait()
		r.mu.Lock()
		r.stderr = stderr.String()
		r.mu.Unlock()
		close(r.exited)
	}()
	t.Cleanup(func() {
		if !r.stopped {
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	timeout := time.After(15 * time.Second)
	for r.Exports["LEGO_CA_CERTIFICATES"] == "" {
		select {
		case line, ok := <-banner:
			if !ok {
				<-r.exited
				t.Fatalf("acmeproxy run exited before its banner:\n%s%s", r.output(), r.stderr)
			}
			parseExports(line, r.Exports)
		case <-timeout:
			t.Fatalf("acmeproxy run printed no banner:\n%s", r.output())
		}
	}
	go func() {
		for range banner {
		}
	}()
	if r.Exports["HTTPS_PROXY"] == "" || r.Exports["SSL_CERT_FILE"] == "" || r.Exports["REQUESTS_CA_BUNDLE"] == "" {
		t.Fatalf("the banner lacks export lines:\n%s", r.output())
	}
	return r
}

func (r *proxyRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stdout.String()
}

// parseExports reads `export A=x B=y   # comment` into m.
func parseExports(line string, m map[string]string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
	if !ok {
		return
	}
	if i := strings.Index(rest, " #"); i >= 0 {
		rest = rest[:i]
	}
	for _, f := range strings.Fields(rest) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
}

// stop sends SIGINT, as Ctrl-C would, and requires an exit as lint's (0
// or 1, not a usage or engine error) with the summary printed.
func (r *proxyRun) stop(t *testing.T) {
	t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
		t.Fatalf("acmeproxy run did not stop on SIGINT")
	}
	// run lints the journal when it stops and exits like lint: 1 when a
	// scenario's client made findings at or above --fail-on (error).
	if code := r.cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		t.Fatalf("acmeproxy run exited %d after SIGINT:\n%s%s", code, r.output(), r.stderr)
	}
	if !strings.Contains(r.output(), " exchanges (") {
		t.Fatalf("acmeproxy run printed no summary:\n%s", r.output())
	}
}

// clientEnv is the environment a user's shell would give a client after
// pasting the banner's lines: a fresh HOME, PATH, the proxy and the one
// trust variable the client reads. Proxy exceptions of the machine are
// dropped.
func clientEnv(t *testing.T, r *proxyRun, trustVar string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "TMPDIR=" + home,
		"HTTPS_PROXY=" + r.Exports["HTTPS_PROXY"], "HTTP_PROXY=" + r.Exports["HTTP_PROXY"],
		trustVar + "=" + r.Exports[trustVar]}
	return env
}

// clientRun is one run of a client program.
type clientRun struct {
	Args   []string
	Output string
	Err    error
	Took   time.Duration
}

// runClient runs a client program in dir and returns what it printed.
func runClient(t *testing.T, dir string, env []string, name string, args ...string) *clientRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	c := &clientRun{Args: append([]string{name}, args...), Output: out.String(), Err: err, Took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish in %v:\n%s", name, clientTimeout, c.Output)
	}
	t.Logf("%s (%v, %s):\n%s", strings.Join(c.Args, " "), c.Took.Round(time.Millisecond), exitText(err), indent(c.Output))
	return c
}

func exitText(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Sprintf("exit %d", exit.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit 0"
}

// pemBlock matches a PEM block, which client logs need not show whole.
var pemBlock = regexp.MustCompile(`(?s)-----BEGIN ([A-Z ]+)-----\n.*?-----END [A-Z ]+-----`)

func indent(s string) string {
	s = pemBlock.ReplaceAllString(strings.TrimRight(s, "\n"), "[PEM $1]")
	if len(s) > 6000 {
		s = "…" + s[len(s)-6000:]
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// challengeMode is what the HTTP-01 responder serves.
type challengeMode int

const (
	// serveFiles serves the files the client wrote.
	serveFiles challengeMode = iota
	// serveFirstHostOnly serves them for the first host asked about and
	// answers 404 for every other host: the second name's file is "not
	// served", whichever name the client takes first.
	serveFirstHostOnly
	// serveWrongBody answers the challenges of one host (responder.wrongHost)
	// with a body that is not the key authorization.
	serveWrongBody
)

// wrongBody is what serveWrongBody answers.
const wrongBody = "this is not the key authorization\n"

// responder is the web server of the names being certified: the test's
// stand-in for nginx serving /.well-known/acme-challenge/ from the
// directory the client writes to. Pebble's VA fetches from it (its
// httpPort), and so do the clients' self-checks through the proxy
// (--resolve NAME=its address).
type responder struct {
	Addr string
	Port int

	dir       string
	mode      challengeMode
	wrongHost string
	mu        sync.Mutex
	host      string
	log       []string
}

// startResponder serves dir (the files of /.well-known/acme-challenge/)
// as mode says; wrongHost is the host serveWrongBody lies to.
func startResponder(t *testing.T, dir string, mode challengeMode, wrongHost string) *responder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, dir: dir, mode: mode, wrongHost: wrongHost}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	token, ok := strings.CutPrefix(req.URL.Path, "/.well-known/acme-challenge/")
	status := http.StatusNotFound
	var body []byte
	r.mu.Lock()
	if r.host == "" && ok {
		r.host = host
	}
	first := r.host == host
	r.mu.Unlock()
	switch {
	case !ok || token == "" || strings.ContainsAny(token, "/\\") || token[0] == '.':
	case r.mode == serveWrongBody && host == r.wrongHost:
		status, body = http.StatusOK, []byte(wrongBody)
	case r.mode == serveFirstHostOnly && !first:
	default:
		if b, err := os.ReadFile(filepath.Join(r.dir, token)); err == nil {
			status, body = http.StatusOK, b
		}
	}
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf("%s %s%s (%s) → %d", req.Method, req.Host, req.URL.Path, req.UserAgent(), status))
	r.mu.Unlock()
	if status != http.StatusOK {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(body)
}

// requests returns what the responder was asked, in order.
func (r *responder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// finish stops the proxy, lints the journal with the binary and checks
// that the findings at error and warning are exactly want (rule → count).
// With -record it keeps the recording under examples/e2e.
func finish(t *testing.T, r *proxyRun, name, scenario, client string, want map[string]int) *lintReport {
	t.Helper()
	r.stop(t)
	rep := lintFile(t, filepath.Dir(r.Journal), r.Journal)
	if len(rep.Inputs) != 1 || rep.Inputs[0].CA != "pebble" || rep.Inputs[0].Dialect != "v2" || rep.Inputs[0].Exchanges == 0 {
		t.Fatalf("lint inputs %+v", rep.Inputs)
	}
	t.Logf("%s: %d exchanges; findings: %s", name, rep.Inputs[0].Exchanges, formatCounts(rep.counts()))
	if got := rep.counts("error", "warning"); formatCounts(got) != formatCounts(want) {
		for _, f := range rep.Findings {
			t.Logf("  %s %s %s: %s", f.Severity, f.Rule, f.Label, f.Message)
		}
		t.Errorf("%s: findings at error and warning %s; want %s", name, formatCounts(got), formatCounts(want))
	}
	if *record && !t.Failed() {
		recordExample(t, r.Journal, name, expectFile{Scenario: scenario, Client: client, Findings: rep.counts()})
	}
	if keep := os.Getenv("ACMEPROXY_E2E_KEEP"); keep != "" && t.Failed() {
		data, err := os.ReadFile(r.Journal)
		must(t, err)
		must(t, os.MkdirAll(keep, 0o755))
		must(t, os.WriteFile(filepath.Join(keep, name+".jsonl"), data, 0o644))
		t.Logf("kept the journal as %s", filepath.Join(keep, name+".jsonl"))
	}
	return rep
}

// recordExample writes examples/e2e/NAME.jsonl, NAME.har (acmeproxy
// convert) and NAME.expect.json.
func recordExample(t *testing.T, journal, name string, exp expectFile) {
	t.Helper()
	dir := filepath.Join(repoRoot, "examples", "e2e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(dir, name+".jsonl")
	if err := os.WriteFile(jpath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(acmeproxyBin, "convert", "--force", jpath, filepath.Join(dir, name+".har")).CombinedOutput(); err != nil {
		t.Fatalf("acmeproxy convert: %v\n%s", err, out)
	}
	must(t, os.Chmod(filepath.Join(dir, name+".har"), 0o644))
	writeExpect(t, filepath.Join(dir, name+".expect.json"), exp)
	t.Logf("recorded examples/e2e/%s.{jsonl,har,expect.json}", name)
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

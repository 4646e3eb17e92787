package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// shutdownGrace bounds how long run waits for exchanges in flight after
// SIGINT/SIGTERM.
const shutdownGrace = 10 * time.Second

type runOptions struct {
	upstream, upstreamCA string
	insecure             bool
	listen, journalPath  string
	intercept, resolve   []string
	syncMode, caDir      string
	bodyCap              int64
	verbose              bool
	liveOptions
	tel telemetryOptions
}

func newRunCmd(e *env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run --upstream DIRECTORY_URL [flags] [-- CLIENT ARGS...]",
		Short: "Run the recording proxy in front of an ACME CA, linting as it records",
		Long: `run starts an HTTP proxy (HTTPS_PROXY) that intercepts the TLS connections to
the CA's hosts, records every exchange into a JSON Lines journal and passes
everything through unchanged. Connections to other hosts are tunnelled
untouched.

The rules run as exchanges are recorded: exchange findings are logged at
once; an authorization still pending with no trigger --orphan-after its
creation is logged as likely orphaned, then withdrawn at once by a trigger,
deactivation or final status, or confirmed at the end. SIGINT or SIGTERM,
or --exit-after-idle, stops it: exchanges in flight finish, the journal is
flushed and closed, linted as 'acmeproxy lint' would, the final report is
written in every --report format (text on stderr without any), and the exit
code follows --fail-on (0 clean, 1 findings, 2 usage, 3 engine).

With -- CLIENT ARGS... run wraps a client: it starts the proxy, runs the
client with HTTPS_PROXY/HTTP_PROXY pointing at it (NO_PROXY cleared of the
CA's host) and a CA bundle (the proxy's CA plus the system roots) in
SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and LEGO_CA_CERTIFICATES
(NODE_EXTRA_CA_CERTS: the proxy's CA alone), for the client alone; the
client's stdin, stdout and stderr pass through, and SIGINT/SIGTERM are
forwarded to it. When it exits, run stops, lints and reports as above. A
client that fails (non-zero exit, or killed by a signal) is named in the
report and makes the exit code 1 (3 if the lint itself is incomplete); a
client that cannot be started is exit 2.

--resolve HOST[:PORT]=ADDR:PORT (repeatable, like curl's) makes the proxy
dial ADDR:PORT for HOST (on PORT only, or on every port) instead of looking
the name up, for staging setups whose names do not resolve from the proxy's
machine: a test CA known by a name only the client's network has, or the
challenge hosts a client checks through the proxy before triggering. TLS to
the CA still verifies the certificate for HOST.`,
		Example: `  acmeproxy run --upstream https://acme-staging-v02.api.letsencrypt.org/directory
  acmeproxy run --upstream "$PEBBLE_DIRECTORY" --upstream-ca pebble.pem \
      --report sarif=acme.sarif --fail-on error -- acme-tiny --account-key a.key ...`,
		Args: func(c *cobra.Command, args []string) error {
			if c.ArgsLenAtDash() < 0 && len(args) > 0 {
				return usageErrorf("%s: unexpected argument %q (put the client command after --)", c.CommandPath(), args[0])
			}
			if c.ArgsLenAtDash() > 0 {
				return usageErrorf("%s: unexpected argument %q before -- (put the client command after --)", c.CommandPath(), args[0])
			}
			if c.ArgsLenAtDash() == 0 && len(args) == 0 {
				return usageErrorf("%s: no client command after --", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 && !c.Flags().Changed("listen") {
				o.listen = "127.0.0.1:0" // the wrapped client is told the port
			}
			return runProxy(e, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.upstream, "upstream", "", "the CA's directory URL (required)")
	f.StringVar(&o.upstreamCA, "upstream-ca", "", "PEM file of extra roots to verify the CA's TLS certificate with (added to the system roots)")
	f.BoolVar(&o.insecure, "upstream-insecure", false, "do not verify the CA's TLS certificate (recorded in the journal header)")
	f.StringVar(&o.listen, "listen", defaultListen, "address to listen on (port 0 picks a free port; with -- CLIENT the default is 127.0.0.1:0)")
	f.StringVar(&o.journalPath, "journal", "", "journal file to create (default acmeproxy-<UTC time>.jsonl); never overwritten")
	f.StringArrayVar(&o.intercept, "intercept", nil, "also intercept HOST or HOST:PORT (repeatable)")
	f.StringArrayVar(&o.resolve, "resolve", nil, "dial HOST[:PORT] at ADDR:PORT instead of resolving it, like curl --resolve (repeatable); for staging CAs and challenge hosts whose names do not resolve from this machine")
	f.StringVar(&o.syncMode, "sync", "batch", "journal durability: batch (group commit before each response), always (fsync each record) or none")
	f.StringVar(&o.caDir, "ca-dir", "", "directory of the interception CA (default: the user's config directory + /acmeproxy)")
	f.Int64Var(&o.bodyCap, "body-cap", journal.DefaultBodyCap, "body bytes recorded per message; larger bodies are forwarded whole and recorded truncated")
	f.BoolVar(&o.verbose, "verbose", false, "log proxy warnings (client disconnects, handshake failures) on stderr")
	o.liveOptions.register(cmd)
	addTelemetryFlags(f, &o.tel)
	_ = cmd.MarkFlagRequired("upstream")
	return cmd
}

// runSetup is what runProxy opens before serving.
type runSetup struct {
	cfg     proxy.Config
	ca      *mitmca.CA
	ln      net.Listener
	w       *journal.Writer
	started time.Time
}

// setupRun validates the flags and opens, in order, the CA, the listener
// and the journal. Every failure is a usage error naming what failed.
func setupRun(e *env, o *runOptions) (*runSetup, error) {
	s := &runSetup{started: time.Now()}
	if err := configFromFlags(o, &s.cfg); err != nil {
		return nil, err
	}
	mode, err := journal.ParseSync(o.syncMode)
	if err != nil {
		return nil, usageErrorf("--sync: %w", err)
	}
	if s.ca, err = loadOrCreateCA(e, o.caDir); err != nil {
		return nil, err
	}
	s.cfg.CA = s.ca
	if s.ln, err = net.Listen("tcp", o.listen); err != nil {
		return nil, usageErrorf("--listen %s: %w", o.listen, err)
	}
	if o.journalPath == "" {
		o.journalPath = "acmeproxy-" + s.started.UTC().Format("20060102T150405Z") + ".jsonl"
	}
	s.w, err = journal.Create(o.journalPath, journal.Header{
		Tool:             "acmeproxy " + version,
		Started:          s.started.UTC(),
		Upstream:         o.upstream,
		UpstreamInsecure: o.insecure,
		CAFingerprint:    s.ca.Fingerprint(),
	}, mode)
	if err != nil {
		s.ln.Close()
		return nil, usageErrorf("--journal: %w", err)
	}
	if o.insecure {
		fmt.Fprintln(e.stderr, "acmeproxy: warning: --upstream-insecure: the CA's TLS certificate is NOT verified (recorded in the journal header)")
	}
	if o.verbose {
		s.cfg.Log = e.stderr
	}
	return s, nil
}

// configFromFlags fills the proxy configuration that comes straight from
// flags: upstream, its roots, scope and body cap.
func configFromFlags(o *runOptions, cfg *proxy.Config) error {
	u, err := url.Parse(o.upstream)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageErrorf("--upstream %q: not an absolute https:// directory URL", o.upstream)
	}
	if o.bodyCap <= 0 {
		return usageErrorf("--body-cap %d: must be a positive number of bytes", o.bodyCap)
	}
	cfg.Upstream, cfg.Intercept, cfg.BodyCap = o.upstream, o.intercept, o.bodyCap
	cfg.UpstreamInsecure = o.insecure
	if cfg.UpstreamRoots, err = upstreamRoots(o.upstreamCA); err != nil {
		return err
	}
	if len(o.resolve) > 0 {
		r, err := parseResolve(o.resolve)
		if err != nil {
			return err
		}
		cfg.DialContext = r.dialer(proxy.DefaultDialTimeout)
	}
	return nil
}

// resolveMap is what --resolve maps: "host:port" for one port, "host" for
// every port of the host, to the address to dial instead. Host names are
// lower case; an IPv6 literal is bracketed in "[::1]:443" keys and bare in
// host-only ones.
type resolveMap map[string]string

// parseResolve reads --resolve values, HOST[:PORT]=ADDR:PORT each.
func parseResolve(specs []string) (resolveMap, error) {
	m := resolveMap{}
	for _, spec := range specs {
		from, to, ok := strings.Cut(spec, "=")
		bad := func(why string) error {
			return usageErrorf("--resolve %q: %s (want HOST[:PORT]=ADDR:PORT)", spec, why)
		}
		if !ok || from == "" || to == "" {
			return nil, bad("no HOST=ADDR:PORT")
		}
		addr, port, err := net.SplitHostPort(to)
		if err != nil || addr == "" || !validPort(port) {
			return nil, bad("the target is not ADDR:PORT")
		}
		key := strings.ToLower(from)
		if h, p, err := net.SplitHostPort(from); err == nil {
			if h == "" || !validPort(p) {
				return nil, bad("bad HOST:PORT")
			}
			key = net.JoinHostPort(strings.ToLower(h), p)
		} else {
			key = strings.TrimSuffix(strings.TrimPrefix(key, "["), "]")
			if strings.ContainsAny(key, "/[]") || (strings.Contains(key, ":") && net.ParseIP(key) == nil) {
				return nil, bad("bad HOST")
			}
		}
		if prev, dup := m[key]; dup && prev != to {
			return nil, bad("HOST given twice with different targets")
		}
		m[key] = to
	}
	return m, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// target is the address to dial for addr ("host:port"): the mapping of
// host:port, else of host, else addr itself.
func (m resolveMap) target(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	host = strings.ToLower(host)
	if to, ok := m[net.JoinHostPort(host, port)]; ok {
		return to
	}
	if to, ok := m[host]; ok {
		return to
	}
	return addr
}

// dialer returns a DialContext that dials through the map. TLS still
// verifies the original name: only the TCP destination changes.
func (m resolveMap) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, m.target(addr))
	}
}

// upstreamRoots returns the system roots plus the certificates in file.
func upstreamRoots(file string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if file == "" {
		return pool, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("--upstream-ca: %w", err)
	}
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if block.Type != "CERTIFICATE" || err != nil {
			continue
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, usageErrorf("--upstream-ca %s: no PEM certificates in the file", file)
	}
	return pool, nil
}

// printBanner tells where the proxy listens and how to use it; w is
// stdout, or stderr when a wrapped client owns stdout (which then gets no
// trust lines: the client has its variables already).
func printBanner(w io.Writer, o *runOptions, s *runSetup, p *proxy.Proxy, wrapping bool) {
	addr := s.ln.Addr().String()
	fmt.Fprintf(w, "acmeproxy %s listening on %s\n", version, addr)
	fmt.Fprintf(w, "upstream %s, reached directly (no upstream proxy); intercepting %v, tunnelling other hosts\n", o.upstream, p.Scope())
	fmt.Fprintf(w, "recording to %s (sync=%s)\n", s.w.Path(), o.syncMode)
	if !wrapping {
		writeTrustLines(w, s.ca.CertPath(), addr)
	}
}

func printSummary(w io.Writer, s *runSetup, st proxy.Stats) {
	fmt.Fprintf(w, "acmeproxy: %d exchanges (%d upstream errors), %s sent, %s received, %s; journal %s\n",
		st.Exchanges, st.Errors, byteCount(st.BytesIn), byteCount(st.BytesOut),
		time.Since(s.started).Round(time.Millisecond), s.w.Path())
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

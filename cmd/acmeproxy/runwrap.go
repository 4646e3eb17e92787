package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
)

// systemBundles are the usual places of the system's PEM root bundle
// (those crypto/x509 reads on Linux and the BSDs, and macOS's).
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS, the BSDs
}

// clientRun is a wrapped client process.
type clientRun struct {
	cmd  *exec.Cmd
	argv []string
	tmp  string // the CA bundle's directory
	done chan struct{}
	err  error // from Wait, once done is closed
}

// startClient runs argv (path is argv[0] looked up) with the proxy's
// variables set for it alone. Its stdin, stdout and stderr are the
// command's. A failure to start is a usage error (exit 2).
func startClient(e *env, path string, argv []string, s *runSetup, upstream string) (*clientRun, error) {
	tmp, err := os.MkdirTemp("", "acmeproxy-client-")
	if err != nil {
		return nil, &exitError{code: exitEngine, err: fmt.Errorf("writing the client's CA bundle: %w", err)}
	}
	bundle, err := writeBundle(tmp, s.ca.CertPEM, e.getenv("SSL_CERT_FILE"))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, &exitError{code: exitEngine, err: fmt.Errorf("writing the client's CA bundle: %w", err)}
	}
	host := ""
	if u, err := url.Parse(upstream); err == nil {
		host = u.Hostname()
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	// The child inherits this process's environment (the run function's
	// injected getenv cannot enumerate it), plus the proxy's variables.
	cmd.Env = clientEnv(os.Environ(), "http://"+s.ln.Addr().String(), bundle, s.ca.CertPath(), host)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.WaitDelay = shutdownGrace // a grandchild holding our pipes does not hold us
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, usageErrorf("cannot start the client %q: %w", argv[0], err)
	}
	c := &clientRun{cmd: cmd, argv: argv, tmp: tmp, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// signalFor is the signal that stopped us, to forward to the client:
// SIGINT when cause says so (signal.NotifyContext's cause), SIGTERM
// otherwise. A Ctrl-C at a terminal reaches the client directly as well
// (it shares our process group, so that it can still read the terminal);
// the forwarded copy is for signals sent to acmeproxy alone, as CI
// runners and process supervisors send them.
func signalFor(cause error) os.Signal {
	if cause != nil && cause.Error() == os.Interrupt.String()+" signal received" {
		return os.Interrupt
	}
	return syscall.SIGTERM
}

// stop ends the client: it sends sig (unless the client has exited),
// waits up to grace, then kills it.
func (c *clientRun) stop(sig os.Signal, grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(sig)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// cleanup removes the CA bundle.
func (c *clientRun) cleanup() { os.RemoveAll(c.tmp) }

// info describes how the client ended, for the report. Call it once done
// is closed.
func (c *clientRun) info() reports.Client {
	out := reports.Client{Command: c.argv}
	st := c.cmd.ProcessState
	if st == nil {
		out.ExitCode = -1
		if c.err != nil {
			out.Error = c.err.Error()
		}
		return out
	}
	out.ExitCode = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		out.Signal = ws.Signal().String()
	}
	var ee *exec.ExitError
	if c.err != nil && !errors.As(c.err, &ee) && !errors.Is(c.err, exec.ErrWaitDelay) {
		out.Error = c.err.Error()
	}
	return out
}

// clientEnv is parent with the proxy's variables: the proxy for HTTPS and
// plain HTTP (in both spellings), NO_PROXY without the entries that would
// send the CA's host around the proxy, and the CA bundle where common
// clients look for one (Node's NODE_EXTRA_CA_CERTS adds to its roots, so
// it gets the proxy's CA alone).
func clientEnv(parent []string, proxyURL, bundle, caFile, caHost string) []string {
	set := map[string]string{
		"HTTPS_PROXY": proxyURL, "https_proxy": proxyURL, "HTTP_PROXY": proxyURL, "http_proxy": proxyURL,
		"SSL_CERT_FILE": bundle, "REQUESTS_CA_BUNDLE": bundle, "CURL_CA_BUNDLE": bundle,
		"LEGO_CA_CERTIFICATES": bundle, "NODE_EXTRA_CA_CERTS": caFile,
	}
	out := make([]string, 0, len(parent)+len(set))
	for _, kv := range parent {
		k, v, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours {
			continue
		}
		if k == "NO_PROXY" || k == "no_proxy" {
			if v = noProxyWithout(v, caHost); v == "" {
				continue
			}
			kv = k + "=" + v
		}
		out = append(out, kv)
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "SSL_CERT_FILE",
		"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "LEGO_CA_CERTIFICATES", "NODE_EXTRA_CA_CERTS"} {
		out = append(out, k+"="+set[k])
	}
	return out
}

// noProxyWithout drops from a NO_PROXY list the entries that match host,
// as curl, Python and Go read them: "*", the host itself (with or without
// a port), a domain it is in ("example.com", ".example.com",
// "*.example.com") or a CIDR block holding its address.
func noProxyWithout(list, host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	var keep []string
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" || (host != "" && noProxyMatches(strings.ToLower(entry), host)) {
			continue
		}
		keep = append(keep, entry)
	}
	return strings.Join(keep, ",")
}

func noProxyMatches(entry, host string) bool {
	if entry == "*" {
		return true
	}
	if _, n, err := net.ParseCIDR(entry); err == nil {
		ip := net.ParseIP(host)
		return ip != nil && n.Contains(ip)
	}
	if h, _, err := net.SplitHostPort(entry); err == nil {
		entry = h
	}
	entry = strings.TrimPrefix(strings.TrimPrefix(strings.Trim(entry, "[]"), "*"), ".")
	return entry == host || strings.HasSuffix(host, "."+entry)
}

// writeBundle writes dir/ca-bundle.pem: the proxy's CA, then the roots the
// client would otherwise have trusted (the file the parent's
// SSL_CERT_FILE names, else the system bundle), so that hosts the proxy
// tunnels rather than intercepts still verify.
func writeBundle(dir string, caPEM []byte, parentBundle string) (string, error) {
	var roots []byte
	candidates := systemBundles
	if parentBundle != "" {
		candidates = append([]string{parentBundle}, systemBundles...)
	}
	for _, f := range candidates {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")) {
			roots = b
			break
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# acmeproxy's interception CA\n")
	buf.Write(caPEM)
	if len(roots) > 0 {
		buf.WriteString("\n# the roots the client trusted before\n")
		buf.Write(roots)
	}
	path := filepath.Join(dir, "ca-bundle.pem")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

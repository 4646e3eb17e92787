package proxy_test

import (
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// startMitmdump runs mitmproxy's mitmdump as a regular proxy that saves
// every flow to a file (-w), as acmeproxy records, verifying the upstream
// against its root.
func startMitmdump(b *testing.B, up *benchUpstream) benchTarget {
	b.Helper()
	dir := b.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, up.certPEM, 0o600); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("mitmdump", "-q", "--listen-host", "127.0.0.1", "--listen-port", strconv.Itoa(port),
		"--set", "confdir="+dir, "--set", "ssl_verify_upstream_trusted_ca="+upstreamCA,
		"-w", filepath.Join(dir, "flows"))
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	caFile := filepath.Join(dir, "mitmproxy-ca-cert.pem")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("mitmdump did not start within 30s")
		}
		pemData, err := os.ReadFile(caFile)
		if err != nil {
			continue
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue
		}
		c.Close()
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemData)
		return benchTarget{proxy: addr, roots: pool, pid: cmd.Process.Pid}
	}
}

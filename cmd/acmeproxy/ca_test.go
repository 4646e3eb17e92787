package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
)

func TestCAInitShowTrust(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	code, stdout, stderr := runCLI(t, env, "ca", "init")
	if code != exitOK || !strings.Contains(stdout, "created CA in") {
		t.Fatalf("ca init: %d %q %q", code, stdout, stderr)
	}
	dir := filepath.Join(home, ".config", "acmeproxy")
	ca, err := mitmca.Load(dir)
	if err != nil {
		t.Fatalf("the CA is not in the default directory: %v", err)
	}
	code, stdout, _ = runCLI(t, env, "ca", "init")
	if code != exitOK || !strings.Contains(stdout, "already exists") {
		t.Errorf("second ca init: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, env, "ca", "show")
	if code != exitOK || !strings.Contains(stdout, ca.FingerprintColons()) || !strings.Contains(stdout, ca.CertPath()) {
		t.Errorf("ca show: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, env, "ca", "show", "--pem")
	if code != exitOK || stdout != string(ca.CertPEM) {
		t.Errorf("ca show --pem: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, env, "ca", "trust", "--listen", "127.0.0.1:9999")
	for _, want := range []string{"HTTPS_PROXY=http://127.0.0.1:9999", "SSL_CERT_FILE=" + ca.CertPath(),
		"REQUESTS_CA_BUNDLE=", "LEGO_CA_CERTIFICATES=", "CURL_CA_BUNDLE=", "NODE_EXTRA_CA_CERTS="} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("ca trust: %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
}

func TestCAXDGConfigHome(t *testing.T) {
	xdg := t.TempDir()
	code, _, stderr := runCLI(t, map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": t.TempDir()}, "ca", "trust")
	if code != exitOK || !strings.Contains(stderr, "created a new CA") {
		t.Fatalf("ca trust on first use: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(xdg, "acmeproxy", mitmca.KeyFile)); err != nil {
		t.Fatalf("CA not created under XDG_CONFIG_HOME: %v", err)
	}
}

func TestCAInitNameConstraints(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, nil, "ca", "init", "--ca-dir", dir, "--permit", "acme.example")
	if code != exitOK {
		t.Fatalf("ca init --permit: %d %q", code, stderr)
	}
	_, stdout, _ := runCLI(t, nil, "ca", "show", "--ca-dir", dir)
	if !strings.Contains(stdout, "DNS acme.example") {
		t.Errorf("ca show lacks the constraint: %q", stdout)
	}
}

func TestCABadInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	loose := t.TempDir()
	if code, _, stderr := runCLI(t, nil, "ca", "init", "--ca-dir", loose); code != exitOK {
		t.Fatal(stderr)
	}
	if err := os.Chmod(filepath.Join(loose, mitmca.KeyFile), 0o640); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"fail/ca-dir-under-a-file", nil, []string{"ca", "init", "--ca-dir", filepath.Join(file, "ca")}, file},
		{"fail/trust-ca-dir-under-a-file", nil, []string{"ca", "trust", "--ca-dir", filepath.Join(file, "ca")}, file},
		{"fail/key-readable-by-group", nil, []string{"ca", "show", "--ca-dir", loose}, "readable by group or others"},
		{"fail/show-without-ca", nil, []string{"ca", "show", "--ca-dir", t.TempDir()}, "ca init"},
		{"fail/no-home", map[string]string{}, []string{"ca", "trust"}, "HOME"},
		{"fail/unknown-subcommand", nil, []string{"ca", "destroy"}, "destroy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line naming %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func certbotClient() string { return "certbot " + packageVersion("certbot") + " (Debian)" }

// certbotArgs are the flags every certbot run here takes: its own
// directories under the test's, no questions, and the proxied CA.
// Trust goes through REQUESTS_CA_BUNDLE, never --no-verify-ssl.
func certbotArgs(t *testing.T, directory string, names []string) []string {
	dir := t.TempDir()
	args := []string{"certonly", "--non-interactive", "--agree-tos", "-m", "e2e@example.com",
		"--server", directory,
		"--config-dir", filepath.Join(dir, "config"), "--work-dir", filepath.Join(dir, "work"), "--logs-dir", filepath.Join(dir, "logs")}
	for _, n := range names {
		args = append(args, "-d", n)
	}
	return args
}

// TestCertbotHappy: certbot --standalone answers HTTP-01 itself on the
// port Pebble's VA uses; a certificate and no finding at warning or above.
func TestCertbotHappy(t *testing.T) {
	t.Parallel()
	requireTools(t, "pebble", "certbot")
	names := []string{"example.test", "www.example.test"}
	port := freePort(t)
	p := startPebble(t, pebbleOptions{HTTPPort: port})
	px := startProxy(t, p, "", nil)
	args := append(certbotArgs(t, p.Directory, names), "--standalone",
		"--http-01-address", "127.0.0.1", "--http-01-port", itoa(port))
	c := runClient(t, t.TempDir(), clientEnv(t, px, "REQUESTS_CA_BUNDLE"), "certbot", args...)
	if c.Err != nil || !strings.Contains(c.Output, "Successfully received certificate") {
		t.Fatalf("certbot failed: %v", c.Err)
	}
	finish(t, px, "certbot-happy", "certbot certonly --standalone for two names: the happy path", certbotClient(), nil)
}

// TestCertbotChallengeFails: certbot --webroot writes the challenge files,
// but the web server answers the second name's with the wrong body; Pebble
// fails that validation and certbot stops. The failed validation with
// Pebble's reason, and no orphan: certbot triggered every challenge.
func TestCertbotChallengeFails(t *testing.T) {
	t.Parallel()
	requireTools(t, "pebble", "certbot")
	names := []string{"example.test", "www.example.test"}
	webroot := t.TempDir()
	chalDir := filepath.Join(webroot, ".well-known", "acme-challenge")
	must(t, os.MkdirAll(chalDir, 0o755))
	resp := startResponder(t, chalDir, serveWrongBody, "www.example.test")
	p := startPebble(t, pebbleOptions{HTTPPort: resp.Port})
	px := startProxy(t, p, "", nil)
	args := append(certbotArgs(t, p.Directory, names), "--webroot", "-w", webroot)
	c := runClient(t, t.TempDir(), clientEnv(t, px, "REQUESTS_CA_BUNDLE"), "certbot", args...)
	t.Logf("responder saw:\n%s", indent(strings.Join(resp.requests(), "\n")))
	if c.Err == nil {
		t.Fatalf("certbot got a certificate although www.example.test answered the wrong body")
	}
	rep := finish(t, px, "certbot-challenge-fails",
		"certbot certonly --webroot for two names; the web server answers the second name's challenge with the wrong body", certbotClient(),
		map[string]int{"validation_failed": 1})
	checkValidationFailed(t, rep, "www.example.test")
}

// checkValidationFailed checks that the validation_failed finding names the
// host and carries Pebble's reason, as the authorization's error detail
// in the recording gives it.
func checkValidationFailed(t *testing.T, rep *lintReport, host string) {
	t.Helper()
	for _, f := range rep.byRule("validation_failed") {
		t.Logf("validation_failed: %s", f.Message)
		if !strings.Contains(f.Message, host) {
			t.Errorf("validation_failed message %q does not name %s", f.Message, host)
		}
		reason := pebbleReason(rep, f.Subject)
		if reason == "" || !strings.Contains(f.Message, reason) {
			t.Errorf("validation_failed message %q lacks Pebble's reason %q", f.Message, reason)
		}
	}
}

// pebbleReason is the error detail of the authorization at url, as the
// CA's last answer about it gave it.
func pebbleReason(rep *lintReport, url string) string {
	reason := ""
	for _, x := range rep.Exchanges {
		if x.URL != url || x.Response == nil {
			continue
		}
		var body struct {
			Challenges []struct {
				Error *struct {
					Detail string `json:"detail"`
				} `json:"error"`
			} `json:"challenges"`
		}
		if jsonUnmarshal(x.Response.Body.Text, &body) != nil {
			continue
		}
		for _, c := range body.Challenges {
			if c.Error != nil && c.Error.Detail != "" {
				reason = c.Error.Detail
			}
		}
	}
	return reason
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tinyRun is one acme-tiny run through the proxy.
type tinyRun struct {
	proxy     *proxyRun
	responder *responder
	client    *clientRun
}

// tinyOptions configures runAcmeTiny.
type tinyOptions struct {
	names       []string
	mode        challengeMode
	nonceReject int
	// csrWithAccountKey makes the CSR with the account key.
	csrWithAccountKey bool
}

// runAcmeTiny makes the keys and the CSR with openssl as acme-tiny's README
// says, then runs
//
//	acme-tiny --account-key account.key --csr domain.csr --acme-dir challenges/ --directory-url DIR
//
// with HTTPS_PROXY, HTTP_PROXY and SSL_CERT_FILE from the proxy's banner.
// Its self-check fetches http://NAME/.well-known/acme-challenge/TOKEN
// through HTTP_PROXY; the proxy's --resolve sends it to the responder,
// which serves challenges/ as the site's web server would.
func runAcmeTiny(t *testing.T, o tinyOptions) *tinyRun {
	t.Helper()
	requireTools(t, "pebble", "acme-tiny", "openssl")
	work := t.TempDir()
	acmeDir := filepath.Join(work, "challenges")
	must(t, os.Mkdir(acmeDir, 0o755))
	openssl(t, work, "genrsa", "-out", "account.key", "2048")
	csrKey := "domain.key"
	if o.csrWithAccountKey {
		csrKey = "account.key"
	} else {
		openssl(t, work, "genrsa", "-out", "domain.key", "2048")
	}
	san := "subjectAltName=DNS:" + strings.Join(o.names, ",DNS:")
	openssl(t, work, "req", "-new", "-sha256", "-key", csrKey, "-subj", "/", "-addext", san, "-out", "domain.csr")

	resp := startResponder(t, acmeDir, o.mode, "")
	p := startPebble(t, pebbleOptions{HTTPPort: resp.Port, NonceReject: o.nonceReject})
	px := startProxy(t, p, resp.Addr, o.names)
	env := clientEnv(t, px, "SSL_CERT_FILE")
	c := runClient(t, work, env, "acme-tiny", "--account-key", "account.key", "--csr", "domain.csr",
		"--acme-dir", acmeDir, "--directory-url", p.Directory)
	t.Logf("responder saw:\n%s", indent(strings.Join(resp.requests(), "\n")))
	return &tinyRun{proxy: px, responder: resp, client: c}
}

func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func tinyClient() string { return "acme-tiny " + packageVersion("acme-tiny") + " (Debian)" }

// TestAcmeTinyHappy: two names, both served; a certificate, and no finding
// at warning or above.
func TestAcmeTinyHappy(t *testing.T) {
	t.Parallel()
	r := runAcmeTiny(t, tinyOptions{names: []string{"example.test", "www.example.test"}})
	if r.client.Err != nil || !strings.Contains(r.client.Output, "Certificate signed!") {
		t.Fatalf("acme-tiny failed: %v", r.client.Err)
	}
	finish(t, r.proxy, "acme-tiny-happy", "acme-tiny for two names whose challenge files are served: the happy path", tinyClient(), nil)
}

// TestAcmeTinySelfCheckFails: the second name's challenge file is not
// served, acme-tiny's own check fails and it stops before triggering: the
// orphaned pending authorization, with its remediation and the failed
// self-check as evidence.
func TestAcmeTinySelfCheckFails(t *testing.T) {
	t.Parallel()
	r := runAcmeTiny(t, tinyOptions{names: []string{"example.test", "www.example.test"}, mode: serveFirstHostOnly})
	if r.client.Err == nil || !strings.Contains(r.client.Output, "couldn't download") {
		t.Fatalf("acme-tiny did not fail its self-check")
	}
	rep := finish(t, r.proxy, "acme-tiny-self-check-fails",
		"acme-tiny for two names; the second name's challenge file is not served, acme-tiny's self-check fails and it stops", tinyClient(),
		map[string]int{"orphaned_pending_authorization": 1})
	checkOrphan(t, rep)
}

// checkOrphan checks the orphan finding: its remediation, and the failed
// self-check (a plain GET of the challenge file, answered 404) among its
// evidence.
func checkOrphan(t *testing.T, rep *lintReport) {
	t.Helper()
	orphans := rep.byRule("orphaned_pending_authorization")
	if len(orphans) != 1 {
		return
	}
	o := orphans[0]
	if !strings.Contains(o.Remediation, "deactivate") {
		t.Errorf("orphan remediation %q does not say to deactivate", o.Remediation)
	}
	selfCheck := false
	for _, e := range o.Evidence {
		if e.Method == "GET" && strings.HasPrefix(e.URL, "http://") && strings.Contains(e.URL, "/.well-known/acme-challenge/") && e.Status == 404 {
			selfCheck = true
		}
	}
	if !selfCheck {
		t.Errorf("orphan evidence %+v lacks the failed self-check", o.Evidence)
	}
	t.Logf("orphan: %s\n  remediation: %s", o.Message, o.Remediation)
}

// TestAcmeTinyCSRAccountKey: the CSR is made with the account key; acme-tiny
// validates both names and finalizes, and Pebble refuses the CSR.
func TestAcmeTinyCSRAccountKey(t *testing.T) {
	t.Parallel()
	r := runAcmeTiny(t, tinyOptions{names: []string{"example.test", "www.example.test"}, csrWithAccountKey: true})
	if r.client.Err == nil {
		t.Fatalf("acme-tiny got a certificate for a CSR signed with the account key")
	}
	rep := finish(t, r.proxy, "acme-tiny-csr-account-key",
		"acme-tiny with a CSR made with the account key: Pebble refuses the finalize", tinyClient(),
		map[string]int{"csr_key_is_account_key": 1})
	checkCSRRefused(t, rep)
}

// checkCSRRefused checks that the finalize was refused by the CA with
// badCSR, and that the finding cites it.
func checkCSRRefused(t *testing.T, rep *lintReport) {
	t.Helper()
	refused := false
	for _, x := range rep.Exchanges {
		if x.Operation == "order.finalize" && x.Status == 400 && x.Response != nil && strings.Contains(x.Response.Body.Text, "badCSR") {
			refused = true
			t.Logf("the CA's answer to the finalize: %s", x.Response.Body.Text)
		}
	}
	if !refused {
		t.Errorf("no finalize refused with badCSR in the recording")
	}
	for _, f := range rep.byRule("csr_key_is_account_key") {
		t.Logf("finding: %s", f.Message)
	}
}

// TestAcmeTinyBadNonce: Pebble refuses a share of good nonces; acme-tiny
// retries each badNonce with a fresh nonce, and the lint takes that as
// healthy: neither a retry storm nor a nonce given up on.
func TestAcmeTinyBadNonce(t *testing.T) {
	t.Parallel()
	px, st := untilBadNonce(t, func() *proxyRun {
		r := runAcmeTiny(t, tinyOptions{names: []string{"example.test", "www.example.test"}, nonceReject: badNonceReject})
		if r.client.Err != nil || !strings.Contains(r.client.Output, "Certificate signed!") {
			t.Fatalf("acme-tiny failed: %v", r.client.Err)
		}
		return r.proxy
	})
	finish(t, px, "acme-tiny-bad-nonce",
		"acme-tiny with Pebble refusing 30 % of good nonces (PEBBLE_WFE_NONCEREJECT=30): each badNonce retried with a fresh nonce", tinyClient(), nil)
	checkRetried(t, px, st)
}

// badNonceReject is PEBBLE_WFE_NONCEREJECT for the badNonce scenarios: a
// run of 15 or more signed requests meets a badNonce almost surely.
const badNonceReject = 30

// maxHealthyStreak is bad_nonce_retry_storm's max_streak: more badNonce
// answers in a row to one request than this is what the rule calls a storm.
const maxHealthyStreak = 5

// untilBadNonce runs a client (run returns its proxy) until its recording
// holds a badNonce answer and no streak of refusals longer than a healthy
// retry: at 30 %, six refusals in a row of one request have a chance of
// 0.07 % each, a few tenths of a percent per run; that run is a storm by
// the dice, which the rule is right to report, and proves nothing about
// healthy retries. Three attempts at most.
func untilBadNonce(t *testing.T, run func() *proxyRun) (*proxyRun, nonceStats) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		px := run()
		px.stop(t)
		st := badNonceStats(t, px.Journal)
		if st.answers > 0 && st.maxStreak <= maxHealthyStreak {
			return px, st
		}
		if attempt == 3 {
			t.Fatalf("three runs at PEBBLE_WFE_NONCEREJECT=%d without a badNonce or with a storm: last %+v", badNonceReject, st)
		}
		t.Logf("attempt %d: %d badNonce answers, longest streak %d; again", attempt, st.answers, st.maxStreak)
	}
}

// nonceStats is what badNonceStats counts.
type nonceStats struct {
	answers   int // badNonce answers
	retried   int // of which the client sent the same request again next
	maxStreak int // longest run of badNonce answers to one request
}

// badNonceStats reads the recording with `acmeproxy decode --json`, on its
// own (not through the ledger the rules use): the badNonce answers, how
// many of them the client retried (it sent a signed request to the same URL
// later), and the longest run of refusals of one request (badNonce answers
// to one URL with no other answer to it between). Per URL, because clients
// such as lego fetch authorizations concurrently.
func badNonceStats(t *testing.T, journal string) nonceStats {
	t.Helper()
	out, err := exec.Command(acmeproxyBin, "decode", "--json", journal).Output()
	if err != nil {
		t.Fatalf("acmeproxy decode --json: %v", err)
	}
	var st nonceStats
	streak := map[string]int{}   // URL → badNonce answers in a row
	awaiting := map[string]int{} // URL → badNonce answers not yet retried
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m struct {
			URL string          `json:"url"`
			JWS json.RawMessage `json:"jws"`
			Res *struct {
				Problem *struct {
					Type string `json:"type"`
				} `json:"problem"`
			} `json:"response"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("decode --json line %q: %v", line, err)
		}
		if len(m.JWS) == 0 {
			continue // nonce fetches, the directory, self-checks
		}
		st.retried += awaiting[m.URL]
		awaiting[m.URL] = 0
		if m.Res != nil && m.Res.Problem != nil && strings.HasSuffix(m.Res.Problem.Type, ":badNonce") {
			st.answers++
			awaiting[m.URL]++
			streak[m.URL]++
			st.maxStreak = max(st.maxStreak, streak[m.URL])
		} else {
			streak[m.URL] = 0
		}
	}
	return st
}

// checkRetried requires every badNonce answer to have been retried.
func checkRetried(t *testing.T, px *proxyRun, st nonceStats) {
	t.Helper()
	if st.retried != st.answers {
		out, _ := exec.Command(acmeproxyBin, "decode", px.Journal).CombinedOutput()
		t.Errorf("%d badNonce answers, %d retried:\n%s", st.answers, st.retried, out)
	}
	t.Logf("%d badNonce answers, each retried; longest streak %d", st.answers, st.maxStreak)
}

package proxy_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// transparentHeaders are the headers ACME depends on; each must reach the
// client exactly as upstream sent it.
var transparentHeaders = []string{"Replay-Nonce", "Location", "Link", "Retry-After", "Content-Type", "Content-Length"}

// TestIssuanceThroughProxy runs a whole RFC 8555 issuance with
// golang.org/x/crypto/acme against in-process Pebble through the proxy and
// checks that the journal holds exactly what the client received.
func TestIssuanceThroughProxy(t *testing.T) {
	t.Parallel()
	pebble := pebbletest.Start(t, pebbletest.Options{})
	h := startProxy(t, proxy.Config{Upstream: pebble.DirectoryURL, UpstreamRoots: pebble.Roots})
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "not the CA")
	}))
	t.Cleanup(other.Close)
	httpClient, obs := h.client(other.Certificate())
	ctx := issuanceContext(t)

	client := &acme.Client{Key: newKey(t), DirectoryURL: pebble.DirectoryURL, HTTPClient: httpClient}
	chain, _, err := pebble.Issue(ctx, client, "proxied.example")
	if err != nil {
		t.Fatalf("issuing through the proxy: %v", err)
	}
	if len(chain) < 2 {
		t.Fatalf("chain has %d certificates, want leaf and issuer", len(chain))
	}
	dir, err := client.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNonce(t, httpClient, http.MethodHead, dir.NonceURL, http.StatusOK)
	checkNonce(t, httpClient, http.MethodGet, dir.NonceURL, http.StatusNoContent)

	stranger := &acme.Client{Key: newKey(t), DirectoryURL: pebble.DirectoryURL, HTTPClient: httpClient}
	if _, err := stranger.GetReg(ctx, ""); err == nil {
		t.Fatal("GetReg for an unknown account key succeeded; want an ACME problem")
	}
	checkPlainHTTP(t, httpClient, pebble)
	checkTunnel(t, httpClient, other, h)

	var viaCA []seen
	for _, s := range obs.all() {
		if !strings.HasPrefix(s.URL, other.URL) {
			viaCA = append(viaCA, s)
		}
	}
	recs := h.exchanges()
	compareJournal(t, viaCA, recs)
	checkShapes(t, recs)
}

func checkNonce(t *testing.T, c *http.Client, method, nonceURL string, want int) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, nonceURL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s newNonce: %v", method, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want || len(body) != 0 || resp.Header.Get("Replay-Nonce") == "" {
		t.Errorf("%s newNonce: status %d (want %d), %d body bytes, Replay-Nonce %q",
			method, resp.StatusCode, want, len(body), resp.Header.Get("Replay-Nonce"))
	}
}

// checkPlainHTTP fetches a challenge response over plain HTTP through the
// proxy, as a client's self-check does.
func checkPlainHTTP(t *testing.T, c *http.Client, pebble *pebbletest.Server) {
	t.Helper()
	pebble.Challenges.Set("selfcheck", "selfcheck.thumbprint")
	resp, err := c.Get(pebble.Challenges.URL() + pebbletest.ChallengePrefix + "selfcheck")
	if err != nil {
		t.Fatalf("plain-HTTP challenge fetch: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "selfcheck.thumbprint" {
		t.Fatalf("plain-HTTP challenge fetch: %d %q", resp.StatusCode, body)
	}
}

// checkTunnel fetches from a host outside the CA's scope: the client must
// see that server's own certificate.
func checkTunnel(t *testing.T, c *http.Client, other *httptest.Server, h *harness) {
	t.Helper()
	resp, err := c.Get(other.URL)
	if err != nil {
		t.Fatalf("tunnelled GET: %v", err)
	}
	resp.Body.Close()
	if h.p.Intercepts(other.Listener.Addr().String()) {
		t.Fatalf("%s is in scope; the test needs a host outside it", other.URL)
	}
	peer := resp.TLS.PeerCertificates[0]
	if !bytes.Equal(peer.Raw, other.Certificate().Raw) {
		t.Fatalf("tunnelled host presented %q, not its own certificate", peer.Subject)
	}
}

// compareJournal checks that the journal holds one exchange per response
// the client received, in order, byte-identical.
func compareJournal(t *testing.T, got []seen, recs []*journal.Exchange) {
	t.Helper()
	if len(recs) != len(got) {
		t.Fatalf("journal has %d exchanges, client received %d responses", len(recs), len(got))
	}
	for i, s := range got {
		e := recs[i]
		if e.Request.Method != s.Method || e.Request.URL != s.URL || e.Response == nil || e.Response.Status != s.Status {
			t.Fatalf("exchange %d: journal %s %s -> %v, client %s %s -> %d", e.Seq, e.Request.Method, e.Request.URL, e.Response, s.Method, s.URL, s.Status)
		}
		b := e.Response.Body
		if !bytes.Equal(b.Data, s.Body) || b.SHA256 != s.sha() || b.Size != int64(len(s.Body)) || b.Truncated {
			t.Errorf("exchange %d (%s %s): journal body %d bytes sha %s, client %d bytes sha %s",
				e.Seq, s.Method, s.URL, b.Size, b.SHA256, len(s.Body), s.sha())
		}
		compareHeaders(t, s, e)
	}
}

// compareHeaders checks that the headers ACME depends on reached the
// client as the journal recorded them from upstream.
func compareHeaders(t *testing.T, s seen, e *journal.Exchange) {
	t.Helper()
	for _, name := range transparentHeaders {
		want := strings.Join(s.Header.Values(name), "\n")
		if got := strings.Join(e.Response.Headers.Values(name), "\n"); got != want {
			t.Errorf("exchange %d (%s %s): %s journal %q, client %q", e.Seq, s.Method, s.URL, name, got, want)
		}
	}
}

// checkShapes looks for the response shapes the issue names: 201 with
// Location, problem+json, a PEM chain, a plain-HTTP challenge fetch,
// connection ids.
func checkShapes(t *testing.T, recs []*journal.Exchange) {
	t.Helper()
	var created, problems, pem, plain int
	for _, e := range recs {
		if e.Conn == 0 {
			t.Errorf("exchange %d has no connection id", e.Seq)
		}
		r := e.Response
		mt, _, _ := mime.ParseMediaType(r.Headers.Get("Content-Type"))
		switch {
		case r.Status == http.StatusCreated && r.Headers.Get("Location") != "":
			created++
		case mt == "application/problem+json":
			problems++
		case mt == "application/pem-certificate-chain":
			pem++
		}
		if e.Mode == proxy.ModeHTTP && strings.Contains(e.Request.URL, pebbletest.ChallengePrefix) {
			plain++
		} else if e.Mode != proxy.ModeMITM {
			t.Errorf("exchange %d: mode %q, want %q", e.Seq, e.Mode, proxy.ModeMITM)
		}
	}
	if created < 2 || problems < 1 || pem != 1 || plain != 1 {
		t.Errorf("shapes: %d 201+Location (want ≥2), %d problem+json (want ≥1), %d PEM chains (want 1), %d plain-HTTP (want 1)",
			created, problems, pem, plain)
	}
}

// TestUpstreamDown: a refused upstream gives the client a 502 problem that
// names the cause, and the journal an exchange with the error.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + ln.Addr().String() + "/dir"
	ln.Close()
	h := startProxy(t, proxy.Config{Upstream: dead})
	c, _ := h.client()
	resp, err := c.Get(dead)
	if err != nil {
		t.Fatalf("GET through the proxy: %v (want a 502 response, not a dropped connection)", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var prob struct{ Type, Detail, Cause string }
	if err := json.Unmarshal(body, &prob); err != nil {
		t.Fatalf("502 body is not JSON: %q", body)
	}
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Content-Type") != "application/problem+json" ||
		prob.Type != proxy.ProblemUpstream || prob.Cause != "connection refused" ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("got %d %s %+v", resp.StatusCode, resp.Header.Get("Content-Type"), prob)
	}
	recs := h.exchanges()
	if len(recs) != 1 || recs[0].Response != nil || !strings.Contains(recs[0].Error, "connection refused") {
		t.Fatalf("journal: %+v", recs)
	}
}

// TestLearnsHostsFromDirectory: after the directory is fetched, a host it
// names is intercepted too.
func TestLearnsHostsFromDirectory(t *testing.T) {
	t.Parallel()
	var dirURL string
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Link", `<https://issuer.example:8443/roots>;rel="up"`)
		_, _ = io.WriteString(w, `{"newNonce":"https://nonce.example/nonce","newAccount":"`+dirURL+`/acct","meta":{"website":"https://www.example/"}}`)
	}))
	t.Cleanup(upstream.Close)
	dirURL = upstream.URL + "/dir"
	roots := upstream.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	h := startProxy(t, proxy.Config{Upstream: dirURL, UpstreamRoots: roots, Intercept: []string{"extra.example"}})
	c, _ := h.client(upstream.Certificate())
	if h.p.Intercepts("nonce.example:443") {
		t.Fatal("nonce.example in scope before the directory was fetched")
	}
	resp, err := c.Get(dirURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for target, want := range map[string]bool{
		"nonce.example:443": true, "issuer.example:8443": true, "extra.example:1234": true,
		"www.example:443": false, "issuer.example:443": false,
	} {
		if got := h.p.Intercepts(target); got != want {
			t.Errorf("Intercepts(%s) = %v, want %v", target, got, want)
		}
	}
}

// TestNotAProxyRequest: a request sent to the proxy as if it were the CA
// gets a problem explaining how to use it.
func TestNotAProxyRequest(t *testing.T) {
	t.Parallel()
	h := startProxy(t, proxy.Config{})
	resp, err := http.Get("http://" + h.addr + "/dir")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS_PROXY") {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

package legacyca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

// The tests drive the CA over real TLS with hand-built JWS (go-jose), and
// let it validate http-01 against a real loopback HTTP server.

// clock is an injectable, advanceable clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// challengeServer serves key authorizations at
// /.well-known/acme-challenge/<token>, per Host, on a random loopback port.
// Its dial method, set as Config.DialContext, sends every name there.
type challengeServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string]string // host "/" token → body
}

func newChallengeServer(t *testing.T) *challengeServer {
	t.Helper()
	cs := &challengeServer{files: make(map[string]string)}
	cs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		token, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
		cs.mu.Lock()
		body, found := cs.files[host+"/"+token]
		cs.mu.Unlock()
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *challengeServer) publish(host, token, body string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.files[host+"/"+token] = body
}

func (cs *challengeServer) port() int {
	return cs.srv.Listener.Addr().(*net.TCPAddr).Port
}

func (cs *challengeServer) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, cs.srv.Listener.Addr().String())
}

// harness is one CA behind an httptest TLS server.
type harness struct {
	t     *testing.T
	ca    *legacyca.CA
	srv   *httptest.Server
	clock *clock
	chal  *challengeServer
}

// start is the instant every harness clock starts at.
var start = time.Date(2018, 3, 1, 12, 0, 0, 0, time.UTC)

// newHarness starts a CA configured for tests, then adjusted by mutate.
func newHarness(t *testing.T, mutate func(*legacyca.Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: start}, chal: newChallengeServer(t)}
	cfg := legacyca.Config{
		Now:               h.clock.Now,
		HTTPPort:          h.chal.port(),
		DialContext:       h.chal.dial,
		ValidationTimeout: 5 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	ca, err := legacyca.New(cfg)
	if err != nil {
		t.Fatalf("legacyca.New: %v", err)
	}
	h.ca = ca
	h.srv = httptest.NewTLSServer(ca.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		_ = ca.Close()
	})
	return h
}

func (h *harness) url(path string) string { return h.srv.URL + path }

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem document, failing the test if it is not one.
func (r *response) problem(t *testing.T) (typ, detail string) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decoding problem %s: %v", r.body, err)
	}
	if p.Status != r.status {
		t.Errorf("problem status %d != HTTP status %d", p.Status, r.status)
	}
	return p.Type, p.Detail
}

// wantProblem checks status, type and that detail contains want.
func (r *response) wantProblem(t *testing.T, status int, typ, want string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	gotType, detail := r.problem(t)
	if gotType != typ || !strings.Contains(detail, want) {
		t.Fatalf("problem = %s %q, want %s containing %q", gotType, detail, typ, want)
	}
}

// json decodes the body into v.
func (r *response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (h *harness) do(req *http.Request) *response {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("reading %s: %v", req.URL, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}
}

func (h *harness) get(url string) *response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

func (h *harness) postBody(url string, body []byte) *response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

// nonce harvests a nonce the acme-tiny way: HEAD /directory.
func (h *harness) nonce() string {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodHead, h.url("/directory"), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	n := h.do(req).header.Get("Replay-Nonce")
	if n == "" {
		h.t.Fatal("HEAD /directory: no Replay-Nonce")
	}
	return n
}

// sign builds a flattened JWS over payload with the key embedded as jwk
// and extra protected headers.
func sign(t *testing.T, key crypto.Signer, payload any, headers map[string]any) []byte {
	t.Helper()
	raw, ok := payload.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	opts := &jose.SignerOptions{EmbedJWK: true}
	for k, v := range headers {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: algFor(key), Key: key}, opts)
	if err != nil {
		t.Fatalf("jose.NewSigner: %v", err)
	}
	jws, err := signer.Sign(raw)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return []byte(jws.FullSerialize())
}

func algFor(key crypto.Signer) jose.SignatureAlgorithm {
	if k, ok := key.Public().(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P384():
			return jose.ES384
		case elliptic.P521():
			return jose.ES512
		}
		return jose.ES256
	}
	return jose.RS256
}

// post signs payload with key and a fresh nonce and POSTs it.
func (h *harness) post(key crypto.Signer, url string, payload any) *response {
	h.t.Helper()
	return h.postBody(url, sign(h.t, key, payload, map[string]any{"nonce": h.nonce()}))
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// account is a registered key.
type account struct {
	h   *harness
	key *ecdsa.PrivateKey
	url string
}

// register creates an account, agreeing to the terms when agree is set.
func (h *harness) register(agree bool) *account {
	h.t.Helper()
	a := &account{h: h, key: newKey(h.t)}
	payload := map[string]any{"resource": "new-reg", "contact": []string{"mailto:admin@example.test"}}
	if agree {
		payload["agreement"] = legacyca.DefaultTermsOfService
	}
	resp := h.post(a.key, h.url("/acme/new-reg"), payload)
	if resp.status != http.StatusCreated {
		h.t.Fatalf("new-reg: %d %s", resp.status, resp.body)
	}
	a.url = resp.header.Get("Location")
	return a
}

func (a *account) post(url string, payload any) *response {
	a.h.t.Helper()
	return a.h.post(a.key, url, payload)
}

// newAuthz asks for an authorization of name.
func (a *account) newAuthz(name string) *response {
	a.h.t.Helper()
	return a.post(a.h.url("/acme/new-authz"), map[string]any{
		"resource":   "new-authz",
		"identifier": map[string]string{"type": "dns", "value": name},
	})
}

// authzBody is the wire authorization as a client decodes it.
type authzBody struct {
	Identifier struct{ Type, Value string } `json:"identifier"`
	Status     string                       `json:"status"`
	Expires    time.Time                    `json:"expires"`
	Challenges []challengeBody              `json:"challenges"`
	Combos     [][]int                      `json:"combinations"`
}

type challengeBody struct {
	Type             string     `json:"type"`
	Status           string     `json:"status"`
	URI              string     `json:"uri"`
	Token            string     `json:"token"`
	KeyAuthorization string     `json:"keyAuthorization"`
	Validated        *time.Time `json:"validated"`
	Error            *struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
	} `json:"error"`
	ValidationRecord []struct {
		URL         string `json:"url"`
		Hostname    string `json:"hostname"`
		Port        string `json:"port"`
		AddressUsed string `json:"addressUsed"`
	} `json:"validationRecord"`
}

// challenge returns the challenge of type typ.
func (z *authzBody) challenge(t *testing.T, typ string) challengeBody {
	t.Helper()
	for _, c := range z.Challenges {
		if c.Type == typ {
			return c
		}
	}
	t.Fatalf("no %s challenge in %+v", typ, z)
	return challengeBody{}
}

// keyAuth is token "." thumbprint of the account key.
func (a *account) keyAuth(token string) string {
	a.h.t.Helper()
	jwk := jose.JSONWebKey{Key: a.key.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		a.h.t.Fatal(err)
	}
	return token + "." + base64.RawURLEncoding.EncodeToString(tp)
}

// authorize creates an authorization for name, answers its http-01
// challenge and waits until it is no longer pending. It returns the
// authorization URL and its final body.
func (a *account) authorize(name string, publish bool) (string, authzBody) {
	a.h.t.Helper()
	resp := a.newAuthz(name)
	if resp.status != http.StatusCreated {
		a.h.t.Fatalf("new-authz %s: %d %s", name, resp.status, resp.body)
	}
	var z authzBody
	resp.json(a.h.t, &z)
	url := resp.header.Get("Location")
	if z.Status == "valid" {
		return url, z
	}
	ch := z.challenge(a.h.t, "http-01")
	if publish {
		a.h.chal.publish(name, ch.Token, a.keyAuth(ch.Token))
	}
	trig := a.post(ch.URI, map[string]any{"resource": "challenge", "type": "http-01", "keyAuthorization": a.keyAuth(ch.Token)})
	if trig.status != http.StatusAccepted {
		a.h.t.Fatalf("challenge POST: %d %s", trig.status, trig.body)
	}
	return url, a.h.waitAuthz(url)
}

// waitAuthz polls an authorization until it leaves pending.
func (h *harness) waitAuthz(url string) authzBody {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := h.get(url)
		if resp.status != http.StatusOK {
			h.t.Fatalf("GET %s: %d %s", url, resp.status, resp.body)
		}
		var z authzBody
		resp.json(h.t, &z)
		if z.Status != "pending" {
			return z
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("authorization %s still pending after 10s", url)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

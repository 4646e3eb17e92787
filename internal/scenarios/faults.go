package scenarios

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
)

// raw is a hand-rolled ACME client that builds every request itself, so
// that a scenario can break exactly one thing in an otherwise correct
// request: a real account, real nonces, real URLs, one fault. It talks to
// the CA through the recording proxy (World.Client). It speaks RFC 8555
// by default and the v1 (Boulder) dialect when v1 is set.
type raw struct {
	hc  *http.Client
	key crypto.Signer
	v1  bool
	// dirURL is the directory; dir maps its resource names to URLs.
	dirURL string
	dir    map[string]string
	// kid is the account URL once registered.
	kid string
	// nonce is the last Replay-Nonce received and not yet used.
	nonce string
	ua    string
}

func newRaw(w *World, key crypto.Signer) *raw {
	if key == nil {
		key = ecKey()
	}
	return &raw{hc: w.Client(), key: key, dirURL: w.Directory, ua: "acmeproxy-scenarios raw-jws"}
}

// reply is an answer from the CA (or from the proxy, when the CA is gone).
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	// Problem is the problem document, when the answer is one.
	Problem struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
	}
}

// problem returns the problem type's last segment ("badNonce"), or "".
func (r *reply) problem() string {
	if r.Problem.Type == "" {
		return ""
	}
	return r.Problem.Type[strings.LastIndexByte(r.Problem.Type, ':')+1:]
}

// want checks the answer's status and problem type (any problem when
// problem is "", none when it is "-").
func (r *reply) want(what string, status int, problem string) error {
	ok := r.Status == status
	switch problem {
	case "":
	case "-":
		ok = ok && r.Problem.Type == ""
	default:
		ok = ok && r.problem() == problem
	}
	if !ok {
		return fmt.Errorf("%s: got %d %s %q, want %d %s", what, r.Status, r.problem(), r.Problem.Detail, status, problem)
	}
	return nil
}

// fault is what to break in one request; the zero value breaks nothing.
type fault struct {
	alg     string                             // "alg" to send instead of the key's
	sign    func(input []byte) ([]byte, error) // the signature, instead of the key's
	flipSig bool                               // flip a bit of the signature
	noNonce bool                               // no "nonce"
	nonce   string                             // this "nonce" instead of a fresh one
	noURL   bool                               // no "url"
	url     string                             // this "url" instead of the request URL
	key     string                             // "jwk", "kid" or "both" instead of what the request needs
	header  map[string]string                  // an unprotected "header" member
	padded  bool                               // the payload in base64url with '=' padding
	form    string                             // "general" or "compact" serialization instead of flattened
	ctype   string                             // Content-Type instead of application/jose+json
	extra   http.Header                        // more request header fields
	noUA    bool                               // no User-Agent
}

// discover fetches the directory.
func (c *raw) discover(ctx context.Context) error {
	r, err := c.do(ctx, http.MethodGet, c.dirURL, nil, fault{})
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("directory: %d", r.Status)
	}
	var d map[string]any
	if err := json.Unmarshal(r.Body, &d); err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	c.dir = map[string]string{}
	for k, v := range d {
		if s, ok := v.(string); ok {
			c.dir[k] = s
		}
	}
	return nil
}

// freshNonce returns the last Replay-Nonce received, or fetches one (v2
// HEAD newNonce; v1 GET directory, as acme-tiny did).
func (c *raw) freshNonce(ctx context.Context) (string, error) {
	if n := c.nonce; n != "" {
		c.nonce = ""
		return n, nil
	}
	method, u := http.MethodHead, c.dir["newNonce"]
	if c.v1 {
		method, u = http.MethodGet, c.dirURL
	}
	r, err := c.do(ctx, method, u, nil, fault{})
	if err != nil {
		return "", err
	}
	n := r.Header.Get("Replay-Nonce")
	if n == "" {
		return "", fmt.Errorf("%s %s: status %d without a Replay-Nonce", method, u, r.Status)
	}
	c.nonce = ""
	return n, nil
}

// do sends one HTTP request and reads the answer, keeping its Replay-Nonce.
func (c *raw) do(ctx context.Context, method, u string, body []byte, f fault) (*reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		ct := "application/jose+json"
		if f.ctype != "" {
			ct = f.ctype
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", c.ua)
	if f.noUA {
		req.Header["User-Agent"] = []string{""} // net/http then sends none
	}
	for k, vs := range f.extra {
		req.Header[k] = vs
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	r := &reply{Status: res.StatusCode, Header: res.Header}
	if r.Body, err = io.ReadAll(res.Body); err != nil {
		return nil, err
	}
	if n := res.Header.Get("Replay-Nonce"); n != "" {
		c.nonce = n
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		_ = json.Unmarshal(r.Body, &r.Problem)
	}
	return r, nil
}

// post sends a signed POST of payload to u (nil payload: POST-as-GET),
// with f's fault. The key goes in as "jwk" for v2 newAccount and every v1
// request, as "kid" otherwise.
func (c *raw) post(ctx context.Context, u string, payload []byte, f fault) (*reply, error) {
	body, err := c.sign(ctx, u, payload, f)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodPost, u, body, f)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign builds the JWS body of a request to u.
func (c *raw) sign(ctx context.Context, u string, payload []byte, f fault) ([]byte, error) {
	prot := map[string]any{"alg": algFor(c.key)}
	if f.alg != "" {
		prot["alg"] = f.alg
	}
	mode := f.key
	if mode == "" {
		mode = "kid"
		if c.v1 || u == c.dir["newAccount"] {
			mode = "jwk"
		}
	}
	if mode == "jwk" || mode == "both" {
		jwk, err := jwkFor(c.key.Public())
		if err != nil {
			return nil, err
		}
		prot["jwk"] = jwk
	}
	if mode == "kid" || mode == "both" {
		if c.kid == "" {
			return nil, errors.New("no account URL for the kid yet")
		}
		prot["kid"] = c.kid
	}
	if !f.noNonce {
		n := f.nonce
		if n == "" {
			var err error
			if n, err = c.freshNonce(ctx); err != nil {
				return nil, err
			}
		}
		prot["nonce"] = n
	}
	if !f.noURL && !c.v1 {
		prot["url"] = u
		if f.url != "" {
			prot["url"] = f.url
		}
	}
	ph, err := json.Marshal(prot)
	if err != nil {
		return nil, err
	}
	protected, encPayload := b64(ph), b64(payload)
	if f.padded {
		p := slices.Clone(payload)
		for len(p)%3 == 0 { // JSON white space, so that the encoding needs padding
			p = append(p, ' ')
		}
		encPayload = base64.URLEncoding.EncodeToString(p)
	}
	input := []byte(protected + "." + encPayload)
	signer := f.sign
	if signer == nil {
		signer = func(in []byte) ([]byte, error) { return signJWS(c.key, in) }
	}
	sig, err := signer(input)
	if err != nil {
		return nil, err
	}
	if f.flipSig && len(sig) > 0 {
		sig[len(sig)/2] ^= 0x01
	}
	var env any = map[string]any{"protected": protected, "payload": encPayload, "signature": b64(sig)}
	switch f.form {
	case "general":
		env = map[string]any{"payload": encPayload, "signatures": []any{map[string]any{"protected": protected, "signature": b64(sig)}}}
	case "compact":
		return []byte(protected + "." + encPayload + "." + b64(sig)), nil
	}
	if f.header != nil {
		env.(map[string]any)["header"] = f.header
	}
	return json.Marshal(env)
}

// edKey is an Ed25519 key: RFC 8555 §6.2 says servers SHOULD accept
// EdDSA, but Let's Encrypt and Pebble do not.
func edKey() crypto.Signer {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// algFor is the JWS algorithm of a key: RS256 for RSA, ES256 for P-256,
// EdDSA for Ed25519.
func algFor(k crypto.Signer) string {
	switch k.(type) {
	case *rsa.PrivateKey:
		return "RS256"
	case ed25519.PrivateKey:
		return "EdDSA"
	}
	return "ES256"
}

// jwkFor returns the public JWK of k (RFC 7517, RFC 7518 §6, RFC 8037).
func jwkFor(k crypto.PublicKey) (map[string]string, error) {
	switch pub := k.(type) {
	case *ecdsa.PublicKey:
		pt, err := pub.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, err
		}
		n := (len(pt) - 1) / 2
		return map[string]string{"kty": "EC", "crv": pub.Curve.Params().Name, "x": b64(pt[1 : 1+n]), "y": b64(pt[1+n:])}, nil
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}, nil
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(pub)}, nil
	}
	return nil, fmt.Errorf("no JWK for %T", k)
}

// signJWS signs input the way RFC 7518 wants: RSASSA-PKCS1-v1_5 SHA-256,
// ECDSA P-256 SHA-256 as raw R||S, or Ed25519.
func signJWS(k crypto.Signer, input []byte) ([]byte, error) {
	if ek, ok := k.(ed25519.PrivateKey); ok {
		return ed25519.Sign(ek, input), nil
	}
	h := sha256.Sum256(input)
	switch key := k.(type) {
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
		if err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, nil
	}
	return nil, fmt.Errorf("cannot sign with %T", k)
}

// derSign is the classic ES256 mistake: the ASN.1 DER signature Go's and
// OpenSSL's ECDSA APIs return, not the R||S of RFC 7518 §3.4.
func derSign(k crypto.Signer) func([]byte) ([]byte, error) {
	return func(input []byte) ([]byte, error) {
		h := sha256.Sum256(input)
		return ecdsa.SignASN1(rand.Reader, k.(*ecdsa.PrivateKey), h[:])
	}
}

// hs256 signs with HMAC-SHA256 under secret: a MAC where a signature is due.
func hs256(secret []byte) func([]byte) ([]byte, error) {
	return func(input []byte) ([]byte, error) {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil), nil
	}
}

// register creates the account (v2 newAccount agreeing to the terms)
// and keeps its URL as the kid.
func (c *raw) register(ctx context.Context) error {
	if c.dir == nil {
		if err := c.discover(ctx); err != nil {
			return err
		}
	}
	r, err := c.post(ctx, c.dir["newAccount"], []byte(`{"termsOfServiceAgreed":true}`), fault{})
	if err != nil {
		return err
	}
	if err := r.want("newAccount", http.StatusCreated, "-"); err != nil {
		return err
	}
	c.kid = r.Header.Get("Location")
	return nil
}

// ordering returns a raw client with the default key, a registered
// account and an order for names: how most scenarios start.
func ordering(ctx context.Context, w *World, names ...string) (*raw, *v2Order, error) {
	c := newRaw(w, nil)
	if err := c.register(ctx); err != nil {
		return nil, nil, err
	}
	o, err := c.newOrder(ctx, names...)
	if err != nil {
		return nil, nil, err
	}
	return c, o, nil
}

// v2Order is the part of an order the raw client uses.
type v2Order struct {
	URL            string
	Status         string   `json:"status"`
	Authorizations []string `json:"authorizations"`
	Finalize       string   `json:"finalize"`
}

// newOrder creates an order for names.
func (c *raw) newOrder(ctx context.Context, names ...string) (*v2Order, error) {
	r, err := c.post(ctx, c.dir["newOrder"], orderPayload(names...), fault{})
	if err != nil {
		return nil, err
	}
	if err := r.want("newOrder", http.StatusCreated, "-"); err != nil {
		return nil, err
	}
	o := &v2Order{URL: r.Header.Get("Location")}
	return o, json.Unmarshal(r.Body, o)
}

func orderPayload(names ...string) []byte {
	type id struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	var p struct {
		Identifiers []id `json:"identifiers"`
	}
	for _, n := range names {
		p.Identifiers = append(p.Identifiers, id{"dns", n})
	}
	b, _ := json.Marshal(p)
	return b
}

// v2Authz is the part of an authorization the raw client uses.
type v2Authz struct {
	Status     string `json:"status"`
	Challenges []struct {
		Type   string `json:"type"`
		URL    string `json:"url"`
		Token  string `json:"token"`
		Status string `json:"status"`
	} `json:"challenges"`
}

// authz fetches an authorization (POST-as-GET) and returns it with the
// answer.
func (c *raw) authz(ctx context.Context, u string) (*v2Authz, *reply, error) {
	r, err := c.post(ctx, u, nil, fault{})
	if err != nil {
		return nil, nil, err
	}
	if err := r.want("authorization", http.StatusOK, "-"); err != nil {
		return nil, r, err
	}
	z := &v2Authz{}
	return z, r, json.Unmarshal(r.Body, z)
}

// http01 returns the authorization's http-01 challenge URL and token.
func (z *v2Authz) http01() (url, token string, err error) {
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			return ch.URL, ch.Token, nil
		}
	}
	return "", "", errors.New("no http-01 challenge")
}

// serveHTTP01 fetches the authorization at zURL and has the world's
// challenge server answer its http-01 challenge; it returns the
// challenge's URL, which the caller triggers (or not).
func (c *raw) serveHTTP01(ctx context.Context, w *World, zURL string) (string, error) {
	z, _, err := c.authz(ctx, zURL)
	if err != nil {
		return "", err
	}
	chURL, token, err := z.http01()
	if err != nil {
		return "", err
	}
	ka, err := c.keyAuthorization(token)
	if err != nil {
		return "", err
	}
	w.Challenges.Set(token, ka)
	return chURL, nil
}

// keyAuthorization is token "." thumbprint of the account key (RFC 8555
// §8.1, RFC 7638).
func (c *raw) keyAuthorization(token string) (string, error) {
	jwk, err := jwkFor(c.key.Public())
	if err != nil {
		return "", err
	}
	var canon []byte
	switch jwk["kty"] {
	case "EC":
		canon = fmt.Appendf(nil, `{"crv":%q,"kty":"EC","x":%q,"y":%q}`, jwk["crv"], jwk["x"], jwk["y"])
	case "RSA":
		canon = fmt.Appendf(nil, `{"e":%q,"kty":"RSA","n":%q}`, jwk["e"], jwk["n"])
	default:
		return "", fmt.Errorf("no thumbprint for %s", jwk["kty"])
	}
	sum := sha256.Sum256(canon)
	return token + "." + b64(sum[:]), nil
}

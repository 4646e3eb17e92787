package bigjournal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// copier rewrites a template's exchanges for one copy.
type copier struct {
	t     *Template
	keys  []*copyKey
	rep   *strings.Replacer
	shift time.Duration
	conn  uint64 // added to the original connection ids
}

// maxConns bounds the connection ids of one template, so that copy i's
// ids are i·maxConns + the original's.
const maxConns = 1 << 10

// newCopier prepares copy number i of t, shifted in time by shift.
func (t *Template) newCopier(i int, ks *keySource, shift time.Duration) (*copier, error) {
	c := &copier{t: t, shift: shift, conn: uint64(i) * maxConns}
	tag := copyTag(i)
	var pairs [][2]string
	for _, u := range t.urls {
		pairs = append(pairs, [2]string{u, u + "_" + tag})
	}
	// Tokens and nonces are base64url: the tag goes in front, so that the
	// length stays the same modulo 4 and the last character keeps its
	// unused bits (a decoder may check both).
	for _, s := range t.tokens {
		pairs = append(pairs, [2]string{s, tag + s})
	}
	for _, s := range t.nonces {
		pairs = append(pairs, [2]string{s, tag + s})
	}
	for _, ak := range t.accounts {
		k, err := ks.newKey(ak)
		if err != nil {
			return nil, err
		}
		c.keys = append(c.keys, k)
		pairs = append(pairs, [2]string{ak.thumbprint, k.thumbprint})
		for name, v := range ak.members {
			pairs = append(pairs, [2]string{v, k.members[name]})
		}
	}
	for _, csr := range t.csrs {
		b, err := resignCSR(csr.der, c.keys[csr.account].signer)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, [2]string{csr.b64, b64.EncodeToString(b)})
	}
	// The replacer tries its old strings in argument order at each
	// position: longest first, so that a URL is never cut short by another
	// that is its prefix.
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if d := len(b[0]) - len(a[0]); d != 0 {
			return d
		}
		return strings.Compare(a[0], b[0])
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p[0], p[1])
	}
	c.rep = strings.NewReplacer(args...)
	return c, nil
}

// copyTag is copy i's mark: 8 base36 digits, which are base64url too.
func copyTag(i int) string {
	d := strconv.FormatInt(int64(i), 36)
	return strings.Repeat("0", max(0, 8-len(d))) + d
}

// resignCSR signs the CSR der again with key, keeping its subject,
// extensions (names, Must-Staple) and signature algorithm.
func resignCSR(der []byte, key crypto.Signer) ([]byte, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("bigjournal: parsing a CSR: %w", err)
	}
	tmpl := &x509.CertificateRequest{RawSubject: csr.RawSubject, ExtraExtensions: csr.Extensions,
		SignatureAlgorithm: csr.SignatureAlgorithm}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, key)
}

// exchanges returns the copy's exchanges.
func (c *copier) exchanges() ([]*journal.Exchange, error) {
	out := make([]*journal.Exchange, len(c.t.Exchanges))
	for i, e := range c.t.Exchanges {
		x, err := c.exchange(i, e)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", c.t.Name, e.Line, err)
		}
		out[i] = x
	}
	return out, nil
}

func (c *copier) exchange(i int, e *journal.Exchange) (*journal.Exchange, error) {
	if e.Conn >= maxConns {
		return nil, fmt.Errorf("connection id %d ≥ %d", e.Conn, maxConns)
	}
	x := &journal.Exchange{Conn: c.conn + e.Conn, Mode: e.Mode, Start: e.Start.Add(c.shift), End: e.End.Add(c.shift),
		Error: e.Error}
	x.Request = e.Request
	x.Request.URL = c.rep.Replace(e.Request.URL)
	x.Request.Headers = c.headers(e.Request.Headers)
	if j, ok := c.t.jws[i]; ok {
		body, err := c.resign(j, string(e.Request.Body.Data))
		if err != nil {
			return nil, err
		}
		x.Request.Body = journal.NewBody([]byte(body))
		setContentLength(x.Request.Headers, len(body))
	}
	if r := e.Response; r != nil {
		resp := *r
		resp.Headers = c.headers(r.Headers)
		if len(r.Body.Data) > 0 && isText(r.Headers.Get("Content-Type")) {
			body := c.rep.Replace(string(r.Body.Data))
			resp.Body = journal.NewBody([]byte(body))
			setContentLength(resp.Headers, len(body))
		}
		x.Response = &resp
	}
	return x, nil
}

// headers returns h with every value rewritten (Location, Link,
// Replay-Nonce; the others are left as they are by the replacer).
func (c *copier) headers(h journal.Headers) journal.Headers {
	out := make(journal.Headers, len(h))
	for i, f := range h {
		out[i] = journal.Field{Name: f.Name, Value: c.rep.Replace(f.Value)}
	}
	return out
}

func setContentLength(h journal.Headers, n int) {
	for i := range h {
		if strings.EqualFold(h[i].Name, "Content-Length") {
			h[i].Value = strconv.Itoa(n)
		}
	}
}

// isText reports whether a body of this content type is text the copy
// rewrites: JSON, problem documents, self-check answers. Certificates
// (DER or PEM) are left alone.
func isText(ct string) bool {
	ct = strings.ToLower(ct)
	return !strings.Contains(ct, "pkix-cert") && !strings.Contains(ct, "pem-certificate-chain") &&
		!strings.Contains(ct, "octet-stream")
}

// resign rewrites a flattened JWS body: its protected header and payload
// through the copy's replacer, signed again with the copy's account key.
// Everything else in the body stays as it was (a v1 unprotected header
// is rewritten through the replacer too: it carries the jwk).
func (c *copier) resign(j jwsAt, body string) (string, error) {
	prot, err := b64.DecodeString(j.protected)
	if err != nil {
		return "", fmt.Errorf("protected header: %w", err)
	}
	pay, err := b64.DecodeString(j.payload)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	newProt := b64.EncodeToString([]byte(c.rep.Replace(string(prot))))
	newPay := ""
	if j.payload != "" {
		newPay = b64.EncodeToString([]byte(c.rep.Replace(string(pay))))
	}
	sig, err := sign(j.alg, c.keys[j.account].signer, newProt+"."+newPay)
	if err != nil {
		return "", err
	}
	out := body
	if j.unprotected {
		out = c.rep.Replace(out)
	}
	for _, p := range [][2]string{{j.protected, newProt}, {j.signature, b64.EncodeToString(sig)}, {j.payload, newPay}} {
		if p[0] == "" {
			continue // an empty payload (POST-as-GET) stays empty
		}
		old := `"` + p[0] + `"`
		if !strings.Contains(out, old) {
			return "", fmt.Errorf("JWS part not found verbatim in the body")
		}
		out = strings.Replace(out, old, `"`+p[1]+`"`, 1)
	}
	return out, nil
}

// sign signs input under alg (RS256 or ES256/384/512, RFC 7518 §3).
func sign(alg string, key crypto.Signer, input string) ([]byte, error) {
	switch alg {
	case "RS256":
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("alg RS256 with a %T", key)
		}
		h := sha256.Sum256([]byte(input))
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	case "ES256", "ES384", "ES512":
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("alg %s with a %T", alg, key)
		}
		var digest []byte
		switch alg {
		case "ES256":
			h := sha256.Sum256([]byte(input))
			digest = h[:]
		case "ES384":
			h := sha512.Sum384([]byte(input))
			digest = h[:]
		default:
			h := sha512.Sum512([]byte(input))
			digest = h[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
		return out, nil
	}
	return nil, fmt.Errorf("alg %q not supported", alg)
}

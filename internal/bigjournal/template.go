package bigjournal

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Template is one recording, read and decoded once, with what a copy must
// rewrite: the objects' URLs, the tokens and nonces, the account keys and
// the CSRs signed with an account key.
type Template struct {
	// Name is the recording's file name.
	Name string
	// Exchanges are the recording's exchanges, in file order.
	Exchanges []*journal.Exchange
	// Start is the earliest request start.
	Start time.Time
	// Posts counts the exchanges that carry a JWS.
	Posts int

	urls     []string      // URLs of objects the CA created
	tokens   []string      // challenge tokens
	nonces   []string      // nonces, sent or offered
	accounts []accountKey  // account keys, in order of first use
	jws      map[int]jwsAt // by exchange index
	csrs     []accountCSR  // CSRs signed with an account key
}

// accountKey is an account key of the original recording.
type accountKey struct {
	thumbprint string
	kty, crv   string
	bits       int
	// members are the JWK's key material, "x" and "y" (EC) or "n" (RSA):
	// the strings a copy replaces with its own key's.
	members map[string]string
}

// jwsAt is the JWS of one exchange.
type jwsAt struct {
	account                       int // index in Template.accounts
	alg                           string
	protected, payload, signature string
	unprotected                   bool
}

// accountCSR is a CSR whose key is the account key: the copy signs it
// again with its own account key.
type accountCSR struct {
	account int
	b64     string // the payload's "csr" value
	der     []byte
}

// LoadTemplate reads the recording at path and prepares it for copying.
// It refuses a recording a copy could not reproduce faithfully: a JWS
// that does not verify, a body truncated by the recorder, a compressed
// body, a key change or a revocation.
func LoadTemplate(path string) (*Template, error) {
	r, err := journal.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &Template{Name: filepath.Base(path), jws: map[int]jwsAt{}}
	a := newAnalysis()
	d := decode.NewDecoder()
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		i := len(t.Exchanges)
		t.Exchanges = append(t.Exchanges, e)
		if t.Start.IsZero() || e.Start.Before(t.Start) {
			t.Start = e.Start
		}
		if err := t.analyse(a, i, e, d.Decode(e)); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, e.Line, err)
		}
	}
	if len(t.Exchanges) == 0 {
		return nil, fmt.Errorf("%s: no exchanges", path)
	}
	t.finish(a)
	return t, nil
}

// analysis gathers a template's strings while it is decoded.
type analysis struct {
	urls, static, tokens, nonces map[string]bool
	keys                         map[string]int // thumbprint → index in accounts
}

func newAnalysis() *analysis {
	return &analysis{urls: map[string]bool{}, static: map[string]bool{}, tokens: map[string]bool{},
		nonces: map[string]bool{}, keys: map[string]int{}}
}

// objectOps are the operations whose request URL is an object's.
var objectOps = map[decode.Operation]bool{
	decode.OpAccountFetch: true, decode.OpAccountUpdate: true, decode.OpAccountDeactivate: true,
	decode.OpOrdersList: true, decode.OpOrderPoll: true, decode.OpOrderFinalize: true,
	decode.OpAuthzFetch: true, decode.OpAuthzDeactivate: true, decode.OpChallengeTrigger: true,
	decode.OpChallengePoll: true, decode.OpCertDownload: true,
}

// locationOps are the operations whose answer's Location names an object.
var locationOps = map[decode.Operation]bool{
	decode.OpAccountCreate: true, decode.OpAccountLookup: true, decode.OpOrderCreate: true,
	decode.OpOrderFinalize: true, decode.OpAuthzCreate: true, decode.OpCertIssue: true,
	decode.OpChallengeTrigger: true, decode.OpChallengePoll: true,
}

func (t *Template) analyse(a *analysis, i int, e *journal.Exchange, m *decode.Message) error {
	switch {
	case e.Request.Body.Truncated || e.Response != nil && e.Response.Body.Truncated:
		return errors.New("truncated body")
	case e.Request.Headers.Get("Content-Encoding") != "" || e.Response != nil && e.Response.Headers.Get("Content-Encoding") != "":
		return errors.New("compressed body")
	case m.Operation == decode.OpKeyChange || m.Operation == decode.OpRevoke:
		return fmt.Errorf("%s is not supported", m.Operation)
	}
	if objectOps[m.Operation] {
		a.urls[m.URL] = true
	}
	if m.AccountURL != "" {
		a.urls[m.AccountURL] = true
	}
	if m.SelfCheck != nil {
		a.tokens[m.SelfCheck.Token] = true
	}
	if m.JWS != nil {
		if err := t.analyseJWS(a, i, m); err != nil {
			return err
		}
	}
	if r := m.Response; r != nil {
		analyseResponse(a, m, r)
	}
	return nil
}

func (t *Template) analyseJWS(a *analysis, i int, m *decode.Message) error {
	j := m.JWS
	if j.Serialization != decode.SerializationFlattened || j.Verification != decode.VerifyValid || j.Key == nil {
		return fmt.Errorf("JWS %s, %s (%s): a copy cannot reproduce it", j.Serialization, j.Verification, j.VerificationDetail)
	}
	t.Posts++
	if j.Protected.KID != "" {
		a.urls[j.Protected.KID] = true
	}
	if j.Protected.Nonce != "" {
		a.nonces[j.Protected.Nonce] = true
	}
	k, ok := a.keys[j.Key.Thumbprint]
	if !ok {
		raw := j.Protected.JWK
		if len(raw) == 0 && j.Unprotected != nil {
			raw = j.Unprotected.JWK
		}
		ak, err := accountKeyOf(j.Key, raw)
		if err != nil {
			return err
		}
		k = len(t.accounts)
		a.keys[ak.thumbprint] = k
		t.accounts = append(t.accounts, ak)
	}
	t.jws[i] = jwsAt{account: k, alg: j.Protected.Alg, protected: j.RawProtected, payload: j.RawPayload,
		signature: j.RawSignature, unprotected: j.Unprotected != nil}
	if p := m.Payload; p != nil && p.CSR != nil && p.CSR.Key != nil {
		if ck, ok := a.keys[p.CSR.Key.Thumbprint]; ok {
			var members struct {
				CSR string `json:"csr"`
			}
			if err := json.Unmarshal(j.Payload, &members); err != nil || members.CSR == "" {
				return fmt.Errorf("reading the CSR of the payload: %v", err)
			}
			t.csrs = append(t.csrs, accountCSR{account: ck, b64: members.CSR, der: p.CSR.Raw})
		}
	}
	return nil
}

// accountKeyOf reads the key material of an account's JWK.
func accountKeyOf(k *decode.Key, jwk json.RawMessage) (accountKey, error) {
	ak := accountKey{thumbprint: k.Thumbprint, kty: k.Type, crv: k.Curve, bits: k.Bits, members: map[string]string{}}
	var members map[string]string
	if err := json.Unmarshal(jwk, &members); err != nil {
		return ak, fmt.Errorf("the account's first request has no readable jwk: %w", err)
	}
	names := map[string][]string{"EC": {"x", "y"}, "RSA": {"n"}}[k.Type]
	if names == nil || k.Type == "RSA" && members["e"] != "AQAB" {
		return ak, fmt.Errorf("account key %s %s: only EC keys and RSA keys with e=65537 are supported", k.Type, members["e"])
	}
	for _, n := range names {
		if members[n] == "" {
			return ak, fmt.Errorf("account jwk without %q", n)
		}
		ak.members[n] = members[n]
	}
	return ak, nil
}

func analyseResponse(a *analysis, m *decode.Message, r *decode.Response) {
	if r.ReplayNonce != "" {
		a.nonces[r.ReplayNonce] = true
	}
	if locationOps[m.Operation] && r.Location != "" {
		a.urls[r.Location] = true
	}
	if m.Operation == decode.OpChallengeTrigger || m.Operation == decode.OpChallengePoll {
		if up := r.Link("up"); up != "" {
			a.urls[up] = true
		}
	}
	if d := r.Directory; d != nil {
		a.static[d.URL] = true
		for _, u := range d.Endpoints {
			a.static[u] = true
		}
		a.static[d.Meta.TermsOfService] = true
	}
	if o := r.Order; o != nil {
		for _, u := range o.Authorizations {
			a.urls[u] = true
		}
		a.urls[o.Finalize] = true
		a.urls[o.Certificate] = true
	}
	if z := r.Authorization; z != nil {
		for _, c := range z.Challenges {
			a.urls[c.Location()] = true
			a.tokens[c.Token] = true
		}
	}
	if c := r.Challenge; c != nil {
		a.urls[c.Location()] = true
		a.tokens[c.Token] = true
	}
	if acct := r.Account; acct != nil {
		a.urls[acct.Orders] = true
	}
}

// finish turns the gathered sets into sorted lists, leaving out the
// directory's own URLs (every copy talks to the same CA).
func (t *Template) finish(a *analysis) {
	list := func(set map[string]bool) []string {
		var out []string
		for s := range set {
			if s != "" && !a.static[s] {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	t.urls, t.tokens, t.nonces = list(a.urls), list(a.tokens), list(a.nonces)
}

// Accounts returns the number of account keys the recording uses.
func (t *Template) Accounts() int { return len(t.accounts) }

// b64 is the JWS encoding: base64url without padding.
var b64 = base64.RawURLEncoding

package legacyclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Options configures one run.
type Options struct {
	// DirectoryURL is the v1 directory.
	DirectoryURL string
	// HTTPClient carries every request, ACME and self-check alike; through
	// acmeproxy it is a client whose transport uses the proxy.
	HTTPClient *http.Client
	// AccountKey signs the requests; CSRKey is the certificate's key. A run
	// with CSRKey == AccountKey reproduces a CSR signed with the account key.
	AccountKey crypto.Signer
	CSRKey     crypto.Signer
	// Names are the DNS names to authorize and put in the CSR.
	Names []string
	// Provision publishes a key authorization where the CA will fetch it
	// (the acme-tiny "acme-dir" file). Returning false leaves it
	// unpublished: the self-check then fails and the run stops.
	Provision func(name, token, keyAuthorization string) bool
	// SelfCheckPort is the port of the self-check URL (80 when zero).
	SelfCheckPort int
	// NoAgreement registers without agreeing to the terms of service.
	NoAgreement bool
	// SkipAuthorization sends the CSR to new-cert without asking for any
	// authorization first, as clients do that count on earlier ones.
	SkipAuthorization bool
	// FetchIssuer follows the new-cert answer's Link rel="up" to fetch the
	// intermediate, as acme-tiny did from 2016 to build the chain.
	FetchIssuer bool
	// MustStaple asks for the OCSP Must-Staple extension in the CSR.
	MustStaple bool
	// PollInterval is the wait between challenge polls (1 s when zero).
	PollInterval time.Duration
	// Log receives a line per step, as acme-tiny prints them.
	Log io.Writer
}

// Result is what a successful run obtained.
type Result struct {
	RegistrationURL string
	AuthzURLs       []string
	Certificate     []byte // DER
}

type client struct {
	opts  Options
	dir   map[string]any
	thumb string
	reg   string
}

// Run performs the v1 flow. It stops at the first failure, as acme-tiny
// did, and returns what it had done so far with the error.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	c := &client{opts: opts}
	res := &Result{}
	var err error
	if c.thumb, err = thumbprint(opts.AccountKey); err != nil {
		return res, err
	}
	if err := c.fetchDirectory(ctx); err != nil {
		return res, err
	}
	if res.RegistrationURL, err = c.register(ctx); err != nil {
		return res, err
	}
	for _, name := range opts.Names {
		if opts.SkipAuthorization {
			break
		}
		u, err := c.authorize(ctx, name)
		if u != "" {
			res.AuthzURLs = append(res.AuthzURLs, u)
		}
		if err != nil {
			return res, err
		}
	}
	res.Certificate, err = c.issue(ctx)
	return res, err
}

func (c *client) fetchDirectory(ctx context.Context) error {
	resp, body, err := c.do(ctx, http.MethodGet, c.opts.DirectoryURL, nil)
	if err != nil {
		return fmt.Errorf("fetching directory: %w", err)
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("fetching directory: %s", resp.Status)
	}
	return json.Unmarshal(body, &c.dir)
}

// nonce fetches the directory again only to harvest Replay-Nonce, before
// every POST, as acme-tiny's v1 code did (acme-reference.md §4.5).
func (c *client) nonce(ctx context.Context) (string, error) {
	resp, _, err := c.do(ctx, http.MethodGet, c.opts.DirectoryURL, nil)
	if err != nil {
		return "", fmt.Errorf("getting nonce: %w", err)
	}
	return resp.Header.Get("Replay-Nonce"), nil
}

// post signs payload and sends it to url.
func (c *client) post(ctx context.Context, url string, payload any) (*http.Response, []byte, error) {
	nonce, err := c.nonce(ctx)
	if err != nil {
		return nil, nil, err
	}
	body, err := sign(c.opts.AccountKey, nonce, payload)
	if err != nil {
		return nil, nil, err
	}
	return c.do(ctx, http.MethodPost, url, body)
}

func (c *client) do(ctx context.Context, method, url string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", "acmeproxy-legacyclient (acme-tiny style)")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (c *client) dirURL(key string) string {
	s, _ := c.dir[key].(string)
	return s
}

func (c *client) register(ctx context.Context) (string, error) {
	terms := ""
	if meta, ok := c.dir["meta"].(map[string]any); ok {
		terms, _ = meta["terms-of-service"].(string)
	}
	payload := map[string]any{"resource": "new-reg", "agreement": terms}
	if c.opts.NoAgreement {
		delete(payload, "agreement")
	}
	fmt.Fprintln(c.opts.Log, "Registering account...")
	resp, body, err := c.post(ctx, c.dirURL("new-reg"), payload)
	if err != nil {
		return "", fmt.Errorf("registering: %w", err)
	}
	switch resp.StatusCode {
	case 201:
		fmt.Fprintln(c.opts.Log, "Registered!")
	case 409:
		fmt.Fprintln(c.opts.Log, "Already registered!")
	default:
		return "", fmt.Errorf("error registering: %d %s", resp.StatusCode, body)
	}
	c.reg = resp.Header.Get("Location")
	return c.reg, nil
}

type challenge struct {
	Type, URI, Token, Status string
	Error                    json.RawMessage
}

type authorization struct {
	Status     string
	Challenges []challenge
}

// authorize gets one name validated, or stops like acme-tiny.
func (c *client) authorize(ctx context.Context, name string) (string, error) {
	fmt.Fprintf(c.opts.Log, "Verifying %s...\n", name)
	resp, body, err := c.post(ctx, c.dirURL("new-authz"), map[string]any{
		"resource": "new-authz", "identifier": map[string]string{"type": "dns", "value": name}})
	if err != nil {
		return "", fmt.Errorf("requesting challenges for %s: %w", name, err)
	}
	if resp.StatusCode != 201 {
		return "", fmt.Errorf("error requesting challenges for %s: %d %s", name, resp.StatusCode, body)
	}
	authzURL := resp.Header.Get("Location")
	var az authorization
	if err := json.Unmarshal(body, &az); err != nil {
		return authzURL, fmt.Errorf("reading authorization for %s: %w", name, err)
	}
	if az.Status == "valid" {
		fmt.Fprintf(c.opts.Log, "%s already verified. Skipping.\n", name)
		return authzURL, nil
	}
	var ch *challenge
	for i := range az.Challenges {
		if az.Challenges[i].Type == "http-01" {
			ch = &az.Challenges[i]
		}
	}
	if ch == nil {
		return authzURL, fmt.Errorf("no http-01 challenge for %s", name)
	}
	keyAuth := ch.Token + "." + c.thumb
	if c.opts.Provision != nil {
		c.opts.Provision(name, ch.Token, keyAuth)
	}
	if err := c.selfCheck(ctx, name, ch.Token, keyAuth); err != nil {
		// acme-tiny raised here, before posting the challenge: the
		// authorization stays pending (acme-reference.md §11 B1).
		return authzURL, err
	}
	return authzURL, c.validate(ctx, name, ch, keyAuth)
}

func (c *client) selfCheck(ctx context.Context, name, token, keyAuth string) error {
	host := name
	if c.opts.SelfCheckPort != 0 {
		host = net.JoinHostPort(name, strconv.Itoa(c.opts.SelfCheckPort))
	}
	u := "http://" + host + "/.well-known/acme-challenge/" + token
	resp, body, err := c.do(ctx, http.MethodGet, u, nil)
	if err == nil && resp.StatusCode == 200 && strings.TrimSpace(string(body)) == keyAuth {
		return nil
	}
	return fmt.Errorf("wrote file to acme-dir, but couldn't download %s", u)
}

func (c *client) validate(ctx context.Context, name string, ch *challenge, keyAuth string) error {
	resp, body, err := c.post(ctx, ch.URI, map[string]any{"resource": "challenge", "keyAuthorization": keyAuth})
	if err != nil {
		return fmt.Errorf("triggering challenge for %s: %w", name, err)
	}
	if resp.StatusCode != 202 {
		return fmt.Errorf("error triggering challenge for %s: %d %s", name, resp.StatusCode, body)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.opts.PollInterval):
		}
		_, body, err := c.do(ctx, http.MethodGet, ch.URI, nil)
		if err != nil {
			return fmt.Errorf("checking challenge for %s: %w", name, err)
		}
		var st challenge
		if err := json.Unmarshal(body, &st); err != nil {
			return fmt.Errorf("reading challenge for %s: %w", name, err)
		}
		switch st.Status {
		case "pending":
			continue
		case "valid":
			fmt.Fprintf(c.opts.Log, "%s verified!\n", name)
			return nil
		default:
			return fmt.Errorf("%s challenge did not pass: %s", name, body)
		}
	}
}

func (c *client) issue(ctx context.Context) ([]byte, error) {
	csr, err := c.csr()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(c.opts.Log, "Signing certificate...")
	resp, body, err := c.post(ctx, c.dirURL("new-cert"), map[string]any{"resource": "new-cert", "csr": b64.EncodeToString(csr)})
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	if resp.StatusCode != 201 {
		return nil, fmt.Errorf("error signing certificate: %d %s", resp.StatusCode, body)
	}
	fmt.Fprintln(c.opts.Log, "Certificate signed!")
	if c.opts.FetchIssuer {
		if up := linkUp(resp.Header.Values("Link")); up != "" {
			if _, _, err := c.do(ctx, http.MethodGet, up, nil); err != nil {
				return body, fmt.Errorf("fetching intermediate: %w", err)
			}
		}
	}
	return body, nil
}

// oidTLSFeature is id-pe-tlsfeature (RFC 7633); its value SEQUENCE {
// INTEGER 5 } asks for status_request: OCSP Must-Staple.
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

func (c *client) csr() ([]byte, error) {
	if len(c.opts.Names) == 0 {
		return nil, errors.New("legacyclient: no names")
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: c.opts.Names[0]}, DNSNames: c.opts.Names}
	if c.opts.MustStaple {
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidTLSFeature, Value: []byte{0x30, 0x03, 0x02, 0x01, 0x05}})
	}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, c.opts.CSRKey)
}

// linkUp returns the target of a Link header with rel="up", or "".
func linkUp(links []string) string {
	for _, l := range links {
		for _, part := range strings.Split(l, ",") {
			target, params, ok := strings.Cut(part, ";")
			if ok && strings.Contains(params, `rel="up"`) {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

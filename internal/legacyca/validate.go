package legacyca

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

const (
	// maxRedirects is how many redirects an http-01 fetch follows
	// (Boulder va/http.go).
	maxRedirects = 10
	// maxChallengeBody bounds the key authorization file read.
	maxChallengeBody = 1 << 10
	// validationUserAgent identifies the validation fetches.
	validationUserAgent = "Mozilla/5.0 (compatible; acmeproxy legacyca validation server)"
)

// newValidationClient returns the http-01 fetcher. It never uses a proxy
// and dials through dial when set.
func newValidationClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 16 << 10,
		// Boulder followed redirects to https without checking the
		// certificate: http-01 proves control through the content.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}

// startValidation validates ch of a in the background. The caller holds
// ca.mu and has set a.validating.
func (ca *CA) startValidation(a *authorization, ch *challenge, keyAuth string) {
	name, typ, token := a.identifier, ch.typ, ch.token
	if ca.closed {
		ca.finishValidation(a, ch, nil, newProblem(probConnection, http.StatusBadRequest,
			"Validation aborted: "+errClosed.Error()))
		return
	}
	ca.wg.Go(func() {
		ctx, cancel := context.WithTimeout(ca.ctx, ca.cfg.ValidationTimeout)
		defer cancel()
		var rec []validationRecord
		var prob *problem
		switch typ {
		case challengeHTTP01:
			rec, prob = ca.validateHTTP01(ctx, name, token, keyAuth)
		case challengeDNS01:
			rec, prob = ca.validateDNS01(ctx, name, keyAuth)
		}
		ca.mu.Lock()
		defer ca.mu.Unlock()
		ca.finishValidation(a, ch, rec, prob)
	})
}

// finishValidation records the outcome on ch and a. A nil prob means
// success. An authorization deactivated or expired meanwhile is left
// alone. The caller holds ca.mu.
func (ca *CA) finishValidation(a *authorization, ch *challenge, rec []validationRecord, prob *problem) {
	a.validating = false
	now := ca.cfg.Now()
	if a.status != statusPending || a.expired(now) {
		return
	}
	ch.record = rec
	if prob != nil {
		ch.status, ch.err = statusInvalid, prob
		a.status = statusInvalid
		return
	}
	ch.status = statusValid
	ch.validated = now.UTC().Truncate(time.Second)
	a.status = statusValid
	a.expires = now.Add(ca.cfg.ValidAuthzLifetime).UTC().Truncate(time.Second)
}

// validateHTTP01 fetches the key authorization file and compares it
// (acme-reference.md §2.4).
func (ca *CA) validateHTTP01(ctx context.Context, name, token, keyAuth string) ([]validationRecord, *problem) {
	port := strconv.Itoa(ca.cfg.HTTPPort)
	host := name
	if ca.cfg.HTTPPort != 80 {
		host = net.JoinHostPort(name, port)
	}
	u := "http://" + host + "/.well-known/acme-challenge/" + token
	rec := validationRecord{URL: u, Hostname: name, Port: port}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if ip, _, err := net.SplitHostPort(info.Conn.RemoteAddr().String()); err == nil && rec.AddressUsed == "" {
			rec.AddressUsed = ip
			rec.AddressesResolved = []string{ip}
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u, nil)
	if err != nil {
		return []validationRecord{rec}, malformed("Invalid validation URL " + u)
	}
	req.Header.Set("User-Agent", validationUserAgent)
	resp, err := ca.validate.Do(req)
	if err != nil {
		return []validationRecord{rec}, fetchProblem(u, name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxChallengeBody))
	if err != nil {
		return []validationRecord{rec}, fetchProblem(u, name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return []validationRecord{rec}, unauthorized(fmt.Sprintf("Invalid response from %s [%s]: %d",
			u, rec.AddressUsed, resp.StatusCode))
	}
	got := strings.TrimRightFunc(string(body), unicode.IsSpace)
	if got != keyAuth {
		return []validationRecord{rec}, unauthorized(fmt.Sprintf(
			"The key authorization file from the server did not match this challenge %q != %q", keyAuth, got))
	}
	return []validationRecord{rec}, nil
}

// fetchProblem turns a fetch error into the v1 problem Boulder's VA gave.
func fetchProblem(u, name string, err error) *problem {
	conn := func(detail string) *problem {
		return newProblem(probConnection, http.StatusBadRequest, detail)
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		what := "DNS problem: " + dnsErr.Err
		if dnsErr.IsNotFound {
			what = "DNS problem: NXDOMAIN"
		}
		return newProblem(probDNS, http.StatusBadRequest, what+" looking up A for "+name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return conn("Fetching " + u + ": Connection refused")
	case errors.Is(err, context.Canceled):
		return conn("Fetching " + u + ": validation aborted")
	case errors.As(err, &netErr) && netErr.Timeout():
		return conn("Fetching " + u + ": Timeout during connect (likely firewall problem)")
	default:
		return conn("Fetching " + u + ": Error getting validation data")
	}
}

// validateDNS01 looks up _acme-challenge.<name> TXT and looks for
// b64u(SHA-256(keyAuthorization)).
func (ca *CA) validateDNS01(ctx context.Context, name, keyAuth string) ([]validationRecord, *problem) {
	rec := []validationRecord{{Hostname: name}}
	qname := "_acme-challenge." + name
	txts, err := ca.cfg.LookupTXT(ctx, qname)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return rec, newProblem(probDNS, http.StatusBadRequest, "DNS problem: NXDOMAIN looking up TXT for "+qname)
		}
		return rec, newProblem(probDNS, http.StatusBadRequest, "DNS problem: looking up TXT for "+qname+": "+err.Error())
	}
	sum := sha256.Sum256([]byte(keyAuth))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if slices.Contains(txts, want) {
		return rec, nil
	}
	if len(txts) == 0 {
		return rec, unauthorized("No TXT record found at " + qname)
	}
	return rec, unauthorized(fmt.Sprintf("Incorrect TXT record %q found at %s", txts[0], qname))
}

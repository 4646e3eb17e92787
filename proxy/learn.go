package proxy

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// learn widens the interception scope from an intercepted response: the
// https URLs in its Location and Link headers and, when the body is an ACME
// directory, the URLs it lists. It runs after the exchange is recorded and
// costs a header scan for most responses.
func (p *Proxy) learn(req *http.Request, resp *http.Response, body []byte) {
	for _, v := range resp.Header.Values("Location") {
		p.learnRef(req.URL, v)
	}
	for _, v := range resp.Header.Values("Link") {
		for _, ref := range linkTargets(v) {
			p.learnRef(req.URL, ref)
		}
	}
	if req.Method == http.MethodGet && isDirectory(resp, body) {
		for _, ref := range directoryURLs(body) {
			p.learnRef(req.URL, ref)
		}
	}
}

func (p *Proxy) learnRef(base *url.URL, ref string) {
	u, err := base.Parse(strings.TrimSpace(ref))
	if err != nil {
		return
	}
	p.scope.addURL(u)
}

// linkTargets returns the URI-references of a Link header value
// (RFC 8288 §3): the parts between '<' and '>'.
func linkTargets(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		out = append(out, v[i+1:i+j])
		v = v[i+j+1:]
	}
}

// isDirectory is a cheap test for an ACME directory object: JSON that
// names newNonce (RFC 8555 §7.1.1) or new-reg (ACME v1).
func isDirectory(resp *http.Response, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" || len(body) == 0 || len(body) > 64<<10 {
		return false
	}
	return bytes.Contains(body, []byte(`"newNonce"`)) || bytes.Contains(body, []byte(`"new-reg"`))
}

// directoryURLs returns the top-level string members of a directory
// object, skipping "meta" (terms of service and websites are not the CA's
// API hosts).
func directoryURLs(body []byte) []string {
	var dir map[string]json.RawMessage
	if json.Unmarshal(body, &dir) != nil {
		return nil
	}
	var out []string
	for k, raw := range dir {
		var s string
		if k == "meta" || json.Unmarshal(raw, &s) != nil {
			continue
		}
		out = append(out, s)
	}
	return out
}

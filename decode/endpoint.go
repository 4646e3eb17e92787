package decode

import (
	"net/url"
	"regexp"
	"strings"
)

// endpoint is the kind of URL a request went to. The Operation follows
// from it, the method and the payload.
type endpoint uint8

const (
	epUnknown endpoint = iota
	epDirectory
	epNonce
	epNewAccount // v2 newAccount, v1 new-reg
	epAccount    // v2 account URL (kid), v1 reg URL
	epKeyChange
	epOrdersList
	epNewOrder
	epOrder
	epFinalize
	epNewAuthz // v1 new-authz, v2 newAuthz
	epAuthz
	epChallenge
	epNewCert // v1
	epCert
	epIssuer // v1 issuer-cert
	epRevoke
	epRenewalInfo
	epTerms
	epSelfCheck
)

// directoryEndpoint maps a directory resource key of either dialect to the
// endpoint it names (RFC 8555 §7.1.1; acme-reference.md §3.1). v1 spells
// keys with dashes, v2 in camelCase.
func directoryEndpoint(key string) endpoint {
	switch key {
	case "newNonce":
		return epNonce
	case "newAccount", "new-reg":
		return epNewAccount
	case "newOrder":
		return epNewOrder
	case "newAuthz", "new-authz":
		return epNewAuthz
	case "new-cert":
		return epNewCert
	case "revokeCert", "revoke-cert":
		return epRevoke
	case "keyChange", "key-change":
		return epKeyChange
	case "renewalInfo":
		return epRenewalInfo
	}
	return epUnknown
}

// pathShape is a fallback rule: a path regexp, the endpoint it suggests
// and the dialect it implies, if any.
type pathShape struct {
	re      *regexp.Regexp
	ep      endpoint
	dialect Dialect
}

// pathShapes are the path conventions of Boulder (v1 and v2, every era) and
// Pebble (acme-reference.md §4.1, §5.1, §10.3). They are only consulted for
// URLs that no directory and no earlier response named. Order matters: the
// first match wins.
var pathShapes = [...]pathShape{
	{regexp.MustCompile(`/acme/new-reg$`), epNewAccount, DialectV1},
	{regexp.MustCompile(`/acme/reg/[^/]+$`), epAccount, DialectV1},
	{regexp.MustCompile(`/acme/new-cert$`), epNewCert, DialectV1},
	{regexp.MustCompile(`/acme/issuer-cert$`), epIssuer, DialectV1},
	{regexp.MustCompile(`(?i)/directory/?$|^/dir$`), epDirectory, DialectUnknown},
	{regexp.MustCompile(`/new-nonce$|/nonce-plz$`), epNonce, DialectV2},
	{regexp.MustCompile(`/new-acct$|/new-account$|/sign-me-up$`), epNewAccount, DialectV2},
	{regexp.MustCompile(`/acme/acct/[^/]+$|/my-account/[^/]+$`), epAccount, DialectV2},
	{regexp.MustCompile(`/key-change$|/rollover-account-key$`), epKeyChange, DialectUnknown},
	{regexp.MustCompile(`/list-orderz/|/acme/orders/`), epOrdersList, DialectV2},
	{regexp.MustCompile(`/new-order$|/order-plz$`), epNewOrder, DialectV2},
	{regexp.MustCompile(`/acme/order/|/my-order/`), epOrder, DialectV2},
	{regexp.MustCompile(`/acme/finalize/|/finalize-order/`), epFinalize, DialectV2},
	{regexp.MustCompile(`/new-authz$|/new-authz-plz$`), epNewAuthz, DialectUnknown},
	{regexp.MustCompile(`/acme/authz(-v3)?/|/authZ/`), epAuthz, DialectUnknown},
	{regexp.MustCompile(`/acme/chall(-v3)?/|/acme/challenge/|/chalZ/`), epChallenge, DialectUnknown},
	{regexp.MustCompile(`/acme/cert/|/certZ/`), epCert, DialectUnknown},
	{regexp.MustCompile(`/revoke-cert$`), epRevoke, DialectUnknown},
	{regexp.MustCompile(`/renewal-info/|/renewalInfo/`), epRenewalInfo, DialectV2},
	{regexp.MustCompile(`/terms$`), epTerms, DialectUnknown},
}

// selfCheckPath matches the HTTP-01 resource path (RFC 8555 §8.3); the
// token is base64url (RFC 8555 §8.1).
var selfCheckPath = regexp.MustCompile(`^/\.well-known/acme-challenge/([A-Za-z0-9_-]+)$`)

// classifyPath is the fallback classification by path shape alone.
func classifyPath(u *url.URL) (endpoint, Dialect) {
	if u == nil {
		return epUnknown, DialectUnknown
	}
	for _, s := range pathShapes {
		if s.re.MatchString(u.Path) {
			return s.ep, s.dialect
		}
	}
	return epUnknown, DialectUnknown
}

// selfCheckToken returns the token of an HTTP-01 resource URL.
func selfCheckToken(u *url.URL) (string, bool) {
	if u == nil {
		return "", false
	}
	m := selfCheckPath.FindStringSubmatch(u.Path)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// origin returns scheme://host[:port] of a URL, lower-cased.
func origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

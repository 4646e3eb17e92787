package decode

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"net"
	"slices"
	"strings"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Extension OIDs the decoder names.
var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	// oidTLSFeature is id-pe-tlsfeature (RFC 7633 §6): with status_request
	// (5) it is OCSP Must-Staple.
	oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}
)

// tlsFeatureStatusRequest is the TLS extension number of status_request
// (RFC 6066 §8), the feature Must-Staple requires.
const tlsFeatureStatusRequest = 5

// CSR is a certificate signing request (RFC 2986) from a v2 finalize or a
// v1 new-cert payload (RFC 8555 §7.4), parsed.
type CSR struct {
	// Raw is the DER as decoded from the payload's "csr" member.
	Raw []byte `json:"-"`
	// SHA256 is the hex SHA-256 of Raw.
	SHA256 string `json:"sha256"`
	// CommonName is the subject CN as written.
	CommonName string `json:"common_name,omitempty"`
	// DNSNames and IPAddresses are the subjectAltName entries, DNS names
	// lower-cased, both de-duplicated, in CSR order.
	DNSNames    []string `json:"dns_names,omitempty"`
	IPAddresses []string `json:"ip_addresses,omitempty"`
	// EmailAddresses and URIs are SAN entries a CA will refuse.
	EmailAddresses []string `json:"email_addresses,omitempty"`
	URIs           []string `json:"uris,omitempty"`
	// Identifiers is the set the CA compares with the order (RFC 8555
	// §7.4) or with the account's authorizations (v1): CN folded into the
	// SANs, lower-cased, de-duplicated and sorted.
	Identifiers []acme.Identifier `json:"identifiers"`
	// Key is the CSR's public key; compare its Thumbprint with the account
	// key's (RFC 8555 §11.1 forbids them being equal).
	Key *Key `json:"key,omitempty"`
	// SPKISHA256 is the hex SHA-256 of the DER SubjectPublicKeyInfo.
	SPKISHA256 string `json:"spki_sha256,omitempty"`
	// SignatureAlgorithm is the CSR's signature algorithm, as crypto/x509
	// names it.
	SignatureAlgorithm string `json:"signature_algorithm"`
	// SignatureValid reports whether the CSR's self-signature verifies.
	SignatureValid bool `json:"signature_valid"`
	// MustStaple is set when the CSR requests the TLS feature extension
	// with status_request (RFC 7633; acme-reference.md §7.6).
	MustStaple bool `json:"must_staple,omitempty"`
	// Extensions lists every requested extension.
	Extensions []Extension `json:"extensions,omitempty"`
}

// Extension is one X.509 extension, named when the decoder knows it.
type Extension struct {
	OID      string `json:"oid"`
	Name     string `json:"name,omitempty"`
	Critical bool   `json:"critical,omitempty"`
}

// ParseCSR parses a DER CSR. It returns nil when der is not a CSR.
func ParseCSR(der []byte) (*CSR, []Issue) {
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, []Issue{issuef(IssueCSRUnparsable, "csr: %v", err)}
	}
	sum := sha256.Sum256(der)
	c := &CSR{Raw: der, SHA256: hex.EncodeToString(sum[:]),
		CommonName:         req.Subject.CommonName,
		SignatureAlgorithm: req.SignatureAlgorithm.String(),
		Key:                NewKey(req.PublicKey),
		EmailAddresses:     req.EmailAddresses,
	}
	if len(req.RawSubjectPublicKeyInfo) > 0 {
		spki := sha256.Sum256(req.RawSubjectPublicKeyInfo)
		c.SPKISHA256 = hex.EncodeToString(spki[:])
	}
	for _, u := range req.URIs {
		c.URIs = append(c.URIs, u.String())
	}
	c.DNSNames = normaliseNames(req.DNSNames)
	c.IPAddresses = normaliseIPs(req.IPAddresses)
	c.Identifiers = identifierSet(c.CommonName, c.DNSNames, c.IPAddresses)
	c.Extensions, c.MustStaple = describeExtensions(req.Extensions)
	var issues []Issue
	if err := req.CheckSignature(); err != nil {
		issues = append(issues, issuef(IssueCSRBadSignature, "csr signature: %v", err))
	} else {
		c.SignatureValid = true
	}
	return c, issues
}

// normaliseNames lower-cases and de-duplicates DNS names, keeping order.
func normaliseNames(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.ToLower(n)
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// normaliseIPs writes IPs in canonical text form and de-duplicates them,
// keeping order; an IPv4-mapped IPv6 address prints as IPv4.
func normaliseIPs(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		s := ip.String()
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// identifierSet folds cn into the SANs the way Boulder does (csr/csr.go:
// the CN is one more name), lower-cases, de-duplicates and sorts.
func identifierSet(cn string, dns, ips []string) []acme.Identifier {
	ids := make([]acme.Identifier, 0, len(dns)+len(ips)+1)
	add := func(t acme.IdentifierType, v string) {
		id := acme.Identifier{Type: t, Value: v}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, n := range dns {
		add(acme.IdentifierDNS, n)
	}
	for _, ip := range ips {
		add(acme.IdentifierIP, ip)
	}
	if cn != "" {
		if ip := net.ParseIP(cn); ip != nil {
			add(acme.IdentifierIP, ip.String())
		} else {
			add(acme.IdentifierDNS, strings.ToLower(cn))
		}
	}
	slices.SortFunc(ids, func(a, b acme.Identifier) int {
		if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return ids
}

// describeExtensions names each extension and reports Must-Staple.
func describeExtensions(exts []pkix.Extension) ([]Extension, bool) {
	var out []Extension
	mustStaple := false
	for _, e := range exts {
		out = append(out, Extension{OID: e.Id.String(), Name: extensionName(e.Id), Critical: e.Critical})
		if e.Id.Equal(oidTLSFeature) && requestsStatus(e.Value) {
			mustStaple = true
		}
	}
	return out, mustStaple
}

// requestsStatus reports whether a TLS feature extension value (a
// SEQUENCE OF INTEGER, RFC 7633 §6) lists status_request.
func requestsStatus(value []byte) bool {
	var features []int
	if rest, err := asn1.Unmarshal(value, &features); err != nil || len(rest) > 0 {
		return false
	}
	return slices.Contains(features, tlsFeatureStatusRequest)
}

func extensionName(oid asn1.ObjectIdentifier) string {
	switch oid.String() {
	case "2.5.29.17":
		return "subjectAltName"
	case "2.5.29.15":
		return "keyUsage"
	case "2.5.29.37":
		return "extKeyUsage"
	case "2.5.29.19":
		return "basicConstraints"
	case "2.5.29.14":
		return "subjectKeyIdentifier"
	case "2.5.29.35":
		return "authorityKeyIdentifier"
	case "2.5.29.32":
		return "certificatePolicies"
	case "1.3.6.1.5.5.7.1.1":
		return "authorityInfoAccess"
	case "1.3.6.1.5.5.7.1.24":
		return "tlsFeature"
	case "1.3.6.1.5.5.7.1.31":
		return "acmeIdentifier"
	case "1.3.6.1.4.1.11129.2.4.2":
		return "ctSCTList"
	case "1.3.6.1.4.1.11129.2.4.3":
		return "ctPoison"
	}
	return ""
}

package legacyca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
)

// maxNamesPerCert is Boulder's classic limit on names in one certificate.
const maxNamesPerCert = 100

// checkDNSName normalises value (lower case) and applies a small part of
// Boulder's policy authority: a syntactically valid, fully qualified DNS
// name of at least two labels, not an IP address and not a wildcard (v1
// never issued wildcards). Public-suffix and blocklist checks are left out
// so tests can use reserved names such as *.example.test.
func checkDNSName(value string) (string, *problem) {
	name := strings.ToLower(value)
	switch {
	case name == "":
		return "", malformed("Name is empty")
	case strings.HasPrefix(name, "*."):
		return "", malformed("Wildcard names not supported")
	case net.ParseIP(name) != nil:
		return "", malformed("Issuance for IP addresses not supported")
	case len(name) > 253:
		return "", malformed("Name is too long")
	case strings.HasSuffix(name, "."):
		return "", malformed("Name ends in a period")
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "", malformed("Name has too few labels")
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", malformed(fmt.Sprintf("Name contains an invalid label %q", l))
		}
	}
	return name, nil
}

// validLabel reports whether l is an LDH label (RFC 1035 §2.3.1).
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// csrNames returns the DNS names of csr: the common name folded into the
// SANs, lower-cased, de-duplicated and sorted (Boulder csr/csr.go). It
// rejects what v1 rejected as malformed: no names, too many, e-mail, IP or
// URI SANs, an over-long CN, a name that fails checkDNSName.
func csrNames(csr *x509.CertificateRequest) ([]string, *problem) {
	switch {
	case len(csr.EmailAddresses) > 0:
		return nil, malformed("CSR contains one or more email address fields")
	case len(csr.IPAddresses) > 0:
		return nil, malformed("CSR contains one or more IP address fields")
	case len(csr.URIs) > 0:
		return nil, malformed("CSR contains one or more URI fields")
	case len(csr.Subject.CommonName) > 64:
		return nil, malformed("CN was longer than 64 bytes")
	}
	var names []string
	if cn := csr.Subject.CommonName; cn != "" {
		names = append(names, strings.ToLower(cn))
	}
	for _, n := range csr.DNSNames {
		names = append(names, strings.ToLower(n))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return nil, malformed("at least one DNS name is required")
	}
	if len(names) > maxNamesPerCert {
		return nil, malformed(fmt.Sprintf("CSR contains more than %d DNS names", maxNamesPerCert))
	}
	for _, n := range names {
		if _, prob := checkDNSName(n); prob != nil {
			return nil, malformed("CSR name " + n + ": " + prob.Detail)
		}
	}
	return names, nil
}

// checkCertKey applies Boulder's key policy to a certificate key: RSA
// 2048–4096 bits or ECDSA P-256/P-384.
func checkCertKey(pub crypto.PublicKey) *problem {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 4096 {
			return malformed(fmt.Sprintf("invalid public key in CSR: RSA key of %d bits", n))
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return malformed("invalid public key in CSR: unsupported elliptic curve")
		}
	default:
		return malformed(fmt.Sprintf("invalid public key in CSR: unsupported key type %T", pub))
	}
	return nil
}

// sameKey reports whether two public keys are equal.
func sameKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

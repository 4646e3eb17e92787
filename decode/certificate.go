package decode

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"time"
)

// Certificate is an X.509 certificate (RFC 5280) from a certificate
// download, a v1 new-cert response or a revocation request, parsed.
type Certificate struct {
	// Raw is the DER; for a DER response body it shares the exchange's
	// body bytes.
	Raw []byte `json:"-"`
	// SHA256 is the hex SHA-256 of Raw, the certificate's fingerprint.
	SHA256 string `json:"sha256"`
	// Serial is the serial number in lower-case hex, the form Boulder uses
	// in certificate URLs.
	Serial string `json:"serial"`
	// Subject and Issuer are the distinguished names in RFC 2253 form.
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// DNSNames and IPAddresses are the subjectAltName entries.
	DNSNames    []string `json:"dns_names,omitempty"`
	IPAddresses []string `json:"ip_addresses,omitempty"`
	// NotBefore and NotAfter bound the validity period.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// IsCA is the basicConstraints cA flag.
	IsCA bool `json:"is_ca,omitempty"`
	// Key is the subject public key.
	Key *Key `json:"key,omitempty"`
	// MustStaple is set when the certificate carries the TLS feature
	// extension with status_request (RFC 7633).
	MustStaple bool `json:"must_staple,omitempty"`
}

// ParseCertificate parses one DER certificate.
func ParseCertificate(der []byte) (*Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	out := &Certificate{Raw: der, SHA256: hex.EncodeToString(sum[:]),
		Serial:  hex.EncodeToString(c.SerialNumber.Bytes()),
		Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		DNSNames:  c.DNSNames,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		IsCA: c.IsCA, Key: NewKey(c.PublicKey),
	}
	out.IPAddresses = normaliseIPs(c.IPAddresses)
	_, out.MustStaple = describeExtensions(c.Extensions)
	return out, nil
}

// parseCertificates reads a PEM chain (application/pem-certificate-chain,
// RFC 8555 §9.1) or a single DER certificate (application/pkix-cert,
// RFC 2585). PEM is recognised by its armour, not the Content-Type, since
// servers have been known to mislabel.
func parseCertificates(body []byte) ([]*Certificate, []Issue) {
	if !bytes.Contains(body, []byte("-----BEGIN")) {
		c, err := ParseCertificate(body)
		if err != nil {
			return nil, []Issue{issuef(IssueResponseBadCertificate, "DER certificate: %v", err)}
		}
		return []*Certificate{c}, nil
	}
	var out []*Certificate
	var issues []Issue
	rest := body
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			issues = append(issues, issuef(IssueResponseBadCertificate, "PEM block %q in a certificate chain", block.Type))
			continue
		}
		c, err := ParseCertificate(block.Bytes)
		if err != nil {
			issues = append(issues, issuef(IssueResponseBadCertificate, "certificate %d: %v", len(out)+1, err))
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 && len(issues) == 0 {
		issues = append(issues, issuef(IssueResponseBadCertificate, "no certificate in the PEM body"))
	}
	return out, issues
}

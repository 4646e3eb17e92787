package mitmca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// CertFile and KeyFile are the names of the CA certificate (PEM) and its
// private key (PKCS #8 PEM) inside a CA directory.
const (
	CertFile = "ca.pem"
	KeyFile  = "ca-key.pem"
)

// caValidity is how long a generated CA certificate is valid.
const caValidity = 10 * 365 * 24 * time.Hour

// CA is a loaded certificate authority: its certificate and private key.
// A CA is immutable and safe for concurrent use.
type CA struct {
	// Cert is the parsed CA certificate.
	Cert *x509.Certificate
	// CertPEM is the certificate as stored in CertFile.
	CertPEM []byte
	// Dir is the directory the CA was loaded from or saved to; empty for a
	// CA that only lives in memory.
	Dir string

	key *ecdsa.PrivateKey
}

// Options tunes Generate.
type Options struct {
	// CommonName is the subject common name; "acmeproxy MITM CA" when empty.
	CommonName string
	// PermittedDNSDomains, when not empty, adds a critical X.509 name
	// constraints extension (RFC 5280 §4.2.1.10): the CA can then only
	// vouch for these domains and their subdomains, so a leaked key is
	// useless elsewhere. Clients that ignore name constraints get no such
	// protection. Off by default: a constrained CA cannot intercept a host
	// learned at run time outside the list.
	PermittedDNSDomains []string
	// Now is the issuing time; time.Now when zero.
	Now time.Time
}

// Generate creates a new in-memory CA with a fresh ECDSA P-256 key.
func Generate(opts Options) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mitmca: generating key: %w", err)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	cn := opts.CommonName
	if cn == "" {
		cn = "acmeproxy MITM CA"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"acmeproxy (local interception CA)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	if len(opts.PermittedDNSDomains) > 0 {
		tmpl.PermittedDNSDomains = opts.PermittedDNSDomains
		tmpl.PermittedDNSDomainsCritical = true
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("mitmca: creating CA certificate: %w", err)
	}
	return newCA(der, key, "")
}

func newCA(der []byte, key *ecdsa.PrivateKey, dir string) (*CA, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("mitmca: parsing CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, errors.New("mitmca: certificate is not a CA (basicConstraints cA is false)")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(key.Public()) {
		return nil, errors.New("mitmca: the private key does not match the CA certificate")
	}
	return &CA{Cert: cert, CertPEM: encodePEM("CERTIFICATE", der), Dir: dir, key: key}, nil
}

func randomSerial() *big.Int {
	// 128 random bits, positive (RFC 5280 §4.1.2.2 allows up to 20 octets).
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b)
}

// Fingerprint returns the SHA-256 of the CA certificate's DER in lower-case
// hex, as journal headers record it.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

// FingerprintColons returns Fingerprint in the colon-separated upper-case
// form that browsers and openssl print.
func (ca *CA) FingerprintColons() string {
	sum := sha256.Sum256(ca.Cert.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// Pool returns a certificate pool holding only the CA certificate, for
// clients that should trust the proxy.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// TLSCertificate returns the CA as a tls.Certificate (with Leaf set).
func (ca *CA) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}, PrivateKey: ca.key, Leaf: ca.Cert}
}

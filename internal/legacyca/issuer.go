package legacyca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// oidTLSFeature is id-pe-tlsfeature (RFC 7633), the OCSP Must-Staple
// extension a CSR may request (acme-reference.md §7.6).
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// issuer holds the CA's throw-away hierarchy: a root and the intermediate
// that signs leaves.
type issuer struct {
	rootCert *x509.Certificate
	key      crypto.Signer // intermediate key
	cert     *x509.Certificate
}

// newIssuer creates a P-256 root and intermediate valid from an hour
// before now for ten years.
func newIssuer(now time.Time) (*issuer, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating root key: %w", err)
	}
	root, err := makeCACert(now, "acmeproxy legacyca root", rootKey, nil, rootKey)
	if err != nil {
		return nil, fmt.Errorf("creating root: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating intermediate key: %w", err)
	}
	cert, err := makeCACert(now, "acmeproxy legacyca intermediate", key, root, rootKey)
	if err != nil {
		return nil, fmt.Errorf("creating intermediate: %w", err)
	}
	return &issuer{rootCert: root, key: key, cert: cert}, nil
}

// makeCACert signs a CA certificate for key with parentKey; a nil parent
// makes it self-signed.
func makeCACert(now time.Time, cn string, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"acmeproxy test CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        parent != nil,
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// issue signs a leaf for pub with names, valid from an hour before now
// (Boulder backdated) for lifetime. Must-Staple is copied from the CSR.
func (is *issuer) issue(now time.Time, lifetime time.Duration, csr *x509.CertificateRequest, names []string, issuerURL string) ([]byte, *big.Int, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	cn := strings.ToLower(csr.Subject.CommonName)
	if cn == "" {
		cn = names[0]
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              names,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(-time.Hour).Add(lifetime),
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IssuingCertificateURL: []string{issuerURL},
	}
	for _, ext := range csr.Extensions {
		if ext.Id.Equal(oidTLSFeature) {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, ext)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, is.cert, csr.PublicKey, is.key)
	if err != nil {
		return nil, nil, err
	}
	return der, serial, nil
}

// randomSerial returns a positive 144-bit serial whose hex form is always
// 36 digits, the length of Boulder's v1 serials (§4.1).
func randomSerial() (*big.Int, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] = b[0]&0x7f | 0x10
	return new(big.Int).SetBytes(b), nil
}

// serialHex is the path form of a serial: 36 lower-case hex digits.
func serialHex(serial *big.Int) string {
	return fmt.Sprintf("%036x", serial)
}

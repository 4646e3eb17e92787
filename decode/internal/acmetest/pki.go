package acmetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// OIDTLSFeature is id-pe-tlsfeature (RFC 7633).
var OIDTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// MustStapleValue is the DER of SEQUENCE { INTEGER 5 } (status_request).
var MustStapleValue = []byte{0x30, 0x03, 0x02, 0x01, 0x05}

// CSROptions shapes a CSR.
type CSROptions struct {
	CN         string
	DNSNames   []string
	IPs        []net.IP
	MustStaple bool
	Extra      []pkix.Extension
}

// CSR returns a DER CSR signed by key.
func CSR(key crypto.Signer, o CSROptions) []byte {
	tpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: o.CN}, DNSNames: o.DNSNames, IPAddresses: o.IPs}
	if o.MustStaple {
		tpl.ExtraExtensions = append(tpl.ExtraExtensions, pkix.Extension{Id: OIDTLSFeature, Value: MustStapleValue})
	}
	tpl.ExtraExtensions = append(tpl.ExtraExtensions, o.Extra...)
	der, err := x509.CreateCertificateRequest(rand.Reader, tpl, key)
	must(err)
	return der
}

// CA is a throw-away issuing CA.
type CA struct {
	Key    *ecdsa.PrivateKey
	Cert   *x509.Certificate
	DER    []byte
	serial int64
}

// NewCA makes a self-signed P-256 CA named cn.
func NewCA(cn string) *CA {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, k.Public(), k)
	must(err)
	c, err := x509.ParseCertificate(der)
	must(err)
	return &CA{Key: k, Cert: c, DER: der, serial: 0x0300_0000_0000}
}

// Issue signs a leaf for pub and names, valid 90 days from notBefore.
func (ca *CA) Issue(pub crypto.PublicKey, names []string, notBefore time.Time) []byte {
	ca.serial++
	tpl := &x509.Certificate{SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: notBefore, NotAfter: notBefore.Add(90 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, pub, ca.Key)
	must(err)
	return der
}

// PEMChain returns the leaves followed by the CA certificate as PEM.
func (ca *CA) PEMChain(leaf []byte) []byte {
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.DER})...)
}

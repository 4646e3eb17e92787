package decode_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"slices"
	"testing"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

type csrCase struct {
	name  string
	key   crypto.Signer
	opts  acmetest.CSROptions
	check func(*testing.T, *decode.CSR)
}

func TestParseCSR(t *testing.T) {
	for _, tc := range csrCases(t, newFixture(t)) {
		t.Run(tc.name, func(t *testing.T) {
			c, issues := decode.ParseCSR(acmetest.CSR(tc.key, tc.opts))
			if c == nil || len(issues) != 0 || !c.SignatureValid {
				t.Fatalf("csr %+v issues %v", c, issues)
			}
			tc.check(t, c)
		})
	}
}

func dnsIDs(v ...string) []acme.Identifier {
	var out []acme.Identifier
	for _, s := range v {
		out = append(out, acme.Identifier{Type: acme.IdentifierDNS, Value: s})
	}
	return out
}

func csrCases(t *testing.T, f *fixture) []csrCase {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notStaple, _ := asn1.Marshal([]int{17})
	return []csrCase{
		{"ok/san-and-cn-normalised", f.rs256.Key, acmetest.CSROptions{CN: "Example.COM",
			DNSNames: []string{"www.example.com", "EXAMPLE.com", "www.Example.com"}}, func(t *testing.T, c *decode.CSR) {
			if !slices.Equal(c.DNSNames, []string{"www.example.com", "example.com"}) {
				t.Errorf("dns names %v", c.DNSNames)
			}
			if !slices.Equal(c.Identifiers, dnsIDs("example.com", "www.example.com")) {
				t.Errorf("identifiers %v", c.Identifiers)
			}
			if c.CommonName != "Example.COM" || c.Key.Type != "RSA" || c.Key.Bits != 2048 || c.MustStaple {
				t.Errorf("csr %+v", c)
			}
		}},
		{"ok/cn-not-in-san-is-folded-in", f.es256.Key, acmetest.CSROptions{CN: "extra.example", DNSNames: []string{"a.example"}},
			func(t *testing.T, c *decode.CSR) {
				if !slices.Equal(c.Identifiers, dnsIDs("a.example", "extra.example")) {
					t.Errorf("identifiers %v", c.Identifiers)
				}
			}},
		{"ok/ip-sans", p384, acmetest.CSROptions{CN: "192.0.2.1", IPs: []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")}},
			func(t *testing.T, c *decode.CSR) {
				want := []acme.Identifier{{Type: acme.IdentifierIP, Value: "192.0.2.1"}, {Type: acme.IdentifierIP, Value: "2001:db8::1"}}
				if !slices.Equal(c.Identifiers, want) || c.Key.Curve != "P-384" || c.Key.Bits != 384 {
					t.Errorf("csr %+v", c)
				}
			}},
		{"ok/must-staple", f.es256.Key, acmetest.CSROptions{DNSNames: []string{"a.example"}, MustStaple: true},
			func(t *testing.T, c *decode.CSR) {
				if !c.MustStaple || !slices.Contains(c.Extensions, decode.Extension{OID: "1.3.6.1.5.5.7.1.24", Name: "tlsFeature"}) {
					t.Errorf("must staple %v, extensions %v", c.MustStaple, c.Extensions)
				}
			}},
		{"ok/tls-feature-without-status-request-is-not-must-staple", f.es256.Key, acmetest.CSROptions{DNSNames: []string{"a.example"},
			Extra: []pkix.Extension{{Id: acmetest.OIDTLSFeature, Value: notStaple}}}, func(t *testing.T, c *decode.CSR) {
			if c.MustStaple {
				t.Error("status_request absent but MustStaple set")
			}
		}},
		{"ok/other-extensions-listed", f.es256.Key, acmetest.CSROptions{DNSNames: []string{"a.example"},
			Extra: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}},
			func(t *testing.T, c *decode.CSR) {
				if !slices.Contains(c.Extensions, decode.Extension{OID: "1.2.3.4", Critical: true}) ||
					!slices.Contains(c.Extensions, decode.Extension{OID: "2.5.29.17", Name: "subjectAltName"}) {
					t.Errorf("extensions %v", c.Extensions)
				}
			}},
		{"ok/key-comparable-with-account-key", f.es256.Key, acmetest.CSROptions{DNSNames: []string{"a.example"}},
			func(t *testing.T, c *decode.CSR) {
				if c.Key.Thumbprint != f.es256.Thumbprint || !c.SignatureValid || c.SPKISHA256 == "" {
					t.Errorf("csr key %+v, account %s", c.Key, f.es256.Thumbprint)
				}
			}},
	}
}

func TestParseCSRFaults(t *testing.T) {
	f := newFixture(t)
	t.Run("fail/bad-signature", func(t *testing.T) {
		der := acmetest.CSR(f.rs256.Key, acmetest.CSROptions{DNSNames: []string{"a.example"}})
		der[len(der)-1] ^= 0xff // the last octet belongs to the signature
		c, issues := decode.ParseCSR(der)
		if c == nil || c.SignatureValid || len(issues) != 1 || issues[0].Code != decode.IssueCSRBadSignature {
			t.Errorf("csr %+v issues %v", c, issues)
		}
	})
	t.Run("fail/unparsable", func(t *testing.T) {
		c, issues := decode.ParseCSR([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
		if c != nil || len(issues) != 1 || issues[0].Code != decode.IssueCSRUnparsable {
			t.Errorf("csr %+v issues %v", c, issues)
		}
	})
}

package decode

import (
	"testing"

	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

// BenchmarkVerifySignature is the floor under BenchmarkDecodeMix: the
// signature check alone (hash and verify over a newOrder-sized signing
// input), with the key already parsed.
func BenchmarkVerifySignature(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			s := acmetest.NewSigner(alg)
			j, _ := ParseJWS(s.V2(acmetest.PebbleBase+"/order-plz", acmetest.PebbleBase+"/my-account/1", "bm9uY2U",
				[]byte(`{"identifiers":[{"type":"dns","value":"example.com"},{"type":"dns","value":"www.example.com"}]}`)))
			key := NewKey(s.Key.Public())
			input := j.signingInput()
			b.ReportAllocs()
			for b.Loop() {
				if res := verifySignature(alg, key, input, j.Signature); res.outcome != VerifyValid {
					b.Fatal(res.detail)
				}
			}
		})
	}
}

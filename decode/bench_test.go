package decode_test

import (
	"runtime"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// benchMix is the realistic mix of the benchmark: the constructed Pebble
// conversation (ES256 account, kid-signed POSTs, directory, HEAD nonce,
// self-check GET, renewalInfo GET, a PEM chain, RS256 after the key
// rollover) followed by the Boulder v1 conversation (RS256 with jwk in
// every request, plain GET polls, DER certificates).
func benchMix(b *testing.B) [][]*journal.Exchange {
	b.Helper()
	return [][]*journal.Exchange{acmetest.NewV2().Exchanges(), acmetest.NewV1().Exchanges()}
}

// BenchmarkDecodeMix decodes each conversation with a fresh Decoder, so
// that every kid-signed request is verified with the account key learned
// in the same run. It reports exchanges per second and allocations per
// exchange.
func BenchmarkDecodeMix(b *testing.B) {
	mix := benchMix(b)
	n := 0
	for _, flow := range mix {
		n += len(flow)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		for _, flow := range mix {
			d := decode.NewDecoder()
			for _, e := range flow {
				if m := d.Decode(e); m.JWS != nil && m.JWS.Verification != decode.VerifyValid {
					b.Fatalf("#%d not verified: %s", m.Seq, m.JWS.VerificationDetail)
				}
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := float64(b.N * n)
	b.ReportMetric(total/b.Elapsed().Seconds(), "exchanges/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/exchange")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/exchange")
}

// BenchmarkDecodeKind decodes one exchange of each kind after its
// conversation's prelude.
func BenchmarkDecodeKind(b *testing.B) {
	v2 := acmetest.NewV2().Exchanges()
	v1 := acmetest.NewV1().Exchanges()
	cases := []struct {
		name    string
		prelude []*journal.Exchange
		e       *journal.Exchange
	}{
		{"directory", nil, v2[0]},
		{"nonce-HEAD", v2[:1], v2[1]},
		{"ES256-jwk-newAccount", v2[:2], v2[2]},
		{"ES256-kid-newOrder", v2[:3], v2[3]},
		{"ES256-kid-POST-as-GET", v2[:4], v2[4]},
		{"ES256-kid-finalize-CSR", v2[:12], v2[12]},
		{"ES256-kid-PEM-chain", v2[:14], v2[14]},
		{"RS256-jwk-v1-new-authz", v1[:3], v1[3]},
		{"GET-v1-authz", v1[:7], v1[7]},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			d := decode.NewDecoder()
			for _, e := range tc.prelude {
				d.Decode(e)
			}
			b.ReportAllocs()
			for b.Loop() {
				d.Decode(tc.e)
			}
		})
	}
}

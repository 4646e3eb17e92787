package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// benchSubjects returns n authorizations, pending for an hour at now.
func benchSubjects(n int, status string, now time.Time) []rules.Subject {
	out := make([]rules.Subject, n)
	for i := range out {
		a := orphan(fmt.Sprintf("https://ca.example/authz/%d", i), fmt.Sprintf("n%d.example", i), now)
		a.Status = status
		a.CreatedBy = examplepack.Ref{Source: "rec.jsonl", Line: i + 2, Seq: uint64(i + 1)}
		out[i] = a
	}
	return out
}

// BenchmarkEvaluate measures the cost per subject of one typical rule
// (example_orphaned_pending_authorization: a status check, a bool, a
// time difference compared with a duration parameter), when the
// condition is false ("silent": the common case) and when it fires (the
// evidence expression, the two-placeholder message and the fingerprint
// are then computed too).
func BenchmarkEvaluate(b *testing.B) {
	const n = 1000
	now := date("2024-06-01")
	rs, err := rules.LoadFS(examplepack.FS(), "examplepack", schema())
	if err != nil {
		b.Fatal(err)
	}
	var rule []*rules.Rule
	for _, r := range rs {
		if r.ID == "example_orphaned_pending_authorization" {
			rule = append(rule, r)
		}
	}
	set, err := rules.NewSet(rule)
	if err != nil {
		b.Fatal(err)
	}
	ec := rules.EvalContext{Now: now, CA: "letsencrypt"}
	for _, bc := range []struct{ name, status string }{{"silent", "valid"}, {"fires", "pending"}} {
		subjects := rules.Subjects{rules.KindAuthorization: benchSubjects(n, bc.status, now)}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set.Evaluate(b.Context(), ec, subjects)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/subject")
		})
	}
}

// BenchmarkLoadPack measures loading and compiling the example pack
// (three rules), the fixed cost of every lint.
func BenchmarkLoadPack(b *testing.B) {
	s := schema()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rules.LoadFS(examplepack.FS(), "examplepack", s); err != nil {
			b.Fatal(err)
		}
	}
}

package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// TestRunExamplesReportsFailures checks that a wrong expectation, a
// recording that does not load and an engine error each fail the example.
func TestRunExamplesReportsFailures(t *testing.T) {
	src := oneRule(nil) + doc(
		"    examples:",
		"      - {recording: fires.json, expect: [https://ca.example/authz/1]}",
		"      - {recording: fires.json, expect: {count: 2}}",
		"      - {recording: fires.json, expect: [https://ca.example/authz/9]}",
		"      - {recording: missing.json, expect: {count: 0}}",
		"      - {recording: broken.json, expect: {count: 0}}",
	)
	rs := mustParse(t, src)
	loads := map[string]int{}
	load := func(path string) (rules.Recording, error) {
		loads[path]++
		switch path {
		case "fires.json":
			ec, subjects := twoOrphans()
			subjects[rules.KindAuthorization] = subjects[rules.KindAuthorization][:1]
			return rules.Recording{Context: ec, Subjects: subjects}, nil
		case "broken.json":
			return rules.Recording{Subjects: rules.Subjects{rules.KindAuthorization: {&examplepack.Session{}}}}, nil
		}
		return rules.Recording{}, errors.New("no such recording")
	}
	results := rules.RunExamples(t.Context(), rs, load)
	wantOK := []bool{true, false, false, false, false}
	if len(results) != len(wantOK) {
		t.Fatalf("%d results", len(results))
	}
	for i, res := range results {
		if res.OK() != wantOK[i] {
			t.Errorf("example %d: OK = %v: %s", i, res.OK(), res)
		}
	}
	if loads["fires.json"] != 1 {
		t.Errorf("fires.json loaded %d times, want once", loads["fires.json"])
	}
	if s := results[1].String(); !strings.Contains(s, "r.yaml:10:9: rule sample_rule: example fires.json: fired 1 times") {
		t.Errorf("failure text = %s", s)
	}
}

// TestAuditFindsGaps checks the pack meta-test: a rule without citation,
// remediation or a firing/silent example is reported.
func TestAuditFindsGaps(t *testing.T) {
	rs := mustParse(t, oneRule(nil)+"    examples: [{recording: x.json, expect: {count: 0}}]\n")
	load := func(string) (rules.Recording, error) { return rules.Recording{}, nil }
	errs := rules.Audit(t.Context(), rs, load)
	if len(errs) != 1 {
		t.Fatalf("errs = %v", errs)
	}
	want := "r.yaml:2:9: rule sample_rule lacks a remediation, a citation, an example where it fires"
	if errs[0].Error() != want {
		t.Errorf("err = %v\nwant  %s", errs[0], want)
	}
}

package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// loadErrorCase is a broken rule file and its first load error.
type loadErrorCase struct {
	name    string
	src     string
	wantPos string // file:line[:col] of the (first) error
	wantMsg string // substring of its message
}

// TestLoadErrors checks that every kind of mistake in a rule file is a
// load error naming the file, line and column of its cause.
func TestLoadErrors(t *testing.T) {
	for _, tc := range loadErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.ParseFile("r.yaml", []byte(tc.src), schema())
			errs := loadErrors(t, err)
			got := errs[0]
			if got.Pos.String() != tc.wantPos || !strings.Contains(got.Msg, tc.wantMsg) {
				t.Errorf("first error = %v\nwant at %s: …%s…\nsource:\n%s", got, tc.wantPos, tc.wantMsg, tc.src)
			}
		})
	}
}

func loadErrorCases() []loadErrorCase {
	return []loadErrorCase{
		{"fail/unknown-key", oneRule(nil) + "    conditon: true\n", "r.yaml:8:5", `unknown key "conditon" (did you mean "condition"?)`},
		{"fail/unknown-top-level-key", "rule: []\n" + oneRule(nil), "r.yaml:1:1", `unknown key "rule" (did you mean "rules"?)`},
		{"fail/unknown-key-in-citation", oneRule(nil) + "    citations: [{ref: RFC 8555, link: x}]\n", "r.yaml:8:33", `unknown key "link"`},
		{"fail/unknown-key-in-param", oneRule(nil) + "    params: {n: {type: int, default: 1, desc: x}}\n", "r.yaml:8:41", `unknown key "desc" (known: default, description, type)`},
		{"fail/bad-severity", oneRule(map[string]string{"severity": "high"}), "r.yaml:4:15", `unknown severity "high"`},
		{"fail/severity-capitalised", oneRule(map[string]string{"severity": "Warning"}), "r.yaml:4:15", `unknown severity "Warning"`},
		{"fail/bad-id-dashes", oneRule(map[string]string{"id": "sample-rule"}), "r.yaml:2:9", "is not snake_case"},
		{"fail/bad-id-upper", oneRule(map[string]string{"id": "Sample_rule"}), "r.yaml:2:9", "is not snake_case"},
		{"fail/bad-id-too-long", oneRule(map[string]string{"id": strings.Repeat("a", 65)}), "r.yaml:2:9", "longer than 64"},
		{"fail/missing-id", oneRule(map[string]string{"id": "-"}), "r.yaml:2:5", "rule without an id"},
		{"fail/missing-condition", oneRule(map[string]string{"condition": "-"}), "r.yaml:2:9", `missing required key "condition"`},
		{"fail/missing-message", oneRule(map[string]string{"message": "-"}), "r.yaml:2:9", `missing required key "message"`},
		{"fail/expr-typo", oneRule(map[string]string{"condition": `authz.Statu == "pending"`}), "r.yaml:6:22", "condition: type examplepack.Authz has no field Statu"},
		{"fail/expr-syntax", oneRule(map[string]string{"condition": `authz.Status ==`}), "r.yaml:6:30", "condition: unexpected token EOF"},
		{"fail/expr-type-error", oneRule(map[string]string{"condition": `authz.Status > 3`}), "r.yaml:6:29", "mismatched types string and int"},
		{"fail/expr-unknown-variable", oneRule(map[string]string{"condition": `order.Status == "x"`}), "r.yaml:6:16", "unknown name order"},
		{"fail/expr-now-builtin-disabled", oneRule(map[string]string{"condition": `now() > now`}), "r.yaml:6:16", "is not callable"},
		{"fail/expr-helper-wrong-argument", oneRule(map[string]string{"condition": `problem(1) == ""`}), "r.yaml:6:24", "cannot use int as argument (type string)"},
		{"fail/params-type-error", oneRule(map[string]string{"condition": `params.n + "x" == ""`}) + "    params: {n: {type: int, default: 3}}\n",
			"r.yaml:6:25", "mismatched types int and string"},
		{"fail/params-unknown", oneRule(map[string]string{"condition": `params.m > 1`}), "r.yaml:6:23", "params has no field m"},
		{"fail/non-bool-condition", oneRule(map[string]string{"condition": `authz.Identifier`}), "r.yaml:6:16", "condition: must be true or false, but got string"},
		{"fail/multi-line-condition-typo", strings.Replace(oneRule(nil), `    condition: authz.Status == "pending"`,
			"    condition: |\n      authz.Status == \"pending\"\n        && authz.Triggerd", 1), "r.yaml:8:18", "has no field Triggerd"},
		{"fail/folded-condition-typo", strings.Replace(oneRule(nil), `    condition: authz.Status == "pending"`,
			"    condition: >\n      authz.Status == \"pending\"\n      && authz.Triggerd", 1), "r.yaml:8:16", "has no field Triggerd"},
		{"fail/quoted-condition-typo", oneRule(map[string]string{"condition": `"authz.Statu == 'x'"`}), "r.yaml:6:23", "has no field Statu"},
		{"fail/template-unterminated", oneRule(map[string]string{"message": `"Pending {{ authz.Identifier"`}), "r.yaml:7:23", "unterminated {{"},
		{"fail/template-empty", oneRule(map[string]string{"message": `"Pending {{ }}"`}), "r.yaml:7:23", "empty {{ }}"},
		{"fail/template-typo", oneRule(map[string]string{"message": `Pending {{ authz.Identifer }}`}), "r.yaml:7:31", "message: type examplepack.Authz has no field Identifer"},
		{"fail/bad-param-type", oneRule(nil) + "    params: {n: {type: integer, default: 1}}\n", "r.yaml:8:24", `unknown parameter type "integer"`},
		{"fail/param-default-wrong-type", oneRule(nil) + "    params: {n: {type: int, default: five}}\n", "r.yaml:8:38", `default: want an int, got the string "five"`},
		{"fail/param-duration-not-string", oneRule(nil) + "    params: {d: {type: duration, default: 15}}\n", "r.yaml:8:43", "want a duration such as"},
		{"fail/param-duration-bad", oneRule(nil) + "    params: {d: {type: duration, default: 15 minutes}}\n", "r.yaml:8:43", `got "15 minutes"`},
		{"fail/param-list-not-strings", oneRule(nil) + "    params: {l: {type: list, default: [1]}}\n", "r.yaml:8:39", "item 1 is int 1"},
		{"fail/param-missing-default", oneRule(nil) + "    params: {n: {type: int}}\n", "r.yaml:8:14", `missing required key "default"`},
		{"fail/param-bad-name", oneRule(nil) + "    params: {Max: {type: int, default: 1}}\n", "r.yaml:8:14", `parameter name "Max" is not snake_case`},
		{"fail/bad-date-format", oneRule(nil) + "    effective: June 2025\n", "r.yaml:8:16", `effective: want a date YYYY-MM-DD, got "June 2025"`},
		{"fail/bad-date-value", oneRule(nil) + "    ineffective: 2025-13-01\n", "r.yaml:8:18", "want a date YYYY-MM-DD"},
		{"fail/dates-reversed", oneRule(nil) + "    effective: 2025-01-01\n    ineffective: 2024-01-01\n", "r.yaml:9:18", "is not after effective date"},
		{"fail/unknown-subject", oneRule(map[string]string{"subject": "challenge"}), "r.yaml:5:14", `unknown subject "challenge"`},
		{"fail/bad-ca-id", oneRule(nil) + "    ca: [Let's Encrypt]\n", "r.yaml:8:9", `CA id "Let's Encrypt"`},
		{"fail/citation-without-ref", oneRule(nil) + "    citations: [{url: https://x.example}]\n", "r.yaml:8:17", "citation without a ref"},
		{"fail/citation-bad-url", oneRule(nil) + "    citations: [{ref: x, url: ftp://x}]\n", "r.yaml:8:17", "not an http(s) URL"},
		{"fail/evidence-not-refs", oneRule(nil) + "    evidence: authz.Identifier\n", "r.yaml:8:15", "evidence: string is not evidence"},
		{"fail/evidence-a-time", oneRule(nil) + "    evidence: authz.Created\n", "r.yaml:8:15", "evidence: time.Time is not evidence"},
		{"fail/example-bad-expect", oneRule(nil) + "    examples: [{recording: x.json, expect: {cnt: 1}}]\n", "r.yaml:8:44", "expect: want {count: N}"},
		{"fail/example-without-expect", oneRule(nil) + "    examples: [{recording: x.json}]\n", "r.yaml:8:16", "example without expect"},
		{"fail/title-is-a-mapping", oneRule(map[string]string{"title": "{a: 1}"}), "r.yaml:3", "cannot unmarshal a mapping into string"},
		{"fail/yaml-syntax", "rules:\n  - id: x\n    title: [y\n", "r.yaml:2", "did not find expected"},
		{"fail/version", "version: 2\n" + oneRule(nil), "r.yaml:1:10", "unsupported rule file version 2"},
		{"fail/config-not-rules", "extends: acmeproxy:all\n", "r.yaml:1:1", "not a rule file"},
		{"fail/empty", "", "r.yaml", "empty file"},
		{"fail/duplicate-id", oneRule(nil) + strings.TrimPrefix(oneRule(nil), "rules:\n"), "r.yaml:8:9", "duplicate rule id (first defined at r.yaml:2:9)"},
	}
}

// TestLoadErrorsAllReported checks that loading goes on after a mistake,
// so one check shows every mistake of the file.
func TestLoadErrorsAllReported(t *testing.T) {
	src := doc(
		"rules:",
		"  - id: first_rule",
		"    title: One",
		"    severity: high",
		"    subject: authorization",
		"    condition: authz.Statu == 'x'",
		"    message: m",
		"  - id: Second",
		"    title: Two",
		"    severity: info",
		"    subject: order",
		"    condition: order.Status == 'x'",
		"    message: m",
	)
	_, err := rules.ParseFile("r.yaml", []byte(src), schema())
	errs := loadErrors(t, err)
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2 (the bad severity and the bad id):\n%v", len(errs), errs)
	}
	if errs[0].Excerpt != "    severity: high" {
		t.Errorf("excerpt = %q", errs[0].Excerpt)
	}
}

// TestSubjectNotInSchema checks that a kind the schema has no type for is a
// load error, not a rule that never runs.
func TestSubjectNotInSchema(t *testing.T) {
	s := schema()
	delete(s.Kinds, rules.KindOrder)
	_, err := rules.ParseFile("r.yaml", []byte(oneRule(map[string]string{"subject": "order", "condition": "true", "message": "m"})), s)
	errs := loadErrors(t, err)
	if !strings.Contains(errs[0].Msg, "schema registers no type") || errs[0].Pos.String() != "r.yaml:5:14" {
		t.Errorf("got %v", errs[0])
	}
}

// TestSchemaErrors checks that a malformed Schema is refused.
func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema *rules.Schema
		want   string
	}{
		{"fail/nil-type", &rules.Schema{Kinds: map[rules.Kind]any{rules.KindOrder: nil}}, "nil type"},
		{"fail/not-a-subject", &rules.Schema{Kinds: map[rules.Kind]any{rules.KindOrder: ""}}, "does not implement rules.Subject"},
		{"fail/func-shadows-variable", &rules.Schema{Funcs: map[string]any{"now": func() int { return 1 }}}, "not a free identifier"},
		{"fail/func-not-func", &rules.Schema{Funcs: map[string]any{"x": 1}}, "is not a func"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.ParseFile("r.yaml", []byte(oneRule(nil)), tc.schema)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want …%s…", err, tc.want)
			}
		})
	}
}

// TestReferenceFile loads testdata/reference.yaml, which uses every field,
// and checks that each one arrived.
func TestReferenceFile(t *testing.T) {
	rs, err := rules.LoadPaths([]string{"testdata/reference.yaml"}, schema())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d rules, want 1", len(rs))
	}
	r := rs[0]
	checks := []struct {
		field string
		ok    bool
	}{
		{"id", r.ID == "reference_every_field"},
		{"title", r.Title == "Every field of a rule, in one place"},
		{"description", strings.HasPrefix(r.Description, "Longer prose")},
		{"severity", r.Severity == rules.Warning},
		{"status", r.Status == rules.StatusExperimental},
		{"subject", r.Subject == rules.KindAuthorization},
		{"condition", strings.Contains(r.Condition, "params.idle_after")},
		{"evidence", r.Evidence == "[authz.CreatedBy]"},
		{"message", strings.Contains(r.Message, "{{ authz.URL }}")},
		{"remediation", r.Remediation != ""},
		{"citations", len(r.Citations) == 2 && r.Citations[0].URL != "" && r.Citations[1].URL == ""},
		{"params", len(r.Params) == 6},
		{"effective", r.Effective.Equal(time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"ineffective", r.Ineffective.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"ca", len(r.CA) == 3 && r.CA[2] == "pebble"},
		{"tags", len(r.Tags) == 2},
		{"examples", len(r.Examples) == 2 && r.Examples[0].Expect.Keys != nil && r.Examples[1].Expect.Count == 0},
		{"pos", r.Pos.String() == "testdata/reference.yaml:6:9"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("field %s not loaded as written: %+v", c.field, r)
		}
	}
	wantParams := map[string]any{
		"idle_after": 15 * time.Minute, "max_pending": 300, "max_refs": 10.0,
		"label": "", "strict": false, "ignored_names": []string{"localhost"},
	}
	for _, p := range r.Params {
		if w := wantParams[p.Name]; !equalValue(p.Default, w) {
			t.Errorf("param %s default = %#v, want %#v", p.Name, p.Default, w)
		}
	}
	if got := r.Examples[0].Path; got != "testdata/../examplepack/testdata/orphan.json" && got != "examplepack/testdata/orphan.json" {
		t.Errorf("example path = %q", got)
	}
	for _, res := range rules.RunExamples(t.Context(), rs, examplepackLoader) {
		if !res.OK() {
			t.Error(res)
		}
	}
}

// equalValue compares parameter values, including string lists.
func equalValue(a, b any) bool {
	la, ok1 := a.([]string)
	lb, ok2 := b.([]string)
	if ok1 || ok2 {
		return strings.Join(la, "\x00") == strings.Join(lb, "\x00") && ok1 == ok2
	}
	return a == b
}

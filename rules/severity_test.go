package rules_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// TestSeverityText checks the spelling, the order and the rejection of
// unknown words.
func TestSeverityText(t *testing.T) {
	for _, s := range rules.Severities() {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back rules.Severity
		if err := back.UnmarshalText(b); err != nil || back != s || s.String() != string(b) {
			t.Errorf("%v: round trip gave %v, %v", s, back, err)
		}
	}
	if !(rules.Error > rules.Warning && rules.Warning > rules.Notice && rules.Notice > rules.Info) {
		t.Error("severities are not ordered")
	}
	for _, bad := range []string{"", "Error", "warn", "fatal", "off"} {
		var s rules.Severity
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := rules.Severity(0).MarshalText(); err == nil {
		t.Error("zero severity marshalled")
	}
	if got := rules.Severity(9).String(); got != "Severity(9)" {
		t.Errorf("String() = %q", got)
	}
	b, _ := json.Marshal(rules.Finding{Severity: rules.Notice})
	if !json.Valid(b) || !strings.Contains(string(b), `"severity":"notice"`) {
		t.Errorf("JSON = %s", b)
	}
}

// TestKindsAndParamTypes checks the kind and parameter-type enums.
func TestKindsAndParamTypes(t *testing.T) {
	wantVar := map[rules.Kind]string{rules.KindAuthorization: "authz", rules.KindOrder: "order", rules.KindExchange: "exchange",
		rules.KindAccount: "account", rules.KindCertificate: "certificate", rules.KindSession: "session"}
	for _, k := range rules.Kinds() {
		var back rules.Kind
		if err := back.UnmarshalText([]byte(k)); err != nil || back != k || k.Var() != wantVar[k] {
			t.Errorf("%s: %v, var %s", k, err, k.Var())
		}
	}
	var k rules.Kind
	if k.UnmarshalText([]byte("config")) == nil || k.UnmarshalText([]byte("challenge")) == nil {
		t.Error("config or challenge accepted as a rule subject")
	}
	for _, name := range []string{"int", "float", "string", "bool", "duration", "list"} {
		var p rules.ParamType
		if err := p.UnmarshalText([]byte(name)); err != nil || p.String() != name {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestMessageFormatting checks how placeholder values print.
func TestMessageFormatting(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	tests := []struct{ message, want string }{
		{`"{{ now }}"`, "2024-06-01T11:00:00Z"},
		{`"{{ now - authz.Created }}"`, "1h0m0s"},
		{`"{{ params.names }}"`, "a.example, b.example"},
		{`"{{ 1.5 }} {{ 2 }} {{ true }} {{ nil }}."`, "1.5 2 true ."},
		{`"literal {{ \"{{\" }} braces }}"`, "literal {{ braces }}"},
		{`"{{ authz.Identifier | upper() }}"`, "A.EXAMPLE"},
		{`">{{ authz.URL }}<"`, ">https://ca.example/authz/1<"},
		{"'  padded  '", "padded"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			src := oneRule(map[string]string{"message": tc.message}) +
				"    params: {names: {type: list, default: [a.example, b.example]}}\n"
			set, err := rules.NewSet(mustParse(t, src))
			if err != nil {
				t.Fatal(err)
			}
			findings, errs := set.Evaluate(t.Context(), rules.EvalContext{Now: now},
				rules.Subjects{rules.KindAuthorization: {orphan("https://ca.example/authz/1", "a.example", now)}})
			if len(errs) > 0 || len(findings) != 1 {
				t.Fatalf("%v %v", findings, errs)
			}
			if findings[0].Message != tc.want {
				t.Errorf("message = %q, want %q", findings[0].Message, tc.want)
			}
		})
	}
}

package rules_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// build loads the configuration dir/acmeproxy.yaml and builds it over the
// example pack.
func build(t *testing.T, dir string, extraRules ...string) (*rules.Set, error) {
	t.Helper()
	cfg, err := rules.LoadConfig(filepath.Join(dir, "acmeproxy.yaml"))
	if err != nil {
		return nil, err
	}
	return rules.Build(cfg, rules.Options{Schema: schema(), Builtin: examplepack.FS(), Rules: extraRules})
}

// TestConfigErrors checks each mistake a configuration can hold: a load
// error at its line and column.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     string
		wantPos string // relative to the config directory
		wantMsg string
	}{
		{"fail/unknown-key", "suppression: []\n", "acmeproxy.yaml:1:1", `unknown key "suppression" (did you mean "suppressions"?)`},
		{"fail/unknown-rule-id", "rules:\n  example_bad_nonse: error\n", "acmeproxy.yaml:2:3", `unknown rule id "example_bad_nonse" (did you mean "example_bad_nonce"?)`},
		{"fail/bad-severity", "rules:\n  example_bad_nonce: high\n", "acmeproxy.yaml:2:22", `unknown severity "high" (want error, warning, notice, info or off)`},
		{"fail/bad-severity-in-mapping", "rules:\n  example_bad_nonce: {severity: fatal}\n", "acmeproxy.yaml:2:33", `unknown severity "fatal"`},
		{"fail/unknown-key-in-override", "rules:\n  example_bad_nonce: {severty: error}\n", "acmeproxy.yaml:2:23", `unknown key "severty" (did you mean "severity"?)`},
		{"fail/param-wrong-type", "rules:\n  example_orphaned_pending_authorization:\n    params: {idle_after: 5}\n",
			"acmeproxy.yaml:3:26", "parameter idle_after (duration): want a duration such as 90s, 15m or 168h, got int 5"},
		{"fail/param-int-given-string", "rules:\n  example_pending_authorization_cap:\n    params: {max_pending: lots}\n",
			"acmeproxy.yaml:3:27", `want an int, got the string "lots"`},
		{"fail/param-unknown", "rules:\n  example_orphaned_pending_authorization:\n    params: {idle_aftr: 1h}\n",
			"acmeproxy.yaml:3:14", `unknown parameter "idle_aftr" (did you mean "idle_after"?)`},
		{"fail/params-on-rule-without-params", "rules:\n  example_bad_nonce:\n    params: {x: 1}\n",
			"acmeproxy.yaml:3:14", `unknown parameter "x"`},
		{"fail/suppression-without-reason", "suppressions:\n  - rule: example_bad_nonce\n", "acmeproxy.yaml:2:5", "suppression of example_bad_nonce without a reason"},
		{"fail/suppression-without-rule", "suppressions:\n  - reason: x\n", "acmeproxy.yaml:2:5", "suppression without a rule"},
		{"fail/suppression-unknown-rule", "suppressions:\n  - {rule: no_such_rule, reason: x}\n", "acmeproxy.yaml:2:5", `suppression of unknown rule id "no_such_rule"`},
		{"fail/suppression-match-typo", "suppressions:\n  - rule: example_orphaned_pending_authorization\n    match: authz.Identifer == 'x'\n    reason: x\n",
			"acmeproxy.yaml:3:18", "suppression match: type examplepack.Authz has no field Identifer"},
		{"fail/suppression-match-other-kind", "suppressions:\n  - rule: example_bad_nonce\n    match: authz.Identifier == 'x'\n    reason: x\n",
			"acmeproxy.yaml:3:12", "unknown name authz"},
		{"fail/suppression-match-not-bool", "suppressions:\n  - rule: example_bad_nonce\n    match: exchange.URL\n    reason: x\n",
			"acmeproxy.yaml:3:12", "must be true or false"},
		{"fail/suppression-bad-expiry", "suppressions:\n  - {rule: example_bad_nonce, reason: x, expires: next year}\n",
			"acmeproxy.yaml:2:51", `expires: want a date YYYY-MM-DD, got "next year"`},
		{"fail/suppression-of-meta-rule", "suppressions:\n  - {rule: expired_suppression, reason: x}\n", "acmeproxy.yaml:2:5", "a meta rule cannot be suppressed"},
		{"fail/unknown-builtin", "extends: acmeproxy:strict\n", "acmeproxy.yaml:1:10", `unknown built-in "acmeproxy:strict"`},
		{"fail/extends-missing-path", "extends: [acmeproxy:all, nope.yaml]\n", "nope.yaml", "cannot stat: no such file or directory"},
		{"fail/baseline-missing", "baseline: nope.json\n", "acmeproxy.yaml:1:11", "baseline: cannot open: no such file or directory"},
		{"fail/rule-file-given", "rules:\n  - id: x\n", "acmeproxy.yaml:1:1", "not a configuration but a rule file"},
		{"fail/extends-itself", "extends: acmeproxy.yaml\n", "acmeproxy.yaml", "configuration extends itself"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"acmeproxy.yaml": tc.cfg})
			_, err := build(t, dir)
			errs := loadErrors(t, err)
			got := errs[0]
			rel := got.Pos
			rel.File, _ = filepath.Rel(dir, got.Pos.File)
			if rel.String() != tc.wantPos || !strings.Contains(got.Msg, tc.wantMsg) {
				t.Errorf("first error = %v\nwant at %s: …%s…", got, tc.wantPos, tc.wantMsg)
			}
		})
	}
}

// TestConfigSelection checks extends, severity words, off, parameter
// overrides and configuration inheritance.
func TestConfigSelection(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want map[string]string // rule id → "off" or effective severity
	}{
		{"ok/default-is-recommended", "{}\n", map[string]string{
			"example_bad_nonce": "off", "example_orphaned_pending_authorization": "warning",
			"example_pending_authorization_cap": "warning", "expired_suppression": "warning"}},
		{"ok/all", "extends: acmeproxy:all\n", map[string]string{"example_bad_nonce": "notice"}},
		{"ok/no-builtins", "extends: []\n", map[string]string{
			"example_bad_nonce": "off", "example_orphaned_pending_authorization": "off", "expired_suppression": "warning"}},
		{"ok/severity-word-enables", "rules:\n  example_bad_nonce: error\n", map[string]string{"example_bad_nonce": "error"}},
		{"ok/off", "rules:\n  example_orphaned_pending_authorization: off\n  expired_suppression: off\n",
			map[string]string{"example_orphaned_pending_authorization": "off", "expired_suppression": "off"}},
		{"ok/mapping-keeps-severity", "rules:\n  example_bad_nonce: {params: {}}\n", map[string]string{"example_bad_nonce": "notice"}},
		{"ok/user-rules-enabled", "extends: [rules/]\n", map[string]string{
			"user_rule": "info", "example_orphaned_pending_authorization": "off"}},
		{"ok/inherits-config", "extends: base.yaml\nrules:\n  example_bad_nonce: warning\n", map[string]string{
			"example_bad_nonce": "warning", "example_pending_authorization_cap": "off",
			"example_orphaned_pending_authorization": "warning"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				"acmeproxy.yaml":  tc.cfg,
				"base.yaml":       "rules:\n  example_bad_nonce: error\n  example_pending_authorization_cap: off\n",
				"rules/user.yaml": oneRule(map[string]string{"id": "user_rule", "severity": "info"}),
			})
			set, err := build(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.want {
				e, ok := set.Lookup(id)
				got := e.Severity.String()
				if !e.Enabled {
					got = "off"
				}
				if !ok || got != want {
					t.Errorf("%s: %s, want %s", id, got, want)
				}
			}
		})
	}
}

// TestReferenceConfig builds testdata/reference-config.yaml, which uses
// every configuration field.
func TestReferenceConfig(t *testing.T) {
	cfg, err := rules.LoadConfig("testdata/reference-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Extends) != 2 || len(cfg.Rules) != 3 || len(cfg.Suppressions) != 2 || cfg.Baseline == "" {
		t.Fatalf("not every field loaded: %+v", cfg)
	}
	if cfg.Suppressions[0].Expires != time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("expires = %v", cfg.Suppressions[0].Expires)
	}
	set, err := rules.Build(cfg, rules.Options{Schema: schema(), Builtin: examplepack.FS()})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := set.Lookup("reference_every_field")
	if !e.Enabled || e.Severity != rules.Notice || e.Params["idle_after"] != 30*time.Minute ||
		!equalValue(e.Params["ignored_names"], []string{"localhost", "test.example"}) || e.Params["max_pending"] != 300 {
		t.Errorf("reference_every_field = %+v", e)
	}
	if e, _ := set.Lookup("example_pending_authorization_cap"); e.Enabled {
		t.Error("example_pending_authorization_cap should be off")
	}
	if e, _ := set.Lookup("example_bad_nonce"); !e.Enabled || e.Severity != rules.Error {
		t.Errorf("example_bad_nonce = %+v", e)
	}
}

// TestParseConfigKeepsPathsRelative checks that paths in a configuration
// resolve against its own directory.
func TestParseConfigKeepsPathsRelative(t *testing.T) {
	cfg, err := rules.ParseConfig("conf/acmeproxy.yaml", []byte("extends: [acmeproxy:all, ../team/rules]\nbaseline: base.json\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Extends[1].Path != filepath.FromSlash("team/rules") || cfg.Baseline != filepath.FromSlash("conf/base.json") {
		t.Errorf("paths = %q, %q", cfg.Extends[1].Path, cfg.Baseline)
	}
}

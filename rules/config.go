package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Built-in names that `extends` accepts besides paths.
const (
	// ExtendsRecommended enables the built-in rules whose status is stable.
	ExtendsRecommended = "acmeproxy:recommended"
	// ExtendsAll enables every built-in rule except deprecated ones.
	ExtendsAll = "acmeproxy:all"
)

// DefaultConfigFile is the conventional name of the project configuration.
const DefaultConfigFile = "acmeproxy.yaml"

// Config is a parsed project configuration (acmeproxy.yaml). It is turned
// into a Set by Build, which is where rule ids, parameter types and
// suppression expressions are checked against the loaded rules.
type Config struct {
	// File is the configuration's path, as given.
	File string
	// Extends lists what the configuration builds on, in order. Nil means
	// the key was absent, which is the same as [acmeproxy:recommended];
	// an empty list means no built-in rules at all.
	Extends []Extend
	// Rules are the per-rule settings, in file order.
	Rules []Override
	// Suppressions accept findings by rule and subject.
	Suppressions []SuppressionRule
	// Baseline is the path of the baseline file, resolved against the
	// configuration's directory ("" when none).
	Baseline    string
	BaselinePos Pos

	src *source
}

// Extend is one entry of `extends`: a built-in name (ExtendsRecommended,
// ExtendsAll) or a path, resolved against the configuration's directory,
// to a rule file, a directory of rule files or another configuration.
type Extend struct {
	Name string
	Path string // "" for built-in names
	Pos  Pos
}

// Override is one entry of `rules:`: a rule id mapped to a severity word,
// to off, or to {severity, params}.
type Override struct {
	ID       string
	Off      bool
	Severity Severity // 0: keep the rule's own
	Params   []ParamSetting
	Pos      Pos

	src *source
}

// ParamSetting is a parameter value set by a configuration, as decoded
// from YAML; Build checks it against the parameter's declared type.
type ParamSetting struct {
	Name  string
	Value any
	Pos   Pos

	node *yaml.Node
}

// SuppressionRule is one entry of `suppressions:`. Match is an expression
// over the subject of the named rule's kind (the same variables as the
// rule's condition); empty matches every subject. Expires is the last day
// (UTC) the suppression holds; after it the suppression no longer applies
// and is itself reported by the expired_suppression rule.
type SuppressionRule struct {
	Rule    string
	Match   string
	Reason  string
	Expires time.Time
	Pos     Pos

	src   *source
	match *yaml.Node
}

// configDoc is the YAML shape of a configuration.
type configDoc struct {
	Version      at[int]              `yaml:"version"`
	Extends      yaml.Node            `yaml:"extends"`
	Rules        yaml.Node            `yaml:"rules"`
	Suppressions []at[suppressionDoc] `yaml:"suppressions"`
	Baseline     at[string]           `yaml:"baseline"`
}

type overrideDoc struct {
	Severity at[string] `yaml:"severity"`
	Params   yaml.Node  `yaml:"params"`
}

type suppressionDoc struct {
	Rule    at[string] `yaml:"rule"`
	Match   at[string] `yaml:"match"`
	Reason  at[string] `yaml:"reason"`
	Expires at[string] `yaml:"expires"`
}

// LoadConfig reads a configuration file. Entries of `extends` that are
// themselves configurations are read too and merged underneath it (their
// rules settings and suppressions first, so the including file wins).
func LoadConfig(path string) (*Config, error) {
	var errs errList
	cfg := loadConfig(path, map[string]bool{}, &errs)
	return cfg, errs.err()
}

func loadConfig(path string, seen map[string]bool, errs *errList) *Config {
	abs, _ := filepath.Abs(path)
	if seen[abs] {
		errs.add(&LoadError{Pos: Pos{File: path}, Msg: "configuration extends itself"})
		return nil
	}
	seen[abs] = true
	defer delete(seen, abs)
	data, err := os.ReadFile(path)
	if err != nil {
		errs.add(&LoadError{Pos: Pos{File: path}, Msg: statMessage(err)})
		return nil
	}
	cfg := parseConfig(path, data, errs)
	if cfg == nil {
		return nil
	}
	return cfg.inherit(seen, errs)
}

// ParseConfig parses a configuration without reading the files it names.
// Paths in it resolve against the directory of name.
func ParseConfig(name string, data []byte) (*Config, error) {
	var errs errList
	cfg := parseConfig(name, data, &errs)
	return cfg, errs.err()
}

func parseConfig(name string, data []byte, errs *errList) *Config {
	src := newSource(name, data, errs)
	root, ok := src.parseNode(data)
	if !ok {
		return nil
	}
	if fileKind(root) == "rules" {
		src.errorf(root, "", "not a configuration but a rule file (a configuration has extends, suppressions, "+
			"baseline or a mapping under rules)")
		return nil
	}
	var doc configDoc
	if !src.decode(root, data, &doc) {
		return nil
	}
	if doc.Version.set() && doc.Version.V != FormatVersion {
		src.errorf(doc.Version.N, "", "unsupported configuration version %d (this build reads %d)", doc.Version.V, FormatVersion)
	}
	cfg := &Config{File: name, src: src}
	cfg.Extends = src.parseExtends(&doc.Extends)
	cfg.Rules = src.parseOverrides(&doc.Rules)
	for _, sd := range doc.Suppressions {
		if sr, ok := src.parseSuppression(sd); ok {
			cfg.Suppressions = append(cfg.Suppressions, sr)
		}
	}
	if doc.Baseline.set() {
		if doc.Baseline.V == "" {
			src.errorf(doc.Baseline.N, "", "baseline: want a file path")
		}
		cfg.Baseline = src.resolve(doc.Baseline.V)
		cfg.BaselinePos = src.pos(doc.Baseline.N)
	}
	return cfg
}

// resolve makes p relative to the source file's directory.
func (s *source) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(s.name), filepath.FromSlash(p))
}

// parseExtends reads `extends:`, one name or a list of names.
func (s *source) parseExtends(n *yaml.Node) []Extend {
	var items []*yaml.Node
	switch n.Kind {
	case 0:
		return nil
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		s.errorf(n, "", "extends: want a name or a list of names")
		return nil
	}
	out := []Extend{}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			s.errorf(it, "", "extends: want %s, %s or a path", ExtendsRecommended, ExtendsAll)
			continue
		}
		e := Extend{Name: it.Value, Pos: s.pos(it)}
		switch {
		case e.Name == ExtendsRecommended || e.Name == ExtendsAll:
		case strings.HasPrefix(e.Name, "acmeproxy:"):
			s.errorf(it, "", "extends: unknown built-in %q (want %s or %s)", e.Name, ExtendsRecommended, ExtendsAll)
			continue
		default:
			e.Path = s.resolve(e.Name)
		}
		out = append(out, e)
	}
	return out
}

// parseOverrides reads `rules:`, a mapping of rule id to a severity word,
// off, or {severity, params}.
func (s *source) parseOverrides(n *yaml.Node) []Override {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "", "rules: want a mapping of rule id to a severity, off, or {severity, params}")
		return nil
	}
	var out []Override
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		o := Override{ID: key.Value, Pos: s.pos(key), src: s}
		if s.parseOverride(&o, val) {
			out = append(out, o)
		}
	}
	return out
}

// parseOverride reads the value of one rules: entry.
func (s *source) parseOverride(o *Override, val *yaml.Node) bool {
	if val.Kind == yaml.ScalarNode {
		return s.overrideSeverity(o, val, val.Value)
	}
	before := len(s.errs.errs)
	var d overrideDoc
	if val.Kind != yaml.MappingNode {
		s.errorf(val, o.ID, "want a severity, off, or {severity, params}")
		return false
	}
	s.checkKeys(val, reflect.TypeOf(&d))
	if len(s.errs.errs) > before || val.Decode(&d) != nil {
		return false
	}
	if d.Severity.set() && !s.overrideSeverity(o, d.Severity.N, d.Severity.V) {
		return false
	}
	switch d.Params.Kind {
	case 0:
	case yaml.MappingNode:
		for i := 0; i+1 < len(d.Params.Content); i += 2 {
			k, v := d.Params.Content[i], d.Params.Content[i+1]
			var raw any
			if err := v.Decode(&raw); err != nil {
				s.errorf(v, o.ID, "params: %v", err)
				return false
			}
			o.Params = append(o.Params, ParamSetting{Name: k.Value, Value: raw, Pos: s.pos(k), node: v})
		}
	default:
		s.errorf(&d.Params, o.ID, "params: want a mapping of parameter name to value")
		return false
	}
	return true
}

// overrideSeverity reads a severity word or off.
func (s *source) overrideSeverity(o *Override, n *yaml.Node, word string) bool {
	if word == "off" {
		o.Off = true
		return true
	}
	sev, err := ParseSeverity(word)
	if err != nil {
		s.errorf(n, o.ID, "unknown severity %q (want error, warning, notice, info or off)", word)
		return false
	}
	o.Severity = sev
	return true
}

// parseSuppression checks one suppressions: entry.
func (s *source) parseSuppression(item at[suppressionDoc]) (SuppressionRule, bool) {
	d := item.V
	sr := SuppressionRule{Rule: d.Rule.V, Match: d.Match.V, Reason: strings.TrimSpace(d.Reason.V),
		Pos: s.pos(item.N), src: s, match: d.Match.N}
	ok := true
	if !d.Rule.set() || sr.Rule == "" {
		s.errorf(item.N, "", "suppression without a rule")
		ok = false
	}
	if sr.Reason == "" {
		s.errorf(item.N, "", "suppression of %s without a reason (say why the finding is accepted)", sr.Rule)
		ok = false
	}
	if d.Expires.set() {
		t, err := time.Parse(time.DateOnly, d.Expires.V)
		if err != nil {
			s.errorf(d.Expires.N, "", "expires: want a date YYYY-MM-DD, got %q", d.Expires.V)
			ok = false
		}
		sr.Expires = t
	}
	return sr, ok
}

// inherit replaces entries of extends that are configurations by their
// own (recursively resolved) extends, and merges their settings first.
func (c *Config) inherit(seen map[string]bool, errs *errList) *Config {
	if c.Extends == nil {
		return c
	}
	merged := &Config{File: c.File, src: c.src, Extends: []Extend{}}
	for _, e := range c.Extends {
		if e.Path == "" || !isConfigFile(e.Path) {
			merged.Extends = append(merged.Extends, e)
			continue
		}
		base := loadConfig(e.Path, seen, errs)
		if base == nil {
			continue
		}
		if base.Extends == nil {
			merged.Extends = append(merged.Extends, Extend{Name: ExtendsRecommended, Pos: e.Pos})
		}
		merged.Extends = append(merged.Extends, base.Extends...)
		merged.Rules = append(merged.Rules, base.Rules...)
		merged.Suppressions = append(merged.Suppressions, base.Suppressions...)
		merged.Baseline, merged.BaselinePos = base.Baseline, base.BaselinePos
	}
	merged.Rules = append(merged.Rules, c.Rules...)
	merged.Suppressions = append(merged.Suppressions, c.Suppressions...)
	if c.Baseline != "" {
		merged.Baseline, merged.BaselinePos = c.Baseline, c.BaselinePos
	}
	return merged
}

// isConfigFile reports whether path is a YAML file that reads as a
// configuration (and not a rule file or a directory).
func isConfigFile(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && IsConfig(data)
}

// String names the configuration for messages.
func (c *Config) String() string {
	if c == nil {
		return "(default configuration)"
	}
	return fmt.Sprintf("configuration %s", c.File)
}

// IsConfig reports whether data reads as a configuration rather than a
// rule file (see the package documentation). Unparsable data is neither.
func IsConfig(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return false
	}
	return fileKind(doc.Content[0]) == "config"
}

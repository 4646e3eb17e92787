package rules

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// buildRule validates one decoded rule and compiles its expressions. It
// returns nil when the rule has a mistake; the mistakes are recorded in
// s.errs, all of them, not only the first.
func (s *source) buildRule(d *ruleDoc, item *yaml.Node, schema *Schema, resolve func(string) string) *Rule {
	before := len(s.errs.errs)
	r := &Rule{
		ID:          d.ID.V,
		Title:       strings.TrimSpace(d.Title.V),
		Description: strings.TrimSpace(d.Description),
		Remediation: strings.TrimSpace(d.Remediation),
		Condition:   d.Condition.V,
		Evidence:    d.Evidence.V,
		Message:     d.Message.V,
		Tags:        d.Tags,
		Pos:         s.pos(d.ID.N),
		Status:      StatusStable,
	}
	s.buildHeader(r, d, item)
	s.buildScope(r, d)
	r.Params = s.buildParams(r.ID, &d.Params)
	s.buildCitations(r, d)
	s.buildExamples(r, d, resolve)
	if len(s.errs.errs) > before {
		return nil
	}
	if !s.compileRule(r, d, schema) {
		return nil
	}
	return r
}

// required reports a missing key of rule id.
func (s *source) required(n *yaml.Node, present bool, id, key string) bool {
	if !present {
		s.errorf(n, id, "missing required key %q", key)
	}
	return present
}

// buildHeader checks id, title, severity, status and subject.
func (s *source) buildHeader(r *Rule, d *ruleDoc, item *yaml.Node) {
	if d.ID.set() {
		switch {
		case !ruleIDRE.MatchString(d.ID.V):
			s.errorf(d.ID.N, "", "rule id %q is not snake_case (lower-case words joined by _, e.g. orphaned_pending_authorization)", d.ID.V)
		case len(d.ID.V) > maxIDLen:
			s.errorf(d.ID.N, "", "rule id %q is longer than %d characters", d.ID.V, maxIDLen)
		}
	} else {
		s.errorf(item, "", "rule without an id")
	}
	id := r.ID
	node := d.ID.N
	if s.required(node, d.Title.set() && r.Title != "", id, "title") && strings.Contains(r.Title, "\n") {
		s.errorf(d.Title.N, id, "title must be one line")
	}
	if s.required(node, d.Severity.set(), id, "severity") {
		if err := r.Severity.UnmarshalText([]byte(d.Severity.V)); err != nil {
			s.errorf(d.Severity.N, id, "%s", trimPkg(err))
		}
	}
	if d.Status.set() {
		if err := r.Status.UnmarshalText([]byte(d.Status.V)); err != nil {
			s.errorf(d.Status.N, id, "%s", trimPkg(err))
		}
	}
	if s.required(node, d.Subject.set(), id, "subject") {
		if err := r.Subject.UnmarshalText([]byte(d.Subject.V)); err != nil {
			s.errorf(d.Subject.N, id, "%s", trimPkg(err))
		}
	}
	s.required(node, d.Condition.set() && strings.TrimSpace(d.Condition.V) != "", id, "condition")
	s.required(node, d.Message.set() && strings.TrimSpace(d.Message.V) != "", id, "message")
}

// trimPkg drops the "rules: " prefix of an error for a load message.
func trimPkg(err error) string { return strings.TrimPrefix(err.Error(), "rules: ") }

// buildScope checks the effective dates and the CA scope.
func (s *source) buildScope(r *Rule, d *ruleDoc) {
	r.Effective = s.date(d.Effective, r.ID, "effective")
	r.Ineffective = s.date(d.Ineffective, r.ID, "ineffective")
	if !r.Effective.IsZero() && !r.Ineffective.IsZero() && !r.Effective.Before(r.Ineffective) {
		s.errorf(d.Ineffective.N, r.ID, "ineffective date %s is not after effective date %s",
			d.Ineffective.V, d.Effective.V)
	}
	for _, ca := range d.CA.V {
		if !caIDRE.MatchString(ca) {
			s.errorf(d.CA.N, r.ID, "CA id %q is not lower-case letters, digits, '.', '-' or '_'", ca)
		}
	}
	r.CA = d.CA.V
}

// date parses a YYYY-MM-DD value as midnight UTC.
func (s *source) date(v at[string], id, key string) time.Time {
	if !v.set() {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v.V)
	if err != nil {
		s.errorf(v.N, id, "%s: want a date YYYY-MM-DD, got %q", key, v.V)
		return time.Time{}
	}
	return t
}

// buildParams checks the parameter declarations and their defaults.
func (s *source) buildParams(id string, n *yaml.Node) []Param {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		s.errorf(n, id, "params: want a mapping of name to {type, default, description}")
		return nil
	}
	var params []Param
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if p, ok := s.buildParam(id, key, val); ok {
			params = append(params, p)
		}
	}
	sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
	return params
}

// buildParam checks one parameter declaration.
func (s *source) buildParam(id string, key, val *yaml.Node) (Param, bool) {
	before := len(s.errs.errs)
	p := Param{Name: key.Value, Pos: s.pos(key)}
	if !paramNameRE.MatchString(p.Name) {
		s.errorf(key, id, "parameter name %q is not snake_case", p.Name)
	}
	var d paramDoc
	s.checkKeys(val, reflect.TypeOf(&d))
	if len(s.errs.errs) > before {
		return p, false
	}
	if err := val.Decode(&d); err != nil {
		s.errorf(val, id, "parameter %s: %s", p.Name, yamlTags.Replace(strings.TrimPrefix(err.Error(), "yaml: ")))
		return p, false
	}
	p.Description = strings.TrimSpace(d.Description)
	if !d.Type.set() {
		s.errorf(key, id, "parameter %s: missing required key \"type\"", p.Name)
		return p, false
	}
	if err := p.Type.UnmarshalText([]byte(d.Type.V)); err != nil {
		s.errorf(d.Type.N, id, "parameter %s: %s", p.Name, trimPkg(err))
		return p, false
	}
	if d.Default.Kind == 0 {
		s.errorf(key, id, "parameter %s: missing required key \"default\"", p.Name)
		return p, false
	}
	v, err := decodeParam(p.Type, &d.Default)
	if err != nil {
		s.errorf(&d.Default, id, "parameter %s: default: %v", p.Name, err)
		return p, false
	}
	p.Default = v
	return p, true
}

// decodeParam decodes a YAML value and converts it to type t.
func decodeParam(t ParamType, n *yaml.Node) (any, error) {
	var raw any
	if err := n.Decode(&raw); err != nil {
		return nil, err
	}
	return t.convert(raw)
}

// buildCitations checks the citations.
func (s *source) buildCitations(r *Rule, d *ruleDoc) {
	for _, c := range d.Citations {
		if strings.TrimSpace(c.V.Ref) == "" {
			s.errorf(c.N, r.ID, "citation without a ref (e.g. \"RFC 8555 §7.5.1\")")
			continue
		}
		if c.V.URL != "" && !strings.HasPrefix(c.V.URL, "https://") && !strings.HasPrefix(c.V.URL, "http://") {
			s.errorf(c.N, r.ID, "citation url %q is not an http(s) URL", c.V.URL)
			continue
		}
		r.Citations = append(r.Citations, c.V)
	}
}

// buildExamples checks the examples.
func (s *source) buildExamples(r *Rule, d *ruleDoc, resolve func(string) string) {
	for _, item := range d.Examples {
		e := item.V
		if !e.Recording.set() || e.Recording.V == "" {
			s.errorf(item.N, r.ID, "example without a recording")
			continue
		}
		ex := Example{Recording: e.Recording.V, Path: resolve(e.Recording.V), Pos: s.pos(item.N)}
		expect, ok := s.buildExpect(r.ID, &e.Expect, item.N)
		if !ok {
			continue
		}
		ex.Expect = expect
		ex.CA = e.CA.V
		if e.Date.set() {
			d, err := time.Parse(time.DateOnly, e.Date.V)
			if err != nil {
				s.errorf(item.N, r.ID, "example date %q: want YYYY-MM-DD", e.Date.V)
				continue
			}
			ex.Date = d
		}
		r.Examples = append(r.Examples, ex)
	}
}

// buildExpect reads `expect: {count: N}` or `expect: [key, ...]`.
func (s *source) buildExpect(id string, n, at *yaml.Node) (Expect, bool) {
	switch n.Kind {
	case yaml.SequenceNode:
		keys := []string{}
		if err := n.Decode(&keys); err != nil {
			s.errorf(n, id, "expect: want a list of subject keys")
			return Expect{}, false
		}
		if dup := firstDuplicate(keys); dup != "" {
			s.errorf(n, id, "expect: subject key %q listed twice", dup)
			return Expect{}, false
		}
		return Expect{Count: len(keys), Keys: keys}, true
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "count" {
			var c int
			if err := n.Content[1].Decode(&c); err != nil || c < 0 {
				s.errorf(n.Content[1], id, "expect: count must be a whole number >= 0")
				return Expect{}, false
			}
			return Expect{Count: c}, true
		}
	case 0:
		s.errorf(at, id, "example without expect ({count: N} or a list of subject keys)")
		return Expect{}, false
	}
	s.errorf(n, id, "expect: want {count: N} or a list of subject keys")
	return Expect{}, false
}

// firstDuplicate returns a value that occurs twice in l, or "".
func firstDuplicate(l []string) string {
	sorted := slices.Sorted(slices.Values(l))
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return sorted[i]
		}
	}
	return ""
}

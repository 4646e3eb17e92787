package rules

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
)

// Options says where Build finds rules besides the configuration.
type Options struct {
	// Schema is what rule expressions are type-checked against.
	Schema *Schema
	// Builtin is the embedded rule pack (nil: none), selected by
	// acmeproxy:recommended and acmeproxy:all.
	Builtin fs.FS
	// BuiltinName prefixes the pack's file names in messages; default
	// "builtin".
	BuiltinName string
	// Rules are extra rule files or directories (--rules); all their rules
	// are enabled.
	Rules []string
}

// Set is the rules a lint runs, with the configuration applied: which
// rules are enabled, at what severity, with which parameter values, the
// suppressions and the baseline. A Set is immutable and safe for
// concurrent use by several goroutines calling Evaluate.
type Set struct {
	entries  []*entry
	byID     map[string]*entry
	supps    []*suppression
	baseline *Baseline
	basePos  Pos
}

// entry is one known rule and its configured state.
type entry struct {
	rule     *Rule
	builtin  bool
	enabled  bool
	severity Severity
	values   map[string]any // parameter values set by configuration
	params   any            // params value for expressions
	supps    []*suppression
}

// Entry is the configured state of one rule, as `rules list` shows it.
type Entry struct {
	Rule     *Rule
	Builtin  bool
	Enabled  bool
	Severity Severity
	// Params holds the effective value of every parameter.
	Params map[string]any
}

// NewSet returns a Set running rules at their own severities and default
// parameters, with no suppressions or baseline: what a rule's examples run
// against.
func NewSet(rules []*Rule) (*Set, error) {
	var errs errList
	rules = slices.Clone(rules)
	checkUnique(rules, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	s := newSet(rules, nil)
	for _, e := range s.entries {
		e.enabled = true
	}
	return s, nil
}

// newSet makes disabled entries at default settings for rules (sorted by
// id); builtin marks rules of the embedded pack.
func newSet(rules []*Rule, builtin map[*Rule]bool) *Set {
	s := &Set{byID: make(map[string]*entry, len(rules))}
	for _, r := range rules {
		e := &entry{rule: r, builtin: builtin[r], severity: r.Severity}
		if r.prog != nil {
			e.params = r.prog.defaults
		}
		s.entries = append(s.entries, e)
		s.byID[r.ID] = e
	}
	return s
}

// Build loads the built-in pack, the rule files named by cfg's extends and
// by opts.Rules, and applies cfg. A nil cfg is the default configuration
// (acmeproxy:recommended, nothing else). Every mistake, in rule files and
// in the configuration, is returned together as LoadErrors.
func Build(cfg *Config, opts Options) (*Set, error) {
	if opts.Schema == nil {
		return nil, errors.New("rules: Build without a Schema")
	}
	if err := opts.Schema.validate(); err != nil {
		return nil, err
	}
	var errs errList
	if cfg == nil {
		cfg = &Config{}
	}
	extends := cfg.Extends
	if extends == nil {
		extends = []Extend{{Name: ExtendsRecommended}}
	}
	var builtin []*Rule
	if opts.Builtin != nil {
		builtin = loadFS(opts.Builtin, cmp.Or(opts.BuiltinName, "builtin"), opts.Schema, &errs)
	}
	paths := slices.Clone(opts.Rules)
	for _, e := range extends {
		if e.Path != "" {
			paths = append(paths, e.Path)
		}
	}
	user := loadPaths(paths, opts.Schema, &errs)
	all := slices.Concat(builtin, user, metaRules())
	checkUnique(all, &errs)
	isBuiltin := make(map[*Rule]bool)
	for _, r := range builtin {
		isBuiltin[r] = true
	}
	s := newSet(all, isBuiltin)
	s.enable(extends, user)
	s.applyOverrides(cfg.Rules, &errs)
	s.compileSuppressions(cfg.Suppressions, opts.Schema, &errs)
	s.loadBaseline(cfg, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// enable turns on the rules selected by extends, every user rule, and the
// meta rules.
func (s *Set) enable(extends []Extend, user []*Rule) {
	for _, x := range extends {
		for _, e := range s.entries {
			switch {
			case !e.builtin || e.rule.Status == StatusDeprecated:
			case x.Name == ExtendsAll:
				e.enabled = true
			case x.Name == ExtendsRecommended && e.rule.Status == StatusStable:
				e.enabled = true
			}
		}
	}
	for _, r := range user {
		if e := s.byID[r.ID]; e != nil && e.rule == r {
			e.enabled = true
		}
	}
	for _, r := range metaRules() {
		s.byID[r.ID].enabled = true
	}
}

// applyOverrides applies the rules: settings of a configuration in order.
func (s *Set) applyOverrides(overrides []Override, errs *errList) {
	for _, o := range overrides {
		e := s.byID[o.ID]
		if e == nil {
			errs.add(o.src.newError(o.Pos, "", "unknown rule id %q%s", o.ID, suggest(o.ID, s.byID)))
			continue
		}
		switch {
		case o.Off:
			e.enabled = false
			continue
		case o.Severity != 0:
			e.severity = o.Severity
		}
		e.enabled = true
		if len(o.Params) > 0 && s.setParams(e, o, errs) {
			e.params = paramsValue(e.rule.prog.params, e.rule.Params, e.values)
		}
	}
}

// setParams checks and records the parameter values of one override.
func (s *Set) setParams(e *entry, o Override, errs *errList) bool {
	ok := true
	if e.rule.prog == nil {
		errs.add(o.src.newError(o.Pos, o.ID, "rule has no parameters"))
		return false
	}
	for _, ps := range o.Params {
		p, found := e.rule.Param(ps.Name)
		if !found {
			known := make(map[string]bool)
			for _, p := range e.rule.Params {
				known[p.Name] = true
			}
			errs.add(o.src.newError(ps.Pos, o.ID, "unknown parameter %q%s", ps.Name, suggest(ps.Name, known)))
			ok = false
			continue
		}
		v, err := p.Type.convert(ps.Value)
		if err != nil {
			errs.add(o.src.newError(o.src.pos(ps.node), o.ID, "parameter %s (%s): %v", ps.Name, p.Type, err))
			ok = false
			continue
		}
		if e.values == nil {
			e.values = make(map[string]any)
		}
		e.values[ps.Name] = v
	}
	return ok
}

// loadBaseline reads the baseline file named by cfg, if any.
func (s *Set) loadBaseline(cfg *Config, errs *errList) {
	if cfg.Baseline == "" {
		return
	}
	s.basePos = cfg.BaselinePos
	f, err := os.Open(cfg.Baseline)
	if err != nil {
		errs.add(cfg.src.newError(cfg.BaselinePos, "", "baseline: %s", statMessage(err)))
		return
	}
	defer f.Close()
	b, err := ReadBaseline(f)
	if err != nil {
		errs.add(cfg.src.newError(cfg.BaselinePos, "", "baseline %s: %v", cfg.Baseline, err))
		return
	}
	s.baseline = b
	s.basePos = Pos{File: cfg.Baseline}
}

// Entries returns every known rule with its configured state, by id.
func (s *Set) Entries() []Entry {
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.export()
	}
	return out
}

// Lookup returns the configured state of rule id.
func (s *Set) Lookup(id string) (Entry, bool) {
	e, ok := s.byID[id]
	if !ok {
		return Entry{}, false
	}
	return e.export(), true
}

// Enabled returns the number of enabled rules.
func (s *Set) Enabled() int {
	n := 0
	for _, e := range s.entries {
		if e.enabled {
			n++
		}
	}
	return n
}

func (e *entry) export() Entry {
	params := make(map[string]any, len(e.rule.Params))
	for _, p := range e.rule.Params {
		params[p.Name] = p.Default
	}
	maps.Copy(params, e.values)
	return Entry{Rule: e.rule, Builtin: e.builtin, Enabled: e.enabled, Severity: e.severity, Params: params}
}

// Suggest returns known rule ids close to id (a few edits away, or
// containing it), for "did you mean" messages.
func (s *Set) Suggest(id string) []string {
	var out []string
	for _, e := range s.entries {
		if editDistance(id, e.rule.ID) <= 3 || (len(id) >= 3 && strings.Contains(e.rule.ID, id)) {
			out = append(out, e.rule.ID)
		}
	}
	sort.Strings(out)
	return out
}

// String summarises the set.
func (s *Set) String() string {
	return fmt.Sprintf("%d rules (%d enabled)", len(s.entries), s.Enabled())
}

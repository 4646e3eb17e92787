package rules

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FormatVersion is the rule file version this build reads. A file may say
// `version: 1`; no other version exists yet.
const FormatVersion = 1

// fileDoc is the YAML shape of a rule file.
type fileDoc struct {
	Version at[int]       `yaml:"version"`
	Rules   []at[ruleDoc] `yaml:"rules"`
}

// ruleDoc is the YAML shape of one rule; see the package documentation.
type ruleDoc struct {
	ID          at[string]       `yaml:"id"`
	Title       at[string]       `yaml:"title"`
	Description string           `yaml:"description"`
	Severity    at[string]       `yaml:"severity"`
	Status      at[string]       `yaml:"status"`
	Subject     at[string]       `yaml:"subject"`
	Condition   at[string]       `yaml:"condition"`
	Evidence    at[string]       `yaml:"evidence"`
	Message     at[string]       `yaml:"message"`
	Remediation string           `yaml:"remediation"`
	Citations   []at[Citation]   `yaml:"citations"`
	Params      yaml.Node        `yaml:"params"`
	Effective   at[string]       `yaml:"effective"`
	Ineffective at[string]       `yaml:"ineffective"`
	CA          at[[]string]     `yaml:"ca"`
	Tags        []string         `yaml:"tags"`
	Examples    []at[exampleDoc] `yaml:"examples"`
}

// paramDoc is the YAML shape of one parameter declaration.
type paramDoc struct {
	Type        at[string] `yaml:"type"`
	Default     yaml.Node  `yaml:"default"`
	Description string     `yaml:"description"`
}

// exampleDoc is the YAML shape of one example.
type exampleDoc struct {
	Recording at[string] `yaml:"recording"`
	Expect    yaml.Node  `yaml:"expect"`
	CA        at[string] `yaml:"ca"`
	Date      at[string] `yaml:"date"`
}

// ParseFile loads the rules of one rule file. name is used in error
// positions and, as an OS path, to resolve example recordings. All the
// mistakes of the file are returned together as LoadErrors.
func ParseFile(name string, data []byte, schema *Schema) ([]*Rule, error) {
	if err := schema.validate(); err != nil {
		return nil, err
	}
	var errs errList
	rules := parseRuleFile(name, data, schema, func(rec string) string {
		return filepath.Join(filepath.Dir(name), filepath.FromSlash(rec))
	}, &errs)
	checkUnique(rules, &errs)
	return rules, errs.err()
}

// parseRuleFile loads one file; resolve maps an example's recording path
// to the path handed to the example loader.
func parseRuleFile(name string, data []byte, schema *Schema, resolve func(string) string, errs *errList) []*Rule {
	src := newSource(name, data, errs)
	root, ok := src.parseNode(data)
	if !ok {
		return nil
	}
	if kind := fileKind(root); kind != "rules" {
		src.errorf(root, "", "not a rule file: a rule file is a mapping with a list under `rules:`%s",
			map[bool]string{true: " (this is a configuration)"}[kind == "config"])
		return nil
	}
	var doc fileDoc
	if !src.decode(root, data, &doc) {
		return nil
	}
	if doc.Version.set() && doc.Version.V != FormatVersion {
		src.errorf(doc.Version.N, "", "unsupported rule file version %d (this build reads %d)", doc.Version.V, FormatVersion)
		return nil
	}
	var rules []*Rule
	for _, item := range doc.Rules {
		if r := src.buildRule(&item.V, item.N, schema, resolve); r != nil {
			rules = append(rules, r)
		}
	}
	return rules
}

// fileKind tells a rule file ("rules") from a configuration ("config") by
// its top-level keys: a configuration has extends, suppressions or
// baseline, or a mapping under rules; a rule file has a list under rules.
func fileKind(root *yaml.Node) string {
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	kind := ""
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k, v := root.Content[i].Value, root.Content[i+1]; {
		case k == "extends" || k == "suppressions" || k == "baseline":
			return "config"
		case k == "rules" && v.Kind == yaml.MappingNode:
			return "config"
		case k == "rules" && v.Kind == yaml.SequenceNode:
			kind = "rules"
		}
	}
	return kind
}

// LoadFS loads every *.yaml and *.yml file of fsys, skipping directories
// named testdata: this is how an embedded rule pack is read. Error
// positions name files as prefix/path; examples resolve to slash paths
// inside fsys.
func LoadFS(fsys fs.FS, prefix string, schema *Schema) ([]*Rule, error) {
	if err := schema.validate(); err != nil {
		return nil, err
	}
	var errs errList
	rules := loadFS(fsys, prefix, schema, &errs)
	checkUnique(rules, &errs)
	return rules, errs.err()
}

func loadFS(fsys fs.FS, prefix string, schema *Schema, errs *errList) []*Rule {
	var rules []*Rule
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return fs.SkipDir
		case d.IsDir() || !isYAML(p):
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		dir := path.Dir(p)
		rules = append(rules, parseRuleFile(path.Join(prefix, p), data, schema, func(rec string) string {
			return path.Join(dir, rec)
		}, errs)...)
		return nil
	})
	if err != nil {
		errs.add(&LoadError{Pos: Pos{File: prefix}, Msg: fmt.Sprintf("reading rule pack: %v", err)})
	}
	return rules
}

// LoadPaths loads rule files and directories of rule files (every *.yaml
// and *.yml below, skipping testdata), as given to --rules.
func LoadPaths(paths []string, schema *Schema) ([]*Rule, error) {
	if err := schema.validate(); err != nil {
		return nil, err
	}
	var errs errList
	rules := loadPaths(paths, schema, &errs)
	checkUnique(rules, &errs)
	return rules, errs.err()
}

func loadPaths(paths []string, schema *Schema, errs *errList) []*Rule {
	var rules []*Rule
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			if seen[abs] {
				continue // named twice (by --rules and by extends, say): one file, one set of rules
			}
			seen[abs] = true
		}
		info, err := os.Stat(p)
		if err != nil {
			errs.add(&LoadError{Pos: Pos{File: p}, Msg: statMessage(err)})
			continue
		}
		if info.IsDir() {
			rules = append(rules, loadFS(os.DirFS(p), p, schema, errs)...)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			errs.add(&LoadError{Pos: Pos{File: p}, Msg: statMessage(err)})
			continue
		}
		rules = append(rules, parseRuleFile(p, data, schema, func(rec string) string {
			return filepath.Join(filepath.Dir(p), filepath.FromSlash(rec))
		}, errs)...)
	}
	return rules
}

// statMessage words a file error without repeating the path.
func statMessage(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return fmt.Sprintf("cannot %s: %v", pe.Op, pe.Err)
	}
	return err.Error()
}

func isYAML(p string) bool {
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")
}

// checkUnique reports rule ids defined twice, naming both places, and
// sorts rules by id.
func checkUnique(rules []*Rule, errs *errList) {
	slices.SortStableFunc(rules, func(a, b *Rule) int { return cmp.Compare(a.ID, b.ID) })
	for i := 1; i < len(rules); i++ {
		if rules[i].ID == rules[i-1].ID {
			errs.add(&LoadError{Pos: rules[i].Pos, Rule: rules[i].ID,
				Msg: fmt.Sprintf("duplicate rule id (first defined at %s)", rules[i-1].Pos)})
		}
	}
}

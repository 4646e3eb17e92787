package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// source is one YAML file being loaded: its display name, its lines (for
// excerpts and expression positions) and the errors found so far.
type source struct {
	name  string
	lines []string
	errs  *errList
}

func newSource(name string, data []byte, errs *errList) *source {
	return &source{name: name, lines: strings.Split(string(data), "\n"), errs: errs}
}

// pos returns the position of n. A nil source (a Config built in Go) gives
// positions without a file.
func (s *source) pos(n *yaml.Node) Pos {
	var p Pos
	if s != nil {
		p.File = s.name
	}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

// newError returns a load error at p, with the excerpt of its line.
func (s *source) newError(p Pos, rule, format string, args ...any) *LoadError {
	e := &LoadError{Pos: p, Rule: rule, Msg: fmt.Sprintf(format, args...)}
	if s != nil && p.File == s.name && p.Line >= 1 && p.Line <= len(s.lines) {
		e.Excerpt = s.lines[p.Line-1]
	}
	return e
}

// errorAt records a load error at p in the source's own error list (used
// while the file is parsed).
func (s *source) errorAt(p Pos, rule, format string, args ...any) {
	s.errs.add(s.newError(p, rule, format, args...))
}

// errorf records a load error at node n.
func (s *source) errorf(n *yaml.Node, rule, format string, args ...any) {
	s.errorAt(s.pos(n), rule, format, args...)
}

// at is a decoded YAML value together with the node it came from, so that
// a later check can name the value's line and column.
type at[T any] struct {
	V T
	N *yaml.Node
}

// UnmarshalYAML keeps the node and decodes the value.
func (a *at[T]) UnmarshalYAML(n *yaml.Node) error {
	a.N = n
	return n.Decode(&a.V)
}

// set reports whether the key was present.
func (a at[T]) set() bool { return a.N != nil }

// elemType lets checkKeys look inside an at.
func (a at[T]) elemType() reflect.Type { return reflect.TypeFor[T]() }

type wrapper interface{ elemType() reflect.Type }

// parseNode reads data into a node tree and returns its root mapping (or
// whatever the top-level node is).
func (s *source) parseNode(data []byte) (*yaml.Node, bool) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			s.errorAt(Pos{File: s.name}, "", "empty file")
		} else {
			s.yamlError(err)
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		s.errorf(&extra, "", "more than one YAML document in the file")
		return nil, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return root, true
}

// decode fills v from data strictly: keys that v does not declare are
// reported with their line, column and the closest known key (walking
// root), and values of the wrong YAML type with their line. It reports
// false when v could not be filled.
func (s *source) decode(root *yaml.Node, data []byte, v any) bool {
	n := len(s.errs.errs)
	s.checkKeys(root, reflect.TypeOf(v))
	if len(s.errs.errs) > n {
		return false
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		s.yamlError(err)
		return false
	}
	return true
}

var (
	yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlTags   = strings.NewReplacer("!!str", "a string", "!!map", "a mapping", "!!seq", "a list",
		"!!int", "an integer", "!!float", "a number", "!!bool", "a boolean", "!!timestamp", "a date",
		"!!null", "nothing")
)

// yamlError converts a yaml.v3 error (syntax or type) into load errors.
func (s *source) yamlError(err error) {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, m := range msgs {
		p := Pos{File: s.name}
		if sub := yamlLineRE.FindStringSubmatch(m); sub != nil {
			p.Line, _ = strconv.Atoi(sub[1])
			m = sub[2]
		}
		m = strings.TrimPrefix(m, "yaml: ")
		s.errorAt(p, "", "%s", yamlTags.Replace(m))
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkKeys walks n alongside the Go type t and reports every mapping key
// that t does not declare. Values whose type decodes itself
// (yaml.Unmarshaler, yaml.Node) are not entered.
func (s *source) checkKeys(n *yaml.Node, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(reflect.TypeFor[wrapper]()) {
		t = reflect.Zero(t).Interface().(wrapper).elemType()
	}
	if n == nil || t == reflect.TypeFor[yaml.Node]() || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			f, ok := fields[key.Value]
			if !ok {
				s.errorf(key, "", "unknown key %q%s", key.Value, suggest(key.Value, fields))
				continue
			}
			s.checkKeys(val, f.Type)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			s.checkKeys(c, t.Elem())
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			s.checkKeys(n.Content[i], t.Elem())
		}
	}
}

// yamlFields maps the YAML key of each field of struct type t to it.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = f
		}
	}
	return m
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// or, when none is close, the list of known keys.
func suggest[V any](key string, known map[string]V) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", 3
	for _, k := range names {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

// Subject is what a rule is evaluated over: an exchange, account,
// authorization, order, certificate or session as the flow ledger sees it.
// The concrete types come from the caller through a Schema, so that this
// package does not import the ledger, and the ledger need not import this
// package: the only required method has no rules type in it.
type Subject interface {
	// SubjectKey is the subject's stable identity within its kind: a URL,
	// a key thumbprint. It feeds the finding's fingerprint, so it should
	// not contain times or line numbers that change between two
	// recordings of the same flow.
	SubjectKey() string
}

// AccountSubject is a Subject that knows its account. Subjects that do not
// implement it get their account from Schema.Account, or have none.
type AccountSubject interface {
	// SubjectAccount is the key of the account the subject belongs to
	// ("" when none is known, e.g. a directory fetch).
	SubjectAccount() string
}

// RefsSubject is a Subject (or any value an evidence expression returns)
// that lists its own evidence as Refs. Values that do not implement it are
// converted by Schema.Evidence.
type RefsSubject interface {
	// SubjectRefs is the evidence: the exchanges that prove what the
	// ledger says about the subject.
	SubjectRefs() []Ref
}

// Ref points at one recorded exchange: the journal (or HAR) it was read
// from, its 1-based line (HAR: entry) and its sequence number. Note is an
// optional word on its role ("created", "triggered", "self-check").
type Ref struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Seq  uint64 `json:"seq,omitempty"`
	Note string `json:"note,omitempty"`
}

// Schema binds the subject kinds to Go types, declares the helper
// functions every expression may call, and adapts the caller's values to
// what findings need. It is what rule expressions are type-checked against
// at load time. A Schema must not be modified once rules are loaded with
// it.
type Schema struct {
	// Kinds maps each kind to a value of the type the caller will pass at
	// evaluation time, for example (*flow.Authz)(nil); the type must
	// implement Subject. A kind missing from the map cannot be used by a
	// rule.
	Kinds map[Kind]any
	// Funcs maps helper names to Go functions (for example
	// "registered_domain": func(string) string); calls are type-checked
	// against the function signatures.
	Funcs map[string]any
	// Account returns the account key of a subject that does not
	// implement AccountSubject. Nil: such subjects have no account.
	Account func(Subject) string
	// Evidence converts a value that is not a Ref, a []Ref or a
	// RefsSubject into refs: a subject, for its default evidence, or what
	// an evidence expression returned (say a flow.Ref, a []flow.Ref or an
	// object with an event history). It reports false when v is not
	// evidence. Nil: only the forms above are evidence. It is also probed
	// at load time with the zero value of an evidence expression's static
	// type, to reject expressions that cannot yield refs.
	Evidence func(v any) ([]Ref, bool)
}

// Names that are always bound in an expression environment, besides the
// subject variable and the helper functions.
const (
	varParams = "params" // the rule's parameters, a struct typed from their declarations
	varNow    = "now"    // EvalContext.Now, a time.Time
	varCA     = "ca"     // EvalContext.CA, a string
)

var (
	subjectType = reflect.TypeFor[Subject]()
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// validate checks the schema itself. Its errors are programming errors of
// the caller, not of a rule file.
func (s *Schema) validate() error {
	var errs []error
	reserved := map[string]bool{varParams: true, varNow: true, varCA: true}
	for k, v := range s.Kinds {
		reserved[k.Var()] = true
		switch t := reflect.TypeOf(v); {
		case !k.Valid():
			errs = append(errs, fmt.Errorf("rules: schema names unknown kind %q", k))
		case t == nil:
			errs = append(errs, fmt.Errorf("rules: schema kind %s has a nil type (use a typed nil such as (*T)(nil))", k))
		case !t.Implements(subjectType):
			errs = append(errs, fmt.Errorf("rules: schema kind %s: %s does not implement rules.Subject", k, t))
		}
	}
	for name, fn := range s.Funcs {
		switch {
		case !identRE.MatchString(name) || reserved[name]:
			errs = append(errs, fmt.Errorf("rules: schema function name %q is not a free identifier", name))
		case reflect.TypeOf(fn) == nil || reflect.TypeOf(fn).Kind() != reflect.Func:
			errs = append(errs, fmt.Errorf("rules: schema function %q is not a func", name))
		}
	}
	return errors.Join(errs...)
}

// subjectTypeOf returns the registered type of kind k, or nil.
func (s *Schema) subjectTypeOf(k Kind) reflect.Type {
	return reflect.TypeOf(s.Kinds[k])
}

// env returns the type-checking environment of an expression over kind k
// with parameters of type params.
func (s *Schema) env(k Kind, params reflect.Type) ruleexpr.Env {
	env := ruleexpr.Env{
		varParams: reflect.New(params).Elem().Interface(),
		varNow:    time.Time{},
		varCA:     "",
	}
	for name, fn := range s.Funcs {
		env[name] = fn
	}
	if t := s.subjectTypeOf(k); t != nil {
		env[k.Var()] = reflect.Zero(t).Interface()
	}
	return env
}

// adapters is the part of a Schema that evaluation needs, copied into
// every compiled rule.
type adapters struct {
	funcs    map[string]any
	account  func(Subject) string
	evidence func(any) ([]Ref, bool)
}

func (s *Schema) adapters() adapters {
	return adapters{funcs: s.Funcs, account: s.Account, evidence: s.Evidence}
}

// accountOf returns the account key of subj.
func (a adapters) accountOf(subj Subject) string {
	if x, ok := subj.(AccountSubject); ok {
		return x.SubjectAccount()
	}
	if a.account != nil {
		return a.account(subj)
	}
	return ""
}

// refs converts v, a subject or the value of an evidence expression, into
// refs: a Ref, a *Ref, a []Ref, a RefsSubject, whatever Schema.Evidence
// accepts, or a list of these.
func (a adapters) refs(v any) ([]Ref, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case Ref:
		return []Ref{x}, nil
	case *Ref:
		return []Ref{*x}, nil
	case []Ref:
		return x, nil
	case RefsSubject:
		return x.SubjectRefs(), nil
	}
	if a.evidence != nil {
		if refs, ok := a.evidence(v); ok {
			return refs, nil
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("%T is not evidence (want refs, or values with refs)", v)
	}
	out := make([]Ref, 0, rv.Len())
	for i := range rv.Len() {
		refs, err := a.refs(rv.Index(i).Interface())
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}

// yieldsRefs reports whether an evidence expression of static type t can
// yield refs, by converting a zero value of t (and of its element type).
// An unknown type (nil, decided at run time) is accepted here and checked
// when the rule runs.
func (a adapters) yieldsRefs(t reflect.Type) (ok bool) {
	if t == nil {
		return true
	}
	defer func() {
		if recover() != nil {
			ok = true // the adapter could not handle a zero value; judge at run time
		}
	}()
	if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		if t.Elem().Kind() == reflect.Interface {
			return true
		}
		_, err := a.refs(reflect.Zero(t.Elem()).Interface())
		return err == nil
	}
	_, err := a.refs(reflect.Zero(t).Interface())
	return err == nil
}

package rules

import (
	"reflect"
	"strings"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
	"go.yaml.in/yaml/v3"
)

// compileRule compiles the condition, evidence and message of r against
// the schema. It reports false and records errors when one does not parse
// or type-check.
func (s *source) compileRule(r *Rule, d *ruleDoc, schema *Schema) bool {
	subject := schema.subjectTypeOf(r.Subject)
	if subject == nil {
		s.errorf(d.Subject.N, r.ID, "subject %s is not available: the schema registers no type for it", r.Subject)
		return false
	}
	pt := paramsType(r.Params)
	p := &program{subject: subject, params: pt, defaults: paramsValue(pt, r.Params, nil), adapters: schema.adapters()}
	env := schema.env(r.Subject, pt)
	before := len(s.errs.errs)
	p.cond = s.compileExpr(r.ID, "condition", d.Condition.N, 0, r.Condition, env, ruleexpr.Bool, pt)
	p.condAt = exprLoc{s, d.Condition.N, 0}
	if d.Evidence.set() {
		p.evidence = s.compileExpr(r.ID, "evidence", d.Evidence.N, 0, r.Evidence, env, ruleexpr.Any, pt)
		p.evidenceAt = exprLoc{s, d.Evidence.N, 0}
		if p.evidence != nil && !p.adapters.yieldsRefs(p.evidence.Type()) {
			s.errorf(d.Evidence.N, r.ID, "evidence: %s is not evidence (want refs, or values with refs)", p.evidence.Type())
		}
	}
	p.message = s.compileTemplate(r.ID, "message", d.Message.N, r.Message, env, pt)
	if len(s.errs.errs) > before {
		return false
	}
	r.prog = p
	return true
}

// compileExpr compiles src, which starts at byte off of the value of node
// n, and reports an error at the file position of its cause.
func (s *source) compileExpr(id, what string, n *yaml.Node, off int, src string, env ruleexpr.Env,
	want ruleexpr.Result, params reflect.Type) *ruleexpr.Program {
	prog, err := ruleexpr.Compile(src, env, want)
	if err != nil {
		s.errs.add(s.exprError(id, what, exprLoc{s, n, off}, err, params))
		return nil
	}
	return prog
}

// exprLoc is where an expression starts: at byte base of the value of a
// YAML scalar. It maps an engine error offset to a file position, both at
// load time and for run-time engine errors.
type exprLoc struct {
	src  *source
	n    *yaml.Node
	base int
}

// pos returns the file position of the cause of err.
func (l exprLoc) pos(err error) Pos {
	off := l.base
	if ee, ok := err.(*ruleexpr.Error); ok {
		off += ee.Offset
	}
	if l.src == nil {
		return Pos{}
	}
	return l.src.valuePos(l.n, off)
}

// exprError words an expression error as a load error at its position.
func (s *source) exprError(id, what string, at exprLoc, err error, params reflect.Type) *LoadError {
	msg := err.Error()
	// The params struct type is long and made up; name it as rules do.
	msg = strings.ReplaceAll(msg, "type "+params.String(), "params")
	msg = strings.ReplaceAll(msg, params.String(), "params")
	if rest, ok := strings.CutPrefix(msg, "expected bool, "); ok {
		msg = "must be true or false, " + rest
	}
	return s.newError(at.pos(err), id, "%s: %s", what, msg)
}

// compileTemplate parses and compiles a message template.
func (s *source) compileTemplate(id, what string, n *yaml.Node, src string, env ruleexpr.Env,
	params reflect.Type) *template {
	segs, at, err := splitTemplate(src)
	if err != nil {
		s.errorAt(s.valuePos(n, at), id, "%s: %v", what, err)
		return nil
	}
	t := &template{}
	ok := true
	for _, seg := range segs {
		if !seg.isExpr {
			t.parts = append(t.parts, tplPart{text: seg.text})
			continue
		}
		prog := s.compileExpr(id, what, n, seg.off, seg.text, env, ruleexpr.Any, params)
		ok = ok && prog != nil
		t.parts = append(t.parts, tplPart{prog: prog, at: exprLoc{s, n, seg.off}})
	}
	if !ok {
		return nil
	}
	return t
}

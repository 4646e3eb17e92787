// Package ruleexpr compiles and runs the expressions of acmeproxy rules.
//
// It is the only package that imports github.com/expr-lang/expr, so that a
// change of expression engine (for example to CEL, should rules ever come
// from untrusted users) stays in this one file. It applies the guardrails
// the rules need: every program is type-checked at compile time against a
// typed environment, the node count is bounded, the built-in now() is
// disabled because the clock is injected, dates parse in UTC, and a
// compile error carries the byte offset of its cause inside the source so
// callers can point at the exact column of a YAML file.
//
// It does not know about YAML, rules or subjects.
package ruleexpr

import (
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// MaxNodes bounds the size of one expression (after parsing). Rules are
// short; a larger expression is almost certainly generated or hostile.
const MaxNodes = 4096

// Result is the static result type a program must have.
type Result int

const (
	// Any accepts a program of any result type (message placeholders,
	// evidence).
	Any Result = iota
	// Bool requires a boolean result (conditions, suppression matches).
	Bool
)

// Env describes the variables and functions an expression may use: each
// name maps to a value of the Go type the name has at run time (a typed nil
// pointer is fine). Functions are Go funcs; calls to them are type-checked
// against their signatures.
type Env map[string]any

// Program is a compiled, type-checked expression. A Program is immutable
// and safe for concurrent use.
type Program struct {
	prog *vm.Program
	src  string
}

// Error is a compile or run-time error. Offset is the byte offset in the
// source of the token the error is about (0 when the engine gave no
// position). Err is the underlying Go error of a run-time failure, if any.
type Error struct {
	Offset int
	Msg    string
	Err    error
}

// Error returns the message, without position (callers know the source).
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Compile parses and type-checks src against env.
func Compile(src string, env Env, want Result) (*Program, error) {
	opts := []expr.Option{
		expr.Env(map[string]any(env)),
		expr.MaxNodes(MaxNodes),
		expr.DisableBuiltin("now"),
		expr.Timezone("UTC"), // date("2025-05-07") means the same day on every machine
		expr.Patch(namedStrings{}),
	}
	if want == Bool {
		opts = append(opts, expr.AsBool())
	}
	p, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, positioned(src, err)
	}
	return &Program{prog: p, src: src}, nil
}

// positioned turns an engine error into an *Error with a byte offset.
func positioned(src string, err error) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &Error{Msg: err.Error(), Err: err}
	}
	return &Error{Offset: runeOffsetToByte(src, fe.From), Msg: fe.Message, Err: fe.Prev}
}

// runeOffsetToByte converts the engine's rune offset into a byte offset.
func runeOffsetToByte(s string, runes int) int {
	b := 0
	for i := 0; i < runes && b < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[b:])
		b += size
	}
	return b
}

// Source returns the expression text.
func (p *Program) Source() string { return p.src }

// Type returns the static result type, or nil when it is only known at run
// time (an interface value, a map lookup).
func (p *Program) Type() reflect.Type {
	t := p.prog.Node().Type()
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	return t
}

// VM runs programs. The zero value is ready to use. A VM reuses its stack
// between runs and so must not be used by two goroutines at once.
type VM struct {
	vm vm.VM
}

// Run evaluates p over env, which must hold the names and types p was
// compiled against. A failure, including a panic inside the program (a nil
// pointer in a method the expression calls, for example), is returned as
// an *Error positioned in the source, never propagated.
func (v *VM) Run(p *Program, env Env) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{Msg: fmt.Sprintf("panic: %v", r)}
		}
	}()
	out, err = v.vm.Run(p.prog, map[string]any(env))
	if err != nil {
		return nil, positioned(p.src, err)
	}
	return out, nil
}

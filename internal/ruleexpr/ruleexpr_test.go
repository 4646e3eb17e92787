package ruleexpr_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

type subject struct {
	Name  string
	Inner *struct{ X int }
}

func (s *subject) Boom() bool { panic("boom") }

func env() ruleexpr.Env {
	return ruleexpr.Env{"s": (*subject)(nil), "now": time.Time{}, "twice": func(n int) int { return 2 * n }}
}

// TestCompileErrorOffsets checks that the offset of a compile error is a
// byte offset into the source, also after multi-byte characters.
func TestCompileErrorOffsets(t *testing.T) {
	tests := []struct {
		src    string
		want   ruleexpr.Result
		offset int // -1: anywhere
		msg    string
	}{
		{`s.Nme == ""`, ruleexpr.Bool, 2, "has no field Nme"},
		{`"é" == s.Nme`, ruleexpr.Bool, 10, "has no field Nme"},
		{`twice("x") > 1`, ruleexpr.Bool, 6, "cannot use string as argument"},
		{`s.Name`, ruleexpr.Bool, 0, "expected bool"},
		{`now() == now`, ruleexpr.Bool, 0, "is not callable"},
		{`1 +`, ruleexpr.Any, 2, "unexpected token EOF"},
		{strings.Repeat("1 + ", ruleexpr.MaxNodes) + "1", ruleexpr.Any, -1, "exceeds maximum allowed nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			_, err := ruleexpr.Compile(tc.src, env(), tc.want)
			var e *ruleexpr.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if (tc.offset >= 0 && e.Offset != tc.offset) || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("offset %d %q, want %d …%s…", e.Offset, e.Msg, tc.offset, tc.msg)
			}
		})
	}
}

// TestRunFailures checks that run-time failures, panics included, come
// back as positioned errors.
func TestRunFailures(t *testing.T) {
	var vm ruleexpr.VM
	for _, tc := range []struct {
		src    string
		offset int
		msg    string
	}{
		{"s.Inner.X > 0", 2, "cannot get X from Inner"},
		{"s.Boom()", 2, "boom"},
	} {
		p, err := ruleexpr.Compile(tc.src, env(), ruleexpr.Bool)
		if err != nil {
			t.Fatal(err)
		}
		_, err = vm.Run(p, ruleexpr.Env{"s": &subject{}, "now": time.Time{}, "twice": env()["twice"]})
		var e *ruleexpr.Error
		if !errors.As(err, &e) || e.Offset != tc.offset || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%s: err = %#v", tc.src, err)
		}
	}
}

// TestTypeAndReuse checks the static type and that a VM is reusable.
func TestTypeAndReuse(t *testing.T) {
	p, err := ruleexpr.Compile("twice(len(s.Name))", env(), ruleexpr.Any)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type() != reflect.TypeFor[int]() || p.Source() != "twice(len(s.Name))" {
		t.Errorf("type %v", p.Type())
	}
	var vm ruleexpr.VM
	for i, name := range []string{"ab", "abcd"} {
		out, err := vm.Run(p, ruleexpr.Env{"s": &subject{Name: name}, "now": time.Time{}, "twice": env()["twice"]})
		if err != nil || out != 2*len(name) {
			t.Errorf("run %d: %v %v", i, out, err)
		}
	}
}

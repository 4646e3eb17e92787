package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

// template is a compiled message: literal text and {{ expression }} parts.
//
// The syntax is deliberately not text/template: each part between {{ and
// }} is an expression of the same language as the condition, compiled and
// type-checked against the same environment when the rule loads, so a typo
// in a message is a load error with its column, like a typo in a
// condition. A part ends at the first }}; write a literal "{{" as
// {{ "{{" }}.
type template struct {
	parts []tplPart
}

// tplPart is literal text, or an expression when prog is set.
type tplPart struct {
	text string
	prog *ruleexpr.Program
	at   exprLoc
}

// tplSegment is a parsed but not yet compiled part; off is its byte offset
// in the template source.
type tplSegment struct {
	text   string
	isExpr bool
	off    int
}

// splitTemplate cuts src into literal and expression segments. On an
// unterminated or empty {{ }} it returns the offset of the {{ and a message.
func splitTemplate(src string) ([]tplSegment, int, error) {
	var segs []tplSegment
	rest, base := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				segs = append(segs, tplSegment{text: rest, off: base})
			}
			return segs, 0, nil
		}
		if i > 0 {
			segs = append(segs, tplSegment{text: rest[:i], off: base})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, base + i, fmt.Errorf("unterminated {{ (a placeholder ends with }})")
		}
		body := rest[i+2 : i+2+j]
		if strings.TrimSpace(body) == "" {
			return nil, base + i, fmt.Errorf("empty {{ }} placeholder")
		}
		segs = append(segs, tplSegment{text: body, isExpr: true, off: base + i + 2})
		base += i + 2 + j + 2
		rest = rest[i+2+j+2:]
	}
}

// render evaluates the template over env. On failure it also returns the
// position of the failing part.
func (t *template) render(vm *ruleexpr.VM, env ruleexpr.Env) (string, Pos, error) {
	var b strings.Builder
	b.Grow(128)
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := vm.Run(p.prog, env)
		if err != nil {
			return "", p.at.pos(err), err
		}
		b.WriteString(formatValue(v))
	}
	return strings.TrimSpace(b.String()), Pos{}, nil
}

// formatValue prints an expression result in a message: times in RFC 3339
// UTC, durations as Go prints them (1h30m0s), string lists joined by ", ",
// nil as nothing, and everything else as fmt prints it.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ", ")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

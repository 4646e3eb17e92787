package rules

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// valuePos maps a byte offset inside the value of scalar n back to a line
// and column of the file, so that an expression error points at the
// offending token and not just at the key. It follows the scalar's lines
// as written (plain, quoted, literal | or folded >) and matches them against
// the value. When escapes or unusual folding make the text differ from the
// value, it falls back to the position of the scalar itself.
func (s *source) valuePos(n *yaml.Node, off int) Pos {
	fallback := s.pos(n)
	if n == nil || n.Line < 1 || n.Line > len(s.lines) {
		return fallback
	}
	value := n.Value
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	quoted := n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0

	line, col := n.Line, n.Column // 1-based; col is where the line's text starts
	if block {
		line, col = n.Line+1, 0
	} else if quoted {
		col++
	}
	indent := -1
	cursor := 0
	for ; line <= len(s.lines); line, col = line+1, 0 {
		text := s.lines[line-1]
		start := col - 1
		if col == 0 {
			start = leadingSpaces(text, &indent, block)
		}
		if start < 0 || start > len(text) {
			return fallback
		}
		seg := text[runeIndex(text, start):]
		if strings.TrimSpace(seg) == "" {
			continue
		}
		cursor = skipBreak(value, cursor, seg)
		k := commonPrefix(value[cursor:], seg)
		if k == 0 {
			return fallback
		}
		if off >= cursor && off <= cursor+k {
			c := start + 1 + utf8.RuneCountInString(value[cursor:off])
			return Pos{File: s.name, Line: line, Column: c}
		}
		cursor += k
	}
	return fallback
}

// leadingSpaces returns the column (0-based) where a continuation line's
// text starts. Block scalars keep the indentation of their first line, so
// deeper indentation stays part of the value; other scalars drop all
// leading white space.
func leadingSpaces(text string, indent *int, block bool) int {
	n := len(text) - len(strings.TrimLeft(text, " \t"))
	if !block {
		return n
	}
	if *indent < 0 && strings.TrimSpace(text) != "" {
		*indent = n
	}
	return min(max(*indent, 0), n)
}

// skipBreak moves cursor past the line break YAML folded into the value:
// newlines, and the single space of a folded line.
func skipBreak(value string, cursor int, seg string) int {
	for cursor < len(value) && value[cursor] == '\n' {
		cursor++
	}
	if cursor < len(value) && value[cursor] == ' ' && seg[0] != ' ' {
		cursor++
	}
	return cursor
}

// commonPrefix returns the length in bytes of the longest common prefix.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// runeIndex returns the byte index of the rune at 0-based rune column c.
func runeIndex(s string, c int) int {
	i := 0
	for ; c > 0 && i < len(s); c-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

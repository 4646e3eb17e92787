package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a rule or configuration file. Line and Column are
// 1-based; Column 0 means "the whole line", Line 0 "the whole file".
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String formats the position as file:line:column, dropping what is
// unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// LoadError is a mistake in a rule or configuration file: an unknown key,
// a bad value, an expression that does not parse or type-check. Rule is the
// id of the rule it belongs to, if any; Excerpt is the source line Pos
// points at, for a caret display.
type LoadError struct {
	Pos     Pos
	Rule    string
	Msg     string
	Excerpt string
}

// Error formats the error as "file:line:col: rule ID: message".
func (e *LoadError) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %s: %s", e.Pos, e.Rule, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

// LoadErrors is every mistake found while loading, in file and line order.
// Loading does not stop at the first mistake, so one run of
// `acmeproxy rules check` shows them all.
type LoadErrors []*LoadError

// Error lists the errors, one per line.
func (l LoadErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// errList accumulates load errors.
type errList struct {
	errs LoadErrors
}

func (l *errList) add(e *LoadError) { l.errs = append(l.errs, e) }

// err returns the sorted errors, or nil.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, func(a, b *LoadError) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	return l.errs
}

// merge adds the errors of err, which must be nil or a LoadErrors, or
// wraps any other error as a file-less load error.
func (l *errList) merge(err error) {
	switch e := err.(type) {
	case nil:
	case LoadErrors:
		l.errs = append(l.errs, e...)
	default:
		l.errs = append(l.errs, &LoadError{Msg: err.Error()})
	}
}

package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/acmeproxy/acmeproxy/rules"
)

// RuleFrom describes a configured rule for the report, and says whether it
// applied to a lint with context ec: a rule outside its effective dates or
// CA scope gets Skipped set to the reason.
func RuleFrom(e rules.Entry, ec rules.EvalContext) Rule {
	r := e.Rule
	out := Rule{
		ID:          r.ID,
		Title:       r.Title,
		Description: strings.TrimSpace(r.Description),
		Severity:    e.Severity,
		Subject:     r.Subject,
		Status:      string(r.Status),
		Remediation: strings.TrimSpace(r.Remediation),
		Citations:   slices.Clone(r.Citations),
		Tags:        slices.Clone(r.Tags),
	}
	if e.Severity != r.Severity {
		out.DefaultSeverity = r.Severity
	}
	if r.Pos.File != "" {
		out.Source = r.Pos.String()
	}
	out.HelpURI = firstURL(r.Citations)
	out.Skipped = SkipReason(r, ec)
	return out
}

// SkipReason returns why r does not apply to a lint with context ec, or ""
// when it does (rules.Rule.AppliesTo).
func SkipReason(r *rules.Rule, ec rules.EvalContext) string {
	const day = "2006-01-02"
	switch {
	case !r.Effective.IsZero() && ec.Now.Before(r.Effective):
		return fmt.Sprintf("in force from %s; the recording is from %s",
			r.Effective.Format(day), ec.Now.UTC().Format(day))
	case !r.Ineffective.IsZero() && !ec.Now.Before(r.Ineffective):
		return fmt.Sprintf("in force until %s; the recording is from %s",
			r.Ineffective.AddDate(0, 0, -1).Format(day), ec.Now.UTC().Format(day))
	case len(r.CA) > 0 && !slices.Contains(r.CA, ec.CA):
		ca := ec.CA
		if ca == "" {
			ca = "unknown"
		}
		return fmt.Sprintf("applies to CA %s; the recording's CA is %s", strings.Join(r.CA, ", "), ca)
	}
	return ""
}

// Help returns the rule's help as plain text: description, remediation and
// citations, separated by blank lines.
func (r *Rule) Help() string {
	var parts []string
	if r.Description != "" {
		parts = append(parts, r.Description)
	}
	if r.Remediation != "" {
		parts = append(parts, "How to fix: "+r.Remediation)
	}
	if len(r.Citations) > 0 {
		var b strings.Builder
		b.WriteString("References:")
		for _, c := range r.Citations {
			b.WriteString("\n- " + citationText(c))
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		return r.Title
	}
	return strings.Join(parts, "\n\n")
}

// citationText formats a citation as "ref <url>".
func citationText(c rules.Citation) string {
	if c.URL == "" {
		return c.Ref
	}
	return c.Ref + " <" + c.URL + ">"
}

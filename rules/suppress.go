package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

// MetaExpiredSuppression is the id of the built-in meta rule that reports a
// suppression past its expiry date. Such a suppression no longer hides
// anything; the finding says so until the configuration is fixed.
const MetaExpiredSuppression = "expired_suppression"

// metaRules returns the rules that are built into the engine rather than
// written in YAML: they are about the configuration, not the traffic.
func metaRules() []*Rule {
	return []*Rule{{
		ID:          MetaExpiredSuppression,
		Title:       "Suppression past its expiry date",
		Description: "A suppression's expires date has passed: it no longer hides the findings it matched, and they are reported again.",
		Severity:    Warning,
		Status:      StatusStable,
		Subject:     KindConfig,
		Remediation: "Fix what the suppressed findings point at, or renew the suppression with a new expiry and an up-to-date reason.",
		Pos:         Pos{File: "(engine)"},
	}}
}

// suppression is a compiled SuppressionRule.
type suppression struct {
	cfg   SuppressionRule
	match *ruleexpr.Program // nil: every subject of the rule
	at    exprLoc
}

// expired reports whether the suppression's last day is before t's day.
func (sp *suppression) expired(t time.Time) bool {
	return !sp.cfg.Expires.IsZero() && !t.Before(sp.cfg.Expires.AddDate(0, 0, 1))
}

// compileSuppressions checks each suppression's rule and compiles its
// match against that rule's subject kind and parameters.
func (s *Set) compileSuppressions(list []SuppressionRule, schema *Schema, errs *errList) {
	for _, sr := range list {
		e := s.byID[sr.Rule]
		switch {
		case e == nil:
			errs.add(sr.src.newError(sr.Pos, "", "suppression of unknown rule id %q%s", sr.Rule, suggest(sr.Rule, s.byID)))
			continue
		case e.rule.prog == nil:
			errs.add(sr.src.newError(sr.Pos, sr.Rule, "a meta rule cannot be suppressed; set it to off under rules:"))
			continue
		}
		sp := &suppression{cfg: sr, at: exprLoc{sr.src, sr.match, 0}}
		if strings.TrimSpace(sr.Match) != "" {
			env := schema.env(e.rule.Subject, e.rule.prog.params)
			prog, err := ruleexpr.Compile(sr.Match, env, ruleexpr.Bool)
			if err != nil {
				errs.add(sr.src.exprError(sr.Rule, "suppression match", sp.at, err, e.rule.prog.params))
				continue
			}
			sp.match = prog
		}
		e.supps = append(e.supps, sp)
		s.supps = append(s.supps, sp)
	}
}

// expiredFinding is the meta finding about an expired suppression. Its
// subject key names the rule and the match, not the line, so that moving
// the entry in the file keeps the fingerprint.
func expiredFinding(sp *suppression, sev Severity) Finding {
	c := sp.cfg
	key := fmt.Sprintf("suppression %s %s", c.Rule, strings.TrimSpace(c.Match))
	msg := fmt.Sprintf("suppression of %s expired on %s (reason: %s); the findings it matched are reported again",
		c.Rule, c.Expires.Format(time.DateOnly), c.Reason)
	meta := metaRules()[0]
	return Finding{
		Rule:        MetaExpiredSuppression,
		Severity:    sev,
		Kind:        KindConfig,
		Subject:     strings.TrimSpace(key),
		Message:     msg,
		Remediation: meta.Remediation,
		Evidence:    []Ref{{File: c.Pos.File, Line: c.Pos.Line, Note: "suppression"}},
		Fingerprint: Fingerprint(MetaExpiredSuppression, strings.TrimSpace(key), ""),
	}
}

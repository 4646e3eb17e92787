package reports

import (
	"cmp"
	"slices"

	"github.com/acmeproxy/acmeproxy/rules"
)

// AccountGroup is the findings of one account (Key "" gathers findings
// without an account), by subject.
type AccountGroup struct {
	Key string
	// Account is the flow account, nil when the flow has none with Key.
	Account  *Account
	Subjects []SubjectGroup
	// Worst is the highest severity among the findings.
	Worst rules.Severity
}

// Name returns "account 3f2a9c1d" or "no account".
func (g *AccountGroup) Name() string {
	if g.Key == "" {
		return "no account"
	}
	return "account " + short(g.Key)
}

// SubjectGroup is the findings about one subject.
type SubjectGroup struct {
	Kind     rules.Kind
	Key      string
	Label    string
	Lane     *Lane
	Findings []*Finding
}

// Group arranges findings by account, then by subject: the account's own
// findings, then its lanes in the order they were first seen, then the
// rest by where their anchor is. Accounts come in flow order, with the
// findings without an account last. The findings must belong to r.
func (r *Report) Group(fs []Finding) []AccountGroup {
	byAcct := map[string]*AccountGroup{}
	var keys []string
	for i := range fs {
		f := &fs[i]
		g := byAcct[f.Account]
		if g == nil {
			g = &AccountGroup{Key: f.Account, Account: r.Flow.Account(f.Account)}
			byAcct[f.Account] = g
			keys = append(keys, f.Account)
		}
		g.Worst = max(g.Worst, f.Severity)
		g.add(f)
	}
	rank := map[string]int{}
	for i, a := range r.Flow.Accounts {
		rank[a.Key] = i + 1
	}
	slices.SortStableFunc(keys, func(a, b string) int {
		ra, rb := rank[a], rank[b]
		if a == "" {
			ra = len(rank) + 2
		} else if ra == 0 {
			ra = len(rank) + 1
		}
		if b == "" {
			rb = len(rank) + 2
		} else if rb == 0 {
			rb = len(rank) + 1
		}
		return cmp.Compare(ra, rb)
	})
	out := make([]AccountGroup, 0, len(keys))
	for _, k := range keys {
		g := byAcct[k]
		g.sortSubjects()
		out = append(out, *g)
	}
	return out
}

// add files f under its subject.
func (g *AccountGroup) add(f *Finding) {
	for i := range g.Subjects {
		s := &g.Subjects[i]
		if s.Kind == f.Kind && s.Key == f.Subject {
			s.Findings = append(s.Findings, f)
			return
		}
	}
	s := SubjectGroup{Kind: f.Kind, Key: f.Subject, Label: f.Label, Findings: []*Finding{f}}
	if g.Account != nil {
		for j := range g.Account.Lanes {
			if l := &g.Account.Lanes[j]; l.Kind == f.Kind && l.Key == f.Subject {
				s.Lane = l
			}
		}
	}
	g.Subjects = append(g.Subjects, s)
}

// sortSubjects puts the account's own findings first, then lanes in flow
// order, then the rest by anchor line.
func (g *AccountGroup) sortSubjects() {
	laneRank := func(s *SubjectGroup) int {
		if s.Kind == rules.KindAccount {
			return 0
		}
		if s.Lane != nil && g.Account != nil {
			for j := range g.Account.Lanes {
				if &g.Account.Lanes[j] == s.Lane {
					return j + 1
				}
			}
		}
		return 1 << 30
	}
	slices.SortStableFunc(g.Subjects, func(a, b SubjectGroup) int {
		return cmp.Or(cmp.Compare(laneRank(&a), laneRank(&b)),
			cmp.Compare(anchorLine(a.Findings[0]), anchorLine(b.Findings[0])))
	})
}

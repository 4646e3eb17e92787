package lint

import (
	"strings"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// accountSnapshot draws an account as the HTML timeline wants it: one
// lane per authorization, order and certificate.
func accountSnapshot(a *flow.Account) reports.Account {
	ra := reports.Account{Key: a.Thumbprint, URL: a.URL, Dialect: string(a.Dialect), Status: string(a.Status),
		FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Requests: a.Requests, Errors: a.Errors, Events: events(a.Events)}
	if len(a.Events) > 0 {
		ra.Recording = a.Events[0].Ref.Source
	}
	for _, z := range a.Authzs {
		ra.Lanes = append(ra.Lanes, authzLane(z))
	}
	for _, o := range a.Orders {
		ra.Lanes = append(ra.Lanes, orderLane(o))
	}
	for _, c := range a.Certificates {
		ra.Lanes = append(ra.Lanes, reports.Lane{Kind: rules.KindCertificate, Key: c.SubjectKey(), Label: certLabel(c), Events: events(c.Events)})
	}
	if ra.Recording == "" && len(ra.Lanes) > 0 && len(ra.Lanes[0].Events) > 0 {
		ra.Recording = ra.Lanes[0].Events[0].Ref.File
	}
	return ra
}

func authzLane(z *flow.Authz) reports.Lane {
	lane := reports.Lane{Kind: rules.KindAuthorization, Key: z.URL, Label: z.Name(), Status: string(z.Status), Expires: z.Expires, Events: events(z.Events)}
	for _, o := range z.Orders {
		lane.Orders = append(lane.Orders, o.URL)
	}
	if z.Orphaned {
		lane.Flags = append(lane.Flags, reports.FlagOrphaned)
	}
	if z.ExpiredUnused {
		lane.Flags = append(lane.Flags, reports.FlagExpiredUnused)
	}
	if z.Status == acme.StatusInvalid {
		lane.Flags = append(lane.Flags, reports.FlagFailed)
	}
	return lane
}

func orderLane(o *flow.Order) reports.Lane {
	lane := reports.Lane{Kind: rules.KindOrder, Key: o.URL, Label: strings.Join(o.Identifiers, ", "), Status: string(o.Status), Expires: o.Expires, Events: events(o.Events)}
	if o.Abandoned() {
		lane.Flags = append(lane.Flags, reports.FlagAbandoned)
	}
	refused := false
	for _, is := range o.Issuances {
		refused = refused || is.Refused()
	}
	if o.Status == acme.StatusInvalid || refused {
		lane.Flags = append(lane.Flags, reports.FlagFailed)
	}
	return lane
}

func certLabel(c *flow.Certificate) string {
	if c.Leaf != nil && len(c.Leaf.DNSNames) > 0 {
		return "certificate " + strings.Join(c.Leaf.DNSNames, ", ")
	}
	return "certificate"
}

func events(es []flow.Event) []reports.Event {
	out := make([]reports.Event, 0, len(es))
	for _, e := range es {
		re := reports.Event{Kind: reports.EventKind(e.Kind), Time: e.Ref.Time, Status: string(e.Status),
			Ref: rules.Ref{File: e.Ref.Source, Line: e.Ref.Line, Seq: e.Ref.Seq, Note: string(e.Kind)}}
		if p := e.Problem; p != nil {
			re.Problem = &reports.Problem{Type: string(p.Type), Detail: p.Detail, Status: p.Status}
		}
		out = append(out, re)
	}
	return out
}

// accountSubjects lists an account and its objects as subjects, so that
// JUnit can show a passing case per rule and subject.
func accountSubjects(a *flow.Account) []reports.Subject {
	var out []reports.Subject
	add := func(kind rules.Kind, key, label string, refs []flow.Ref) {
		s := reports.Subject{Kind: kind, Key: key, Label: label, Account: a.Thumbprint}
		if len(refs) > 0 {
			s.Recording = refs[0].Source
		}
		out = append(out, s)
	}
	add(rules.KindAccount, a.Thumbprint, a.Short(), a.Refs())
	for _, z := range a.Authzs {
		add(rules.KindAuthorization, z.URL, z.Name(), z.Refs())
	}
	for _, o := range a.Orders {
		add(rules.KindOrder, o.URL, strings.Join(o.Identifiers, ", "), o.Refs())
	}
	for _, c := range a.Certificates {
		add(rules.KindCertificate, c.SubjectKey(), certLabel(c), c.Refs())
	}
	return out
}

// sessionSubject is a recording as a subject.
func sessionSubject(s *flow.Session) reports.Subject {
	sub := reports.Subject{Kind: rules.KindSession, Key: s.Source, Label: s.Source}
	if refs := s.Refs(); len(refs) > 0 {
		sub.Recording = refs[0].Source
	}
	return sub
}

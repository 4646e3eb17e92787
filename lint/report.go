package lint

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// maxBody bounds each body copied into a report.
const maxBody = 64 << 10

// ReportOptions says how to build the report.
type ReportOptions struct {
	Tool      reports.Tool
	Generated time.Time
	FailOn    rules.Severity
	Set       *rules.Set
}

// Report builds the versioned report of res: inputs, the enabled rules
// (with why any did not apply), the flow snapshot the HTML timeline draws,
// the findings with resolved evidence, and every exchange a finding or a
// lane cites, read again from the recordings (decoded facts were kept by
// the run, so nothing is decoded again).
//
// The report is bounded. It carries at most Options.MaxReportExchanges
// exchanges in full, the findings' evidence first; every other exchange a
// finding cites is carried in short, without headers and bodies. The flow
// timeline keeps accounts, those with findings first, while their lanes
// cite at most Options.MaxReportExchanges exchanges; Report.Subjects
// holds at most Options.MaxReportSubjects. What is left out is said in
// the first input's warnings.
func (res *Result) Report(o ReportOptions) (*reports.Report, error) {
	r := &reports.Report{Tool: o.Tool, Generated: o.Generated, FailOn: o.FailOn}
	sessions := map[string]*flow.Session{}
	for _, s := range res.Ledger.Sessions() {
		sessions[s.Source] = s
	}
	for _, rec := range res.Recordings {
		in := reports.Input{Path: rec.Path, Format: reports.InputFormat(rec.Format), Upstream: rec.Header.Upstream}
		if s := sessions[rec.Path]; s != nil {
			in.Exchanges, in.Start, in.End, in.CA, in.Dialect = s.Exchanges, s.Start, s.End, s.CA, string(s.Dialect())
			if in.Upstream == "" {
				in.Upstream = s.Upstream
			}
		}
		if t := rec.Torn(); t != nil {
			in.Warnings = append(in.Warnings, "torn last line skipped: "+t.Error())
		}
		if z := rec.ZeroTail(); z > 0 {
			in.Warnings = append(in.Warnings, fmt.Sprintf("the journal was not closed (its proxy was killed or its machine stopped): "+
				"%d zero bytes reserved after its last record were skipped; exchanges in flight then are missing", z))
		}
		r.Inputs = append(r.Inputs, in)
	}
	flow, laneCites, notes := res.report.timeline()
	subjects, subjectNotes := res.report.subjectList()
	if len(r.Inputs) > 0 {
		r.Inputs[0].Warnings = append(r.Inputs[0].Warnings, append(notes, subjectNotes...)...)
	}
	for _, e := range o.Set.Entries() {
		if e.Enabled {
			r.Rules = append(r.Rules, reports.RuleFrom(e, res.Context))
		}
	}
	r.Flow = flow
	stubs, err := res.addExchanges(r, laneCites)
	if err != nil {
		return nil, err
	}
	if stubs > 0 && len(r.Inputs) > 0 {
		r.Inputs[0].Warnings = append(r.Inputs[0].Warnings, fmt.Sprintf(
			"report: %d cited exchanges are shown without their headers and bodies, beyond the %d carried in full (Options.MaxReportExchanges; the findings' evidence first)",
			stubs, res.report.maxLanes))
	}
	r.Subjects = subjects
	r.AddFindings(res.Findings)
	for _, e := range res.EngineErrors {
		r.EngineErrors = append(r.EngineErrors, reports.EngineErrorFrom(e))
	}
	r.Finish()
	return r, nil
}

// cited returns, by file and line, the exchanges that findings and the
// kept lanes cite, and whether the report carries each in full: the
// evidence of the findings first, in their order, then the lanes', up to
// maxFull; the others are carried in short (see stub).
func (res *Result) cited(laneCites map[citeKey]int) (map[string]map[int]bool, int) {
	out := map[string]map[int]bool{}
	full, stubs := 0, 0
	add := func(file string, line int) {
		if line <= 0 {
			return // no exchange: an event the ledger inferred (an expiry)
		}
		if out[file] == nil {
			out[file] = map[int]bool{}
		}
		if _, seen := out[file][line]; seen {
			return
		}
		if full < res.report.maxLanes {
			out[file][line] = true
			full++
			return
		}
		out[file][line] = false
		stubs++
	}
	for _, f := range res.Findings {
		for _, ref := range f.Evidence {
			add(ref.File, ref.Line)
		}
	}
	keys := make([]citeKey, 0, len(laneCites))
	for k := range laneCites {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b citeKey) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.seq, b.seq))
	})
	for _, k := range keys {
		add(k.file, laneCites[k])
	}
	return out, stubs
}

// addExchanges reads the cited exchanges again and adds them, with the
// facts the run kept about them. It returns the number carried in short.
func (res *Result) addExchanges(r *reports.Report, laneCites map[citeKey]int) (int, error) {
	want, stubs := res.cited(laneCites)
	for _, rec := range res.Recordings {
		lines := want[rec.Path]
		if len(lines) == 0 {
			continue
		}
		err := readLines(rec.Path, lines, func(e *journal.Exchange) error {
			x, ok := res.facts.exchange(rec.Path, e)
			if !ok {
				return fmt.Errorf("%s:%d: read again, but the lint did not see it", rec.Path, e.Line)
			}
			if !lines[e.Line] {
				stub(&x)
			}
			r.AddExchange(x)
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return stubs, nil
}

// stubNote is what an exchange carried in short says instead of its
// headers and body.
const stubNote = "left out of the report, which carries a bounded number of exchanges in full (lint.Options.MaxReportExchanges): see the recording"

// stub drops x's headers and bodies, keeping what a finding's evidence
// shows (method, URL, operation, status, problem, faults).
func stub(x *reports.Exchange) {
	short := func(m reports.Message) reports.Message {
		return reports.Message{Body: reports.Body{ContentType: m.Body.ContentType, Size: m.Body.Size, Note: stubNote}}
	}
	x.Request = short(x.Request)
	if x.Response != nil {
		resp := short(*x.Response)
		x.Response = &resp
	}
}

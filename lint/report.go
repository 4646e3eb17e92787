package lint

import (
	"errors"
	"io"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
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
// lane cites, read again from the recordings.
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
		r.Inputs = append(r.Inputs, in)
	}
	for _, e := range o.Set.Entries() {
		if e.Enabled {
			r.Rules = append(r.Rules, reports.RuleFrom(e, res.Context))
		}
	}
	r.Flow = flowSnapshot(res.Ledger)
	if err := res.addExchanges(r); err != nil {
		return nil, err
	}
	r.Subjects = subjectsOf(res.Ledger)
	r.AddFindings(res.Findings)
	for _, e := range res.EngineErrors {
		r.EngineErrors = append(r.EngineErrors, reports.EngineErrorFrom(e))
	}
	r.Finish()
	return r, nil
}

// cited returns the (file, seq) pairs that findings and lanes cite.
func (res *Result) cited(r *reports.Report) map[string]map[uint64]bool {
	out := map[string]map[uint64]bool{}
	add := func(ref rules.Ref) {
		if out[ref.File] == nil {
			out[ref.File] = map[uint64]bool{}
		}
		out[ref.File][ref.Seq] = true
	}
	for _, f := range res.Findings {
		for _, ref := range f.Evidence {
			add(ref)
		}
	}
	for _, a := range r.Flow.Accounts {
		for _, e := range a.Events {
			add(e.Ref)
		}
		for _, l := range a.Lanes {
			for _, e := range l.Events {
				add(e.Ref)
			}
		}
	}
	return out
}

// addExchanges reads the recordings again and adds the cited exchanges,
// decoded, with their headers and bodies.
func (res *Result) addExchanges(r *reports.Report) error {
	want := res.cited(r)
	for _, rec := range res.Recordings {
		seqs := want[rec.Path]
		if len(seqs) == 0 {
			continue
		}
		again, err := Open(rec.Path)
		if err != nil {
			return err
		}
		d := decode.NewDecoder()
		for {
			e, err := again.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				again.Close()
				return err
			}
			m := d.Decode(e)
			if seqs[e.Seq] {
				r.AddExchange(reportExchange(rec.Path, e, m))
			}
		}
		again.Close()
	}
	return nil
}

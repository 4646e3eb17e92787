// Package reports renders the result of a lint in every format acmeproxy
// writes: text for a terminal, JSON (the canonical, versioned form), SARIF
// 2.1.0 for code-scanning services, JUnit XML for CI test tabs, Markdown for
// CI step summaries and pull-request comments, and one self-contained HTML
// page with a timeline of each account's flow.
//
// # One structure, many renderers
//
// Every renderer takes the same *Report and nothing else: the inputs, the
// rules that ran (and those that did not apply), the findings with their
// evidence already resolved to exchanges (file, journal line, method, URL,
// status), the suppressed findings, the engine errors, summary counts, a
// snapshot of the flow ledger (accounts → lanes → events) and the decoded
// exchanges that any lane or finding cites. The JSON form of a Report is
// the report format (Version 1); the other formats are views of it, so a
// saved JSON report can be rendered again later (ReadJSON).
//
// The renderers are plain functions with one signature (Writer), listed by
// name in Formats, so that a command can write several formats in one run:
//
//	for _, out := range outputs {
//		write, _ := reports.Lookup(out.format)
//		err := write(out.w, report, reports.Options{BaseDir: wd})
//	}
//
// # What fills a Report
//
// This package does not read recordings, decode messages or evaluate rules:
// the lint command builds the Report from the flow ledger and the rule
// engine's results, with the helpers here (RuleFrom, EngineErrorFrom,
// BodyOf, JWSBody, AddFindings, Finish) and checks it with Validate before
// rendering. Renderers never fail on a valid Report except for write errors.
//
// # Place in the pipeline
//
// journal → decode → flow → rules → reports. The package imports rules (for
// Finding, Severity, Kind, Citation and Ref) and the standard library only;
// flow's event kinds are mirrored as EventKind with the same spelling, so
// that a Report stays readable without the ledger that produced it.
//
// # Exit codes
//
// Report.ExitCode gives the lint command's status: 0 when no unsuppressed
// finding is at or above FailOn, 1 when one is, 3 when a rule failed to
// evaluate (an engine error: the lint is incomplete). Status 2, a usage or
// input error, happens before there is a Report.
package reports

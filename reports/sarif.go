package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/acmeproxy/acmeproxy/rules"
)

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run, for
// GitHub code scanning and other SARIF viewers.
//
// A result's location is the recording: its artifactLocation is the
// recording file (repository-relative with uriBaseId %SRCROOT% when it is
// inside o.BaseDir, a file: URI otherwise) and its region's startLine the
// journal line of the anchor exchange. Its logical location is the ACME
// object URL (kind "resource"); the other evidence exchanges are related
// locations; partialFingerprints carries the finding's stable fingerprint
// under "acmeproxyFingerprint/v1", so an alert keeps its identity across
// runs whatever the line numbers. Suppressed findings are results with a
// suppression; engine errors are tool execution notifications, and the
// invocation carries the exit code.
func WriteSARIF(w io.Writer, r *Report, o Options) error {
	s := sarifBuilder{r: r, o: o, ruleIndex: map[string]int{}, artifactIndex: map[string]int{}}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{s.run()}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("writing SARIF report: %w", err)
	}
	return nil
}

type sarifBuilder struct {
	r             *Report
	o             Options
	ruleIndex     map[string]int
	artifactIndex map[string]int
	artifacts     []sarifArtifact
	srcRoot       bool // some URI is relative to %SRCROOT%
}

func (s *sarifBuilder) run() sarifRun {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           s.r.Tool.Name,
			Version:        s.r.Tool.Version,
			InformationURI: s.r.Tool.URI,
			Rules:          s.rules(),
		}},
		Results: []sarifResult{},
	}
	for _, in := range s.r.Inputs {
		s.artifact(in.Path)
	}
	for i := range s.r.Findings {
		run.Results = append(run.Results, s.result(&s.r.Findings[i]))
	}
	for i := range s.r.Suppressed {
		run.Results = append(run.Results, s.result(&s.r.Suppressed[i]))
	}
	run.Invocations = []sarifInvocation{s.invocation()}
	run.Artifacts = s.artifacts
	if s.srcRoot && s.o.BaseDir != "" {
		if base, err := filepath.Abs(s.o.BaseDir); err == nil {
			run.OriginalURIBaseIDs = map[string]sarifArtifactLocation{sarifSrcRoot: {URI: fileURI(base) + "/"}}
		}
	}
	run.Properties = map[string]any{"acmeproxy/reportVersion": s.r.Version, "acmeproxy/failOn": s.r.FailOn.String()}
	return run
}

// rules describes every rule of the report, in id order.
func (s *sarifBuilder) rules() []sarifDescriptor {
	out := make([]sarifDescriptor, 0, len(s.r.Rules))
	for i := range s.r.Rules {
		ru := &s.r.Rules[i]
		s.ruleIndex[ru.ID] = i
		full := ru.Description
		if full == "" {
			full = ru.Title
		}
		d := sarifDescriptor{
			ID:                   ru.ID,
			Name:                 pascalCase(ru.ID),
			ShortDescription:     &sarifMessage{Text: sentence(ru.Title)},
			FullDescription:      &sarifMessage{Text: sentence(full)},
			Help:                 &sarifMessage{Text: ru.Help(), Markdown: ruleHelpMarkdown(ru)},
			HelpURI:              ru.HelpURI,
			DefaultConfiguration: &sarifRuleConfig{Level: sarifLevel(ru.Severity)},
			Properties: &sarifRuleProperty{
				Tags:    append([]string{"acme"}, ru.Tags...),
				Subject: string(ru.Subject),
				Skipped: ru.Skipped,
				Source:  ru.Source,
			},
		}
		out = append(out, d)
	}
	return out
}

// ruleHelpMarkdown is the help shown on an alert's page.
func ruleHelpMarkdown(ru *Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", mdEscape(ru.Title))
	if ru.Description != "" {
		fmt.Fprintf(&b, "\n%s\n", mdEscape(ru.Description))
	}
	if ru.Remediation != "" {
		fmt.Fprintf(&b, "\n**How to fix:** %s\n", mdEscape(ru.Remediation))
	}
	if len(ru.Citations) > 0 {
		b.WriteString("\n**References**\n\n")
		for _, c := range ru.Citations {
			fmt.Fprintf(&b, "- %s\n", mdCitation(c))
		}
	}
	return b.String()
}

// result converts one finding.
func (s *sarifBuilder) result(f *Finding) sarifResult {
	res := sarifResult{
		RuleID:              f.Rule,
		RuleIndex:           s.ruleIndex[f.Rule],
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage{Text: sentence(oneLine(f.Message))},
		PartialFingerprints: map[string]string{sarifFingerprintKey: f.Fingerprint},
		Properties:          map[string]string{"subjectKind": string(f.Kind), "subject": f.Subject},
	}
	if f.Account != "" {
		res.Properties["account"] = f.Account
	}
	loc := sarifLocation{}
	if a := f.Anchor(); a != nil {
		loc.PhysicalLocation = s.physical(a.File, a.Line)
	} else {
		loc.PhysicalLocation = s.physical(s.fallbackFile(f), 0)
	}
	if f.Object != "" {
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: f.Object, Kind: "resource"}}
	}
	res.Locations = []sarifLocation{loc}
	for i := 1; i < len(f.Evidence); i++ {
		e := &f.Evidence[i]
		id := i
		res.RelatedLocations = append(res.RelatedLocations, sarifLocation{
			ID:               &id,
			PhysicalLocation: s.physical(e.File, e.Line),
			Message:          &sarifMessage{Text: sentence(relatedText(e))},
		})
	}
	if sp := f.Suppression; sp != nil {
		just := sp.Reason
		if sp.Source == rules.SuppressedByBaseline {
			just = "accepted in the baseline " + sp.Pos.File
		}
		res.Suppressions = []sarifSupp{{Kind: "external", Status: "accepted", Justification: just}}
	}
	return res
}

// fallbackFile is the file a finding without evidence points at: its
// recording, or the first input.
func (s *sarifBuilder) fallbackFile(f *Finding) string {
	if f.Kind == rules.KindSession && s.r.Input(f.Subject) != nil {
		return f.Subject
	}
	if f.Recording != "" {
		return f.Recording
	}
	if len(s.r.Inputs) > 0 {
		return s.r.Inputs[0].Path
	}
	return "."
}

// relatedText describes an evidence exchange: "POST https://… → 201
// (order.create; created)".
func relatedText(e *Evidence) string {
	line := evidenceLine(e)
	return strings.TrimSpace(strings.TrimPrefix(line, e.String()))
}

// physical returns the location of a line of a recording.
func (s *sarifBuilder) physical(file string, line int) *sarifPhysicalLocation {
	loc := s.artifact(file)
	p := &sarifPhysicalLocation{ArtifactLocation: loc}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line}
	}
	return p
}

// artifact returns the artifact location of a recording, registering it
// in run.artifacts.
func (s *sarifBuilder) artifact(file string) sarifArtifactLocation {
	uri, base := artifactURI(file, s.o.BaseDir)
	if base != "" {
		s.srcRoot = true
	}
	i, ok := s.artifactIndex[file]
	if !ok {
		i = len(s.artifacts)
		s.artifactIndex[file] = i
		s.artifacts = append(s.artifacts, sarifArtifact{
			Location: sarifArtifactLocation{URI: uri, URIBaseID: base},
			Roles:    []string{"analysisTarget"},
			MimeType: recordingMIME(s.r.Input(file)),
		})
	}
	return sarifArtifactLocation{URI: uri, URIBaseID: base, Index: &i}
}

// recordingMIME is the media type of a recording.
func recordingMIME(in *Input) string {
	if in != nil && in.Format == InputHAR {
		return "application/json"
	}
	return "application/jsonl"
}

// invocation describes the run: success unless an engine error happened,
// the exit code, and a notification per engine error.
func (s *sarifBuilder) invocation() sarifInvocation {
	inv := sarifInvocation{
		ExecutionSuccessful: len(s.r.EngineErrors) == 0 && !s.r.Client.Failed(),
		ExitCode:            s.r.Summary.ExitCode,
		ExitCodeDescription: exitDescription(s.r.Summary.ExitCode, s.r.FailOn),
	}
	if c := s.r.Client; c.Failed() {
		if s.r.Summary.ExitCode == ExitFindings {
			inv.ExitCodeDescription = "the ACME client failed"
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: "error", Message: sarifMessage{Text: sentence(c.String())}})
	}
	for _, e := range s.r.EngineErrors {
		n := sarifNotification{Level: "error", Message: sarifMessage{Text: sentence(engineErrorText(&e))}}
		if i, ok := s.ruleIndex[e.Rule]; ok {
			n.AssociatedRule = &sarifRuleRef{ID: e.Rule, Index: i}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	return inv
}

// exitDescription explains an exit code.
func exitDescription(code int, failOn rules.Severity) string {
	switch code {
	case ExitClean:
		return "no unsuppressed finding at or above " + failOn.String()
	case ExitFindings:
		return "findings at or above " + failOn.String()
	case ExitEngine:
		return "a rule failed to evaluate; the lint is incomplete"
	}
	return "usage or input error"
}

// artifactURI returns the URI of a recording and its uriBaseId: a
// slash-separated relative reference against %SRCROOT% when the file is
// inside base (or, without a base, when the path is relative and does not
// climb out with ".."), a file: URI otherwise. A relative path is relative
// to the working directory, as the user gave it, whatever base is.
func artifactURI(path, base string) (uri, baseID string) {
	p := filepath.Clean(path)
	if base == "" && !filepath.IsAbs(p) && filepath.IsLocal(p) {
		return relURI(p), sarifSrcRoot
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return relURI(p), ""
	}
	if base != "" {
		if b, err := filepath.Abs(base); err == nil {
			if rel, err := filepath.Rel(b, abs); err == nil && filepath.IsLocal(rel) {
				return relURI(rel), sarifSrcRoot
			}
		}
	}
	return fileURI(abs), ""
}

// relURI escapes a relative OS path as a relative URI reference.
func relURI(rel string) string {
	u := url.URL{Path: filepath.ToSlash(rel)}
	return strings.TrimPrefix(u.String(), "./")
}

// fileURI returns the file: URI of an absolute OS path.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path
	}
	u := url.URL{Scheme: "file", Path: p}
	return u.String()
}

// sarifLevel maps a severity to a result level (§3.27.10).
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warning:
		return "warning"
	}
	return "note"
}

// pascalCase turns a snake_case rule id into a SARIF rule name:
// "orphaned_authorization" → "OrphanedAuthorization".
func pascalCase(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// sentence ends s with a period unless it already ends with punctuation,
// as SARIF viewers expect of messages.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return s
	}
	return s + "."
}

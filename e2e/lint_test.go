package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// lintReport is the part of `acmeproxy lint --format json` the tests read,
// decoded as any consumer of the JSON report would.
type lintReport struct {
	Inputs []struct {
		Path      string `json:"path"`
		Format    string `json:"format"`
		Exchanges int    `json:"exchanges"`
		CA        string `json:"ca"`
		Dialect   string `json:"dialect"`
	} `json:"inputs"`
	Findings     []lintFinding `json:"findings"`
	Suppressed   []lintFinding `json:"suppressed"`
	EngineErrors []struct {
		Rule    string `json:"rule"`
		Message string `json:"message"`
	} `json:"engine_errors"`
	Summary struct {
		Findings int `json:"findings"`
		ExitCode int `json:"exit_code"`
	} `json:"summary"`
	Flow struct {
		Accounts []struct {
			Lanes []struct {
				Kind   string `json:"kind"`
				Key    string `json:"key"`
				Label  string `json:"label"`
				Status string `json:"status"`
				Events []struct {
					Kind   string `json:"kind"`
					Status string `json:"status"`
				} `json:"events"`
			} `json:"lanes"`
		} `json:"accounts"`
	} `json:"flow"`
	Exchanges []struct {
		Seq       int    `json:"seq"`
		Method    string `json:"method"`
		URL       string `json:"url"`
		Operation string `json:"operation"`
		Status    int    `json:"status"`
		Response  *struct {
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
		} `json:"response"`
	} `json:"exchanges"`
}

type lintFinding struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Kind        string `json:"kind"`
	Subject     string `json:"subject"`
	Label       string `json:"label"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	Suppression *struct {
		Source string `json:"source"`
		Reason string `json:"reason"`
	} `json:"suppression"`
	Evidence []struct {
		Seq       int    `json:"seq"`
		Operation string `json:"operation"`
		Method    string `json:"method"`
		URL       string `json:"url"`
		Status    int    `json:"status"`
	} `json:"evidence"`
}

// lintFile runs `acmeproxy lint --format json ARGS... FILE` in dir (so that
// no acmeproxy.yaml is picked up by accident) and decodes the report. Exit
// codes 0 and 1 (findings at or above --fail-on) are both a lint that ran.
func lintFile(t testing.TB, dir, file string, args ...string) *lintReport {
	t.Helper()
	argv := append([]string{"lint", "--format", "json"}, args...)
	argv = append(argv, file)
	cmd := exec.Command(acmeproxyBin, argv...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("acmeproxy %s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	var rep lintReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("acmeproxy %s: the JSON report does not decode: %v", strings.Join(argv, " "), err)
	}
	if len(rep.EngineErrors) > 0 {
		t.Fatalf("acmeproxy %s: engine errors %+v", strings.Join(argv, " "), rep.EngineErrors)
	}
	return &rep
}

// counts is rule id → number of findings, for the findings whose severity
// is in sev (every severity when sev is empty).
func (r *lintReport) counts(sev ...string) map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		if len(sev) == 0 || slices.Contains(sev, f.Severity) {
			m[f.Rule]++
		}
	}
	return m
}

// suppressedBy returns the source ("config" or "baseline") that suppressed
// the findings of rule, "" when none was.
func (r *lintReport) suppressedBy(rule string) string {
	for _, f := range r.Suppressed {
		if f.Rule == rule && f.Suppression != nil {
			return f.Suppression.Source
		}
	}
	return ""
}

// byRule returns the findings of one rule.
func (r *lintReport) byRule(rule string) []lintFinding {
	var out []lintFinding
	for _, f := range r.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// formatCounts prints a rule count map in a stable order.
func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s×%d", k, m[k])
	}
	return b.String()
}

package reports_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// maxHTMLBytes is the size the HTML report must stay under for hundreds
// of accounts: "a few MB", small enough to attach to a CI run and open on
// a laptop.
const maxHTMLBytes = 4 << 20

// TestSizes renders an empty report and fleets of 300 and 1000 accounts:
// the HTML stays under maxHTMLBytes and says what it left out, the
// Markdown stays within its limit and says how many findings it did not
// show, and every format renders.
func TestSizes(t *testing.T) {
	cases := []struct {
		name     string
		accounts int
	}{{"empty", 0}, {"fleet-300", 300}, {"fleet-1000", 1000}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := emptyReport(t)
			if tc.accounts > 0 {
				r = largeReport(t, tc.accounts)
			}
			built := time.Since(start)
			sizes := map[string]int{}
			var html, md []byte
			for _, f := range reports.Formats() {
				if tc.accounts >= 1000 && f.Name != "html" && f.Name != "markdown" {
					continue // the 300-account case covers the others; -race makes JSON of 30 MB slow
				}
				start := time.Now()
				out := render(t, f, r, reports.Options{})
				sizes[f.Name] = len(out)
				t.Logf("%-8s %9d bytes in %v", f.Name, len(out), time.Since(start).Round(time.Millisecond))
				switch f.Name {
				case "html":
					html = out
				case "markdown":
					md = out
				}
			}
			t.Logf("%d accounts, %d findings, %d exchanges; built in %v", len(r.Flow.Accounts), len(r.Findings),
				len(r.Exchanges), built.Round(time.Millisecond))
			if len(html) > maxHTMLBytes {
				t.Errorf("HTML is %d bytes, want at most %d", len(html), maxHTMLBytes)
			}
			if len(md) > 64<<10 {
				t.Errorf("Markdown is %d bytes, want at most 64 KiB", len(md))
			}
			if tc.accounts >= 1000 {
				for _, want := range []string{"not drawn", "not listed here"} {
					if !bytes.Contains(html, []byte(want)) {
						t.Errorf("HTML does not say %q", want)
					}
				}
				if !bytes.Contains(md, []byte("findings are not shown")) {
					t.Errorf("Markdown does not say that it left findings out")
				}
			}
		})
	}
}

// emptyReport is a lint of an empty recording.
func emptyReport(t testing.TB) *reports.Report {
	b := newBuilder(t, rules.Error)
	b.withRules(true)
	b.input("recordings/empty.jsonl", "", "", "", time.Time{})
	return b.done()
}

// TestMarkdownLimit renders with a small limit: the output fits, keeps the
// summary tables, shows failing findings first and counts the rest.
func TestMarkdownLimit(t *testing.T) {
	r := largeReport(t, 120)
	for _, limit := range []int{4 << 10, 16 << 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			out := string(render(t, mustFormat(t, "markdown"), r, reports.Options{MaxMarkdownBytes: limit}))
			if len(out) > limit {
				t.Errorf("%d bytes, limit %d", len(out), limit)
			}
			for _, want := range []string{"| Rule | Severity | Findings | Suppressed |", "### Findings at or above warning", "are not shown"} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q", want)
				}
			}
			if i, j := strings.Index(out, "**error**"), strings.Index(out, "### Findings below"); j >= 0 && i > j {
				t.Error("failing findings are not first")
			}
		})
	}
}

package lint_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

var update = flag.Bool("update", false, "rewrite the report goldens that differ")

// goldenRecordings are real recordings whose report, in every format, is
// kept under testdata/golden: a clean v2 run, the acme-tiny orphan, a CSR
// signed with the account key, and a 429 after orphans piled up.
var goldenRecordings = []string{"v2-happy", "v1-self-check-fails", "v2-csr-account-key", "v1-rate-limited"}

// TestReportGoldens lints real recordings with the built-in pack and
// compares each format with its golden file. The generated time and the
// lint clock are fixed; everything else comes from the recording.
func TestReportGoldens(t *testing.T) {
	rs, err := rules.LoadFS(builtin.FS(), "builtin", builtin.Schema())
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, name := range goldenRecordings {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "examples", "recordings", name+".jsonl")
			res, err := lint.Run(t.Context(), []string{path}, lint.Options{Set: set, LintTime: fixed})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := res.Report(lint.ReportOptions{Tool: reports.Tool{Name: "acmeproxy", Version: "0.0.0-golden", URI: "https://github.com/acmeproxy/acmeproxy"},
				Generated: fixed, FailOn: rules.Error, Set: set})
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Validate(); err != nil {
				t.Fatal(err)
			}
			for _, f := range reports.Formats() {
				var buf bytes.Buffer
				if err := f.Write(&buf, rep, reports.Options{BaseDir: ".."}); err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				compareGolden(t, filepath.Join("testdata", "golden", name+f.Ext), normaliseRoot(t, buf.Bytes()))
			}
		})
	}
}

// normaliseRoot replaces the checkout's absolute location (SARIF names it
// as %SRCROOT%) with file:///REPO/, so the goldens hold in any clone.
func normaliseRoot(t *testing.T, b []byte) []byte {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("file://"+filepath.ToSlash(root)+"/"), []byte("file:///REPO/"))
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if bytes.Equal(want, got) {
		return
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v (run go test ./lint -run TestReportGoldens -update)", path, err)
	}
	t.Errorf("%s differs from the golden file (%d bytes, want %d); rerun with -update and review the diff", path, len(got), len(want))
}

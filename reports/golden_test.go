package reports_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files that differ")

// TestGolden renders every scenario in every format and compares the
// output with testdata/golden/<scenario><ext>. Run with -update to
// rewrite the files that differ.
func TestGolden(t *testing.T) {
	sc := scenarios(t)
	names := sortedKeys(sc)
	for _, name := range names {
		for _, f := range reports.Formats() {
			t.Run(name+"/"+f.Name, func(t *testing.T) {
				out := render(t, f, sc[name], reports.Options{})
				checkGolden(t, filepath.Join("testdata", "golden", name+f.Ext), out)
			})
		}
	}
}

// render writes r in format f.
func render(t testing.TB, f reports.Format, r *reports.Report, o reports.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf, r, o); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return buf.Bytes()
}

// mustFormat returns the format called name.
func mustFormat(t testing.TB, name string) reports.Format {
	t.Helper()
	f, ok := reports.Lookup(name)
	if !ok {
		t.Fatalf("no format %q", name)
	}
	return f
}

// checkGolden compares got with the golden file, rewriting it under
// -update when it differs.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err == nil && bytes.Equal(got, want) {
		return
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
		return
	}
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update to accept)", path, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s differs in length: got %d lines, want %d (run go test -update to accept)", path, len(gl), len(wl))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

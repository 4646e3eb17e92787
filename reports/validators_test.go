package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/acmeproxy/acmeproxy/reports"
)

// sarifSchema compiles the vendored SARIF 2.1.0 schema, with format
// assertions on (uri, uri-reference, date-time).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sarifOutputs renders SARIF for every scenario and for the large report,
// with and without a base directory.
func sarifOutputs(t *testing.T) map[string][]byte {
	t.Helper()
	f := mustFormat(t, "sarif")
	out := map[string][]byte{}
	sc := scenarios(t)
	for _, name := range sortedKeys(sc) {
		out[name] = render(t, f, sc[name], reports.Options{})
	}
	out["orphan-v1-basedir"] = render(t, f, sc["orphan-v1"], reports.Options{BaseDir: "/work/repo"})
	out["large"] = render(t, f, largeReport(t, 60), reports.Options{})
	addRealGoldens(t, out, ".sarif")
	return out
}

// addRealGoldens adds the lint package's goldens of real recordings with
// extension ext (their SARIF and JUnit come from real traffic, linted
// with the built-in pack) to docs, named real-<recording>.
func addRealGoldens(t *testing.T, docs map[string][]byte, ext string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "lint", "testdata", "golden", "*"+ext))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no real-recording goldens *%s under lint/testdata/golden (%v)", ext, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs["real-"+strings.TrimSuffix(filepath.Base(p), ext)] = b
	}
}

// TestSARIFSchema validates SARIF output against the SARIF 2.1.0 JSON
// schema, and checks that the schema does reject a broken log.
func TestSARIFSchema(t *testing.T) {
	s := sarifSchema(t)
	outputs := sarifOutputs(t)
	for _, name := range sortedKeys(outputs) {
		t.Run("ok/"+name, func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(outputs[name]))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(doc); err != nil {
				t.Fatalf("SARIF does not match the schema:\n%v", err)
			}
		})
	}
	t.Run("fail/bad-level", func(t *testing.T) {
		bad := strings.Replace(string(outputs["orphan-v1"]), `"level": "warning"`, `"level": "severe"`, 1)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(doc) == nil {
			t.Fatal("the schema accepted a result level of \"severe\"")
		}
	})
}

// TestSARIFMultitool runs Microsoft's SARIF validator (sarif-multitool
// validate) on the SARIF output: no result at level error or warning.
// Its notes (advice such as "provide code snippets") are logged.
func TestSARIFMultitool(t *testing.T) {
	tool := sarifMultitool(t)
	dir := t.TempDir()
	outputs := sarifOutputs(t)
	// run validates the named documents in one invocation (the .NET
	// tool takes seconds to start) and returns the problems found.
	run := func(t *testing.T, docs map[string][]byte) []string {
		out := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+".validation.sarif")
		args := []string{"validate", "--level", "Error;Warning;Note", "--output", out}
		for name, doc := range docs {
			in := filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".sarif")
			if err := os.WriteFile(in, doc, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, in)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, tool, args...)
		// The validator's SARIF2006 fetches every http(s) URI of the
		// log; a proxy on a closed loopback port keeps it off the
		// network (it then notes the URIs as unreachable).
		cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
			"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "ALL_PROXY=http://127.0.0.1:9", "NO_PROXY=")
		msg, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sarif-multitool validate: %v\n%s", err, msg)
		}
		return multitoolProblems(t, out)
	}
	t.Run("ok/all", func(t *testing.T) {
		t.Logf("validating %v", sortedKeys(outputs))
		for _, p := range run(t, outputs) {
			t.Error(p)
		}
	})
	t.Run("fail/no-information-uri", func(t *testing.T) {
		r := orphanV1(t)
		r.Tool.URI = ""
		if len(run(t, map[string][]byte{"no-uri": render(t, mustFormat(t, "sarif"), r, reports.Options{})})) == 0 {
			t.Fatal("the validator found nothing wrong with a driver without informationUri (SARIF2005)")
		}
	})
}

// multitoolResult is one finding of the SARIF validator.
type multitoolResult struct {
	RuleID  string `json:"ruleId"`
	Kind    string `json:"kind"`
	Level   string `json:"level"`
	Message struct {
		Text      string   `json:"text"`
		Arguments []string `json:"arguments"`
	} `json:"message"`
	Locations []struct {
		Physical struct {
			Artifact struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
		} `json:"physicalLocation"`
	} `json:"locations"`
}

// where names the validated file a result is about.
func (r *multitoolResult) where() string {
	if len(r.Locations) == 0 {
		return ""
	}
	return "in " + r.Locations[0].Physical.Artifact.URI
}

// multitoolProblems returns the validator's results at level error or
// warning, and its tool notifications.
func multitoolProblems(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results     []multitoolResult `json:"results"`
			Invocations []struct {
				OK    bool `json:"executionSuccessful"`
				Notes []struct {
					Message struct {
						Text string `json:"text"`
					} `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	notes := map[string]int{}
	var problems []string
	for _, run := range log.Runs {
		for _, inv := range run.Invocations {
			for _, n := range inv.Notes {
				problems = append(problems, "validator notification: "+n.Message.Text)
			}
		}
		for _, r := range run.Results {
			// An absent level is "warning" for a result of kind "fail"
			// (SARIF 2.1.0 §3.27.10).
			level := r.Level
			if level == "" && (r.Kind == "" || r.Kind == "fail") {
				level = "warning"
			}
			switch level {
			case "error", "warning":
				problems = append(problems, fmt.Sprintf("%s %s: %s %v %s", level, r.RuleID, r.Message.Text, r.Message.Arguments, r.where()))
			default:
				notes[r.RuleID]++
			}
		}
	}
	t.Logf("validator notes (advice, not errors): %v", notes)
	return problems
}

// TestJUnitSchema validates JUnit output with xmllint against
// testdata/junit.xsd, and checks that the schema rejects a <warning>
// element and repeated test case names.
func TestJUnitSchema(t *testing.T) {
	lint := xmllint(t)
	xsd, err := filepath.Abs(filepath.Join("testdata", "junit.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	validate := func(t *testing.T, name string, doc []byte) error {
		p := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), lint, "--noout", "--schema", xsd, p).CombinedOutput()
		if err != nil {
			return &toolError{err: err, out: string(out)}
		}
		return nil
	}
	f := mustFormat(t, "junit")
	docs := map[string][]byte{}
	sc := scenarios(t)
	for _, name := range sortedKeys(sc) {
		docs[name] = render(t, f, sc[name], reports.Options{})
	}
	docs["large"] = render(t, f, largeReport(t, 60), reports.Options{MaxPassing: 20})
	addRealGoldens(t, docs, ".xml")
	for _, name := range sortedKeys(docs) {
		t.Run("ok/"+name, func(t *testing.T) {
			if err := validate(t, name, docs[name]); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("fail/warning-element", func(t *testing.T) {
		bad := strings.Replace(string(docs["orphan-v1"]), "<failure ", "<warning ", 1)
		bad = strings.Replace(bad, "</failure>", "</warning>", 1)
		if validate(t, "warning", []byte(bad)) == nil {
			t.Fatal("the schema accepted a <warning> element")
		}
	})
	t.Run("fail/repeated-name", func(t *testing.T) {
		doc := string(docs["clean-v2"])
		i := strings.Index(doc, "<testcase ")
		j := strings.Index(doc[i:], "</testcase>") + i + len("</testcase>")
		bad := doc[:j] + doc[i:j] + doc[j:]
		if validate(t, "repeated", []byte(bad)) == nil {
			t.Fatal("the schema accepted two test cases with one name")
		}
	})
}

type toolError struct {
	err error
	out string
}

func (e *toolError) Error() string { return e.err.Error() + "\n" + e.out }

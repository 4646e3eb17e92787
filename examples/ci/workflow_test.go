// Package ci_test runs the steps of the example GitHub Actions workflow on
// this machine: the same commands, in the same order, with the runner's
// variables (RUNNER_TEMP, GITHUB_ENV, GITHUB_STEP_SUMMARY) pointed at a
// temporary directory. Steps that only make sense on a runner (actions,
// the apt-get/go install step) are replaced: the test builds acmeproxy.
package ci_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/acmeproxy/acmeproxy/internal/citest"
)

type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string `yaml:"name"`
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T) workflow {
	t.Helper()
	b, err := os.ReadFile("github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("github-actions.yml: %v", err)
	}
	if len(w.Jobs["lint"].Steps) == 0 {
		t.Fatal("github-actions.yml has no lint job steps")
	}
	return w
}

// TestWorkflowScriptsExist checks that every script a step runs is here
// and executable.
func TestWorkflowScriptsExist(t *testing.T) {
	for _, s := range readWorkflow(t).Jobs["lint"].Steps {
		for _, f := range strings.Fields(s.Run) {
			if name, ok := strings.CutPrefix(f, "examples/ci/"); ok {
				st, err := os.Stat(name)
				if err != nil || st.Mode()&0o111 == 0 {
					t.Errorf("step %q runs %s: %v (mode %v)", s.Name, f, err, st)
				}
			}
		}
	}
}

// needTools fails in CI and skips elsewhere when a program is missing.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			citest.Missing(t, "%s is not installed (apt-get install pebble acme-tiny openssl python3)", n)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestWorkflowRunsLocally runs the workflow's steps with Pebble and
// acme-tiny and checks what the one-line acmeproxy step leaves: a clean
// exit, the certificate acme-tiny printed, a SARIF log naming the client's
// success, the journal and the Markdown step summary.
func TestWorkflowRunsLocally(t *testing.T) {
	needTools(t, "pebble", "pebble-challtestsrv", "acme-tiny", "openssl", "python3")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "acmeproxy"), "../../cmd/acmeproxy")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building acmeproxy: %v\n%s", err, out)
	}
	// The steps run from a checkout; here, a directory whose examples/
	// is this repository's.
	root := filepath.Join(tmp, "checkout")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("..")
	if err := os.Symlink(abs, filepath.Join(root, "examples")); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(tmp, "work")
	env := map[string]string{
		"PATH": bin + ":" + os.Getenv("PATH"), "HOME": tmp, "WORK": work, "RUNNER_TEMP": tmp,
		"GITHUB_ENV": filepath.Join(tmp, "github_env"), "GITHUB_STEP_SUMMARY": filepath.Join(tmp, "summary.md"),
		"PEBBLE_PORT": freePort(t), "PEBBLE_MGMT_PORT": freePort(t), "DNS_PORT": freePort(t),
		"CHALL_MGMT_PORT": freePort(t), "HTTP01_PORT": freePort(t),
	}
	t.Cleanup(func() { runStep(context.Background(), root, env, "examples/ci/stop.sh") })
	for _, s := range readWorkflow(t).Jobs["lint"].Steps {
		if s.Uses != "" || s.Run == "" || strings.Contains(s.Run, "apt-get") || s.Name == "Stop Pebble" {
			continue // runner-only steps
		}
		out, err := runStep(t.Context(), root, env, s.Run)
		t.Logf("step %q:\n%s", s.Name, out)
		if err != nil {
			t.Fatalf("step %q failed: %v", s.Name, err)
		}
		loadGitHubEnv(t, env)
	}
	if crt, _ := os.ReadFile(filepath.Join(work, "domain.crt")); !strings.Contains(string(crt), "BEGIN CERTIFICATE") {
		t.Errorf("acme-tiny printed no certificate through the proxy:\n%s", crt)
	}
	if j, err := os.ReadFile(filepath.Join(work, "acme.jsonl")); err != nil || strings.Count(string(j), "\n") < 10 {
		t.Errorf("journal: %v, %d lines", err, strings.Count(string(j), "\n"))
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results     []json.RawMessage `json:"results"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				ExitCode            int  `json:"exitCode"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(filepath.Join(root, "acme.sarif"))
	if err != nil || json.Unmarshal(b, &sarif) != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Fatalf("acme.sarif is not a SARIF 2.1.0 log (%v):\n%.300s", err, b)
	}
	if inv := sarif.Runs[0].Invocations; len(inv) != 1 || !inv[0].ExecutionSuccessful || inv[0].ExitCode != 0 {
		t.Errorf("SARIF invocations %+v, want one successful with exit code 0", inv)
	}
	if sum, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"]); !strings.Contains(string(sum), "acmeproxy") || !strings.Contains(string(sum), "acme-tiny") {
		t.Errorf("step summary not written:\n%s", sum)
	}
}

func runStep(ctx context.Context, dir string, env map[string]string, script string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// loadGitHubEnv does what the runner does between steps: variables a step
// appended to $GITHUB_ENV are set for the next ones.
func loadGitHubEnv(t *testing.T, env map[string]string) {
	t.Helper()
	f, err := os.Open(env["GITHUB_ENV"])
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
}

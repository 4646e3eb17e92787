package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns the exit code and
// both outputs.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(t.Context(), args, getenv, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "--no-such-flag")
	if code != exitUsage {
		t.Fatalf("exit code = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "no-such-flag") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("stderr should be one line naming the flag, got %q", stderr)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "--version")
	if code != exitOK || !strings.Contains(stdout, version) {
		t.Fatalf("--version: code %d, stdout %q", code, stdout)
	}
}

// Package citest holds the project's rule for a test whose prerequisite
// (a program, a file system, a network tool) is missing: in CI (CI=true)
// the test fails, so that nothing is skipped silently; elsewhere it is
// skipped with a message saying what to install.
package citest

import (
	"fmt"
	"os"
	"testing"
)

// Missing fails t in CI and skips it elsewhere, with the message made of
// format and args.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("required in CI: %s", msg)
	}
	t.Skip(msg)
}

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// update rewrites examples/e2e/*.expect.json from what lint says now.
var update = flag.Bool("update", false, "rewrite the expected findings of examples/e2e from the current lint")

// acmeproxyBin is the acmeproxy binary built by TestMain; repoRoot is the
// module's root directory.
var acmeproxyBin, repoRoot string

// TestMain builds the binary the tests run, as a user would.
func TestMain(m *testing.M) {
	flag.Parse()
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return 0, err
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "acmeproxy-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	acmeproxyBin = filepath.Join(dir, "acmeproxy")
	build := exec.Command("go", "build", "-o", acmeproxyBin, "./cmd/acmeproxy")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/acmeproxy: %v\n%s", err, out)
	}
	return m.Run(), nil
}

package reports_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/citest"
)

// External validators. In CI (CI=true) a missing tool fails the test: the
// CI script installs them (Debian chromium and libxml2-utils; the npm
// package @microsoft/sarif-multitool-linux, fetched by the test itself
// into the user cache directory). Elsewhere the test is skipped with a
// message saying what to install.

// missingTool fails the test in CI and skips it elsewhere.
func missingTool(t *testing.T, what, install string) {
	t.Helper()
	citest.Missing(t, "%s not found; %s", what, install)
}

// xmllint returns the path of xmllint.
func xmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		missingTool(t, "xmllint", "apt-get install -y libxml2-utils")
	}
	return p
}

// sarifMultitoolVersion is the Microsoft SARIF Multitool the tests run.
const sarifMultitoolVersion = "5.7.0"

// sarifMultitool returns the path of Microsoft's SARIF Multitool: the one
// $SARIF_MULTITOOL names, or the npm package installed (once) under the
// user cache directory with npm.
func sarifMultitool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SARIF_MULTITOOL"); p != "" {
		return p
	}
	if runtime.GOOS != "linux" {
		missingTool(t, "Sarif.Multitool", "the tests install the Linux build only; set SARIF_MULTITOOL")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "acmeproxy-tests", "sarif-multitool-"+sarifMultitoolVersion)
	bin := filepath.Join(dir, "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool")
	if _, err := os.Stat(bin); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			missingTool(t, "npm (to install @microsoft/sarif-multitool)", "apt-get install -y npm, or set SARIF_MULTITOOL")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save",
			"@microsoft/sarif-multitool-linux@"+sarifMultitoolVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			missingTool(t, "@microsoft/sarif-multitool", "npm install failed: "+err.Error()+"\n"+string(out))
		}
	}
	// npm may have skipped the package's postinstall (chmod u+x).
	if err := os.Chmod(bin, 0o755); err != nil {
		missingTool(t, "Sarif.Multitool", err.Error())
	}
	return bin
}

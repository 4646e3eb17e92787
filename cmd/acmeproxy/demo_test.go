package main

import (
	"strings"
	"testing"
)

// The README's first command: the demo reproduces the acme-tiny bug and the
// lint names the orphan, its evidence and the fix.
func TestDemoFindsTheOrphan(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "demo", "--dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"couldn't download http://www.example.test/.well-known/acme-challenge/",
		"authorization www.example.test",
		"warning orphaned_pending_authorization",
		"got HTTP 404 just before",
		"deactivate it",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "authorization example.test  ") {
		t.Errorf("the validated name must not be reported:\n%s", out)
	}
}

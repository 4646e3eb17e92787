package examplepack_test

import (
	"testing"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// TestPackAudit is the meta-test every rule pack carries: each rule has a
// citation, a remediation, a firing and a silent example, and every
// example passes.
func TestPackAudit(t *testing.T) {
	pack, err := rules.LoadFS(examplepack.FS(), "examplepack", examplepack.Schema())
	if err != nil {
		t.Fatalf("loading the pack: %v", err)
	}
	if len(pack) == 0 {
		t.Fatal("the pack is empty")
	}
	for _, err := range rules.Audit(t.Context(), pack, examplepack.ReadRecording) {
		t.Error(err)
	}
}

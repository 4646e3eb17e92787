package rules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// BaselineFormat and BaselineVersion identify a baseline file.
const (
	BaselineFormat  = "acmeproxy-baseline"
	BaselineVersion = 1
)

// Baseline is a set of accepted finding fingerprints: findings that were
// present when the baseline was written and are not to fail a build again.
// A Baseline is immutable once read.
type Baseline struct {
	entries map[string]BaselineEntry
}

// BaselineEntry is one accepted finding. Only Fingerprint matters when
// matching; Rule, Subject and Account make the file reviewable.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Subject     string `json:"subject"`
	Account     string `json:"account,omitempty"`
}

// baselineFile is the JSON shape of a baseline file.
type baselineFile struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// Contains reports whether fingerprint fp is accepted.
func (b *Baseline) Contains(fp string) bool {
	if b == nil {
		return false
	}
	_, ok := b.entries[fp]
	return ok
}

// Len returns the number of accepted fingerprints.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.entries)
}

// ReadBaseline reads a baseline file written by WriteBaseline. Unknown
// fields and other formats or versions are errors.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f baselineFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	if f.Format != BaselineFormat || f.Version != BaselineVersion {
		return nil, fmt.Errorf("rules: not an %s version %d file (format %q, version %d)",
			BaselineFormat, BaselineVersion, f.Format, f.Version)
	}
	b := &Baseline{entries: make(map[string]BaselineEntry, len(f.Findings))}
	for _, e := range f.Findings {
		if e.Fingerprint == "" {
			return nil, fmt.Errorf("rules: baseline entry for %s %s without a fingerprint", e.Rule, e.Subject)
		}
		b.entries[e.Fingerprint] = e
	}
	return b, nil
}

// WriteBaseline writes a baseline accepting findings: every finding not
// suppressed by the configuration (findings the current baseline already
// accepts are kept). Entries are sorted and de-duplicated so that the file
// diffs well under version control.
func WriteBaseline(w io.Writer, findings []Finding) error {
	f := baselineFile{Format: BaselineFormat, Version: BaselineVersion, Findings: []BaselineEntry{}}
	for _, fd := range findings {
		if fd.Suppression != nil && fd.Suppression.Source == SuppressedByConfig {
			continue
		}
		f.Findings = append(f.Findings, BaselineEntry{Fingerprint: fd.Fingerprint, Rule: fd.Rule,
			Subject: fd.Subject, Account: fd.Account})
	}
	slices.SortFunc(f.Findings, func(a, b BaselineEntry) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.Account, b.Account), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	f.Findings = slices.CompactFunc(f.Findings, func(a, b BaselineEntry) bool { return a.Fingerprint == b.Fingerprint })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("writing baseline: %w", err)
	}
	return nil
}

package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as indented JSON: the canonical, versioned
// report format. Options are ignored.
func WriteJSON(w io.Writer, r *Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON. It rejects unknown fields
// and other versions, and validates the result.
func ReadJSON(rd io.Reader) (*Report, error) {
	var probe struct {
		Version int `json:"version"`
	}
	dec := json.NewDecoder(rd)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("reading JSON report: %w", err)
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("reading JSON report: %w", err)
	}
	if probe.Version != Version {
		return nil, fmt.Errorf("reports: unsupported report version %d (want %d)", probe.Version, Version)
	}
	r := new(Report)
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(r); err != nil {
		return nil, fmt.Errorf("reading JSON report: %w", err)
	}
	r.buildIndex()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

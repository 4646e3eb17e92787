package examplepack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// recordingFile is the JSON shape of a synthetic recording: the subjects a
// ledger would have built, written out directly.
type recordingFile struct {
	Now            time.Time      `json:"now"`
	CA             string         `json:"ca"`
	Exchanges      []*Exchange    `json:"exchanges"`
	Accounts       []*Account     `json:"accounts"`
	Authorizations []*Authz       `json:"authorizations"`
	Orders         []*Order       `json:"orders"`
	Certificates   []*Certificate `json:"certificates"`
	Sessions       []*Session     `json:"sessions"`
}

// ReadRecording reads a synthetic recording (JSON, unknown fields
// rejected). It is the pack's rules.ExampleLoader.
func ReadRecording(path string) (rules.Recording, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return rules.Recording{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f recordingFile
	if err := dec.Decode(&f); err != nil {
		return rules.Recording{}, fmt.Errorf("decoding %s: %w", path, err)
	}
	return rules.Recording{
		Context: rules.EvalContext{Now: f.Now, CA: f.CA},
		Subjects: rules.Subjects{
			rules.KindExchange:      subjects(f.Exchanges),
			rules.KindAccount:       subjects(f.Accounts),
			rules.KindAuthorization: subjects(f.Authorizations),
			rules.KindOrder:         subjects(f.Orders),
			rules.KindCertificate:   subjects(f.Certificates),
			rules.KindSession:       subjects(f.Sessions),
		},
	}, nil
}

// subjects converts a typed slice to []rules.Subject.
func subjects[T rules.Subject](l []T) []rules.Subject {
	out := make([]rules.Subject, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

package legacyca

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// problemType is the part of a v1 error type after "urn:acme:error:"
// (acme-reference.md §8.1, Boulder probs/probs.go).
type problemType string

// The v1 problem types this CA emits.
const (
	probMalformed             problemType = "malformed"
	probUnauthorized          problemType = "unauthorized"
	probServerInternal        problemType = "serverInternal"
	probBadNonce              problemType = "badNonce"
	probRateLimited           problemType = "rateLimited"
	probConnection            problemType = "connection"
	probDNS                   problemType = "dns"
	probInvalidEmail          problemType = "invalidEmail"
	probBadSignatureAlgorithm problemType = "badSignatureAlgorithm"
	probBadRevocationReason   problemType = "badRevocationReason"
)

// v1ErrorPrefix is the namespace of every v1 problem type.
const v1ErrorPrefix = "urn:acme:error:"

// problem is an RFC 7807 problem document as Boulder v1 sent it: type,
// detail and the HTTP status repeated in the body.
type problem struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
	Status int    `json:"status,omitempty"`
}

func newProblem(t problemType, status int, detail string) *problem {
	return &problem{Type: v1ErrorPrefix + string(t), Detail: detail, Status: status}
}

func malformed(detail string) *problem {
	return newProblem(probMalformed, http.StatusBadRequest, detail)
}

func unauthorized(detail string) *problem {
	return newProblem(probUnauthorized, http.StatusForbidden, detail)
}

func notFound(detail string) *problem {
	return newProblem(probMalformed, http.StatusNotFound, detail)
}

// conflict is Boulder v1's spelling of 409: a malformed problem.
func conflict(detail string) *problem {
	return newProblem(probMalformed, http.StatusConflict, detail)
}

func internalError(detail string) *problem {
	return newProblem(probServerInternal, http.StatusInternalServerError, detail)
}

// writeProblem sends p as application/problem+json with p.Status.
func writeProblem(w http.ResponseWriter, p *problem) {
	body, err := json.Marshal(p)
	if err != nil {
		// A problem of three plain fields always marshals; keep a
		// fallback so a bug here cannot produce an empty 200.
		body = []byte(`{"type":"urn:acme:error:serverInternal","status":500}`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// writeJSON sends v as application/json with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, internalError("unable to marshal response"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// addLink appends one Link header line in Boulder's `<url>;rel="name"` form.
func addLink(w http.ResponseWriter, target, rel string) {
	w.Header().Add("Link", "<"+target+`>;rel="`+rel+`"`)
}

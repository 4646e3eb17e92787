package telemetry

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the admin endpoints:
//
//   - GET /metrics: the Prometheus exposition of m's registry (promhttp,
//     text or protobuf as negotiated). Not served (404) when m is nil.
//   - GET /healthz: 200 "ok" while the server serves.
//   - GET /findings: findings() encoded as JSON, Content-Type
//     application/json; when findings returns an error, 500 with an RFC
//     9457 problem document (application/problem+json) naming it. Not
//     served (404) when findings is nil.
//
// findings is called once per request, possibly concurrently with itself
// and with whatever produces the findings; it must be safe for that, and
// the value it returns must not change while it is encoded.
func Handler(m *Metrics, findings func() (any, error)) http.Handler {
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
			// Errors gathering one collector still serve the others.
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	if findings != nil {
		mux.HandleFunc("GET /findings", func(w http.ResponseWriter, _ *http.Request) {
			serveFindings(w, findings)
		})
	}
	return mux
}

func serveFindings(w http.ResponseWriter, findings func() (any, error)) {
	v, err := findings()
	var body []byte
	if err == nil {
		// Encode whole before writing, so that an encoding failure is
		// still answered with a 500 rather than a truncated 200.
		body, err = json.MarshalIndent(v, "", "  ")
	}
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "findings unavailable", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(body, '\n'))
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(problem{Type: "about:blank", Title: title, Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Package telemetry is acmeproxy's operational side in live mode: a
// Prometheus registry of what the proxy records, decodes and finds
// (Metrics), the admin HTTP endpoints that expose it (Handler: /metrics,
// /healthz, /findings) and the process logger (NewLogger), which keeps
// http-01 tokens and key authorizations out of logs at info level and
// above.
//
// It sits beside the pipeline, not in it: callers feed it what the
// journal, decode, flow and rules stages already produced (a
// journal.Exchange, an operation name, a finding's rule and severity); it
// decodes nothing itself and keeps no state beyond the metric values. It
// reads no environment variables and has no package-level registry: every
// Metrics owns its own prometheus.Registry, so tests and several proxies
// in one process do not share counters.
//
// A nil *Metrics is valid and records nothing, so callers need no
// "telemetry on?" branches.
package telemetry

package telemetry

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Metric names, as exposed on /metrics. Units are in the names and
// counters end in _total (Prometheus naming conventions).
const (
	// MetricRecordedExchanges counts exchanges written to the journal,
	// by label "mode": mitm, http or imported (journal.Exchange.Mode "").
	MetricRecordedExchanges = "acmeproxy_recorded_exchanges_total"
	// MetricUpstreamLatency is the histogram of End − Start of recorded
	// exchanges, in seconds.
	MetricUpstreamLatency = "acmeproxy_upstream_latency_seconds"
	// MetricUpstreamErrors counts recorded exchanges that have an Error
	// instead of a response.
	MetricUpstreamErrors = "acmeproxy_upstream_errors_total"
	// MetricExchanges counts decoded exchanges by labels "operation" and
	// "status".
	MetricExchanges = "acmeproxy_exchanges_total"
	// MetricFindings counts findings by labels "rule" and "severity".
	MetricFindings = "acmeproxy_findings_total"
	// MetricPendingAuthorizations is the gauge of open pending
	// authorizations by label "account".
	MetricPendingAuthorizations = "acmeproxy_pending_authorizations"
	// MetricJournalSync is the histogram of journal fsync durations, in
	// seconds.
	MetricJournalSync = "acmeproxy_journal_sync_seconds"
)

// latencyBuckets cover 1 ms (a local test CA) to 30 s (a CA timing out
// behind a slow network), about 2.5× apart.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// syncBuckets cover 50 µs (fdatasync on NVMe) to 2.5 s (a stalled disk).
var syncBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// Metrics is acmeproxy's Prometheus registry and collectors. All methods
// are safe for concurrent use; a nil *Metrics is a no-op receiver for
// every method.
type Metrics struct {
	reg            *prometheus.Registry
	recorded       *prometheus.CounterVec
	latency        prometheus.Histogram
	upstreamErrors prometheus.Counter
	exchanges      *prometheus.CounterVec
	findings       *prometheus.CounterVec
	pending        *prometheus.GaugeVec
	journalSync    prometheus.Histogram
}

// NewMetrics returns Metrics registered in a registry of their own, which
// also holds the Go runtime (go_*) and process (process_*) collectors.
// Every counter of a label set known in advance (each recording mode) is
// exposed from the start at zero, so that rate() sees the first increment.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRecordedExchanges,
			Help: "Exchanges written to the journal, by how the proxy saw them (mitm, http, imported).",
		}, []string{"mode"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricUpstreamLatency,
			Help:    "Time from the start of a recorded request to the end of its response (or to the upstream error), in seconds.",
			Buckets: latencyBuckets,
		}),
		upstreamErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricUpstreamErrors,
			Help: "Recorded exchanges that got no response from upstream (refused, TLS failure, timeout); the client was answered 502.",
		}),
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricExchanges,
			Help: `Decoded exchanges by ACME operation and HTTP status ("error" when upstream gave no response).`,
		}, []string{"operation", "status"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricFindings,
			Help: "Lint findings by rule and severity.",
		}, []string{"rule", "severity"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricPendingAuthorizations,
			Help: "Authorizations an account has left pending (acme-reference.md §10.4), by account short id; accounts with none are not listed.",
		}, []string{"account"}),
		journalSync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricJournalSync,
			Help:    "Duration of the journal fsyncs that make recorded exchanges durable, in seconds.",
			Buckets: syncBuckets,
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.recorded, m.latency, m.upstreamErrors, m.exchanges, m.findings, m.pending, m.journalSync,
	)
	for _, mode := range []string{"mitm", "http", "imported"} {
		m.recorded.WithLabelValues(mode)
	}
	return m
}

// Registry returns the registry the metrics are registered in, or nil for
// a nil *Metrics. Callers may register collectors of their own in it.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Recorded is called once per exchange written to the journal. It counts
// the exchange by mode (acmeproxy_recorded_exchanges_total), observes
// x.End − x.Start in acmeproxy_upstream_latency_seconds when both are set
// and in order, and counts acmeproxy_upstream_errors_total when x.Error is
// set. x is not retained or changed.
func (m *Metrics) Recorded(x *journal.Exchange) {
	if m == nil || x == nil {
		return
	}
	m.recorded.WithLabelValues(modeLabel(x.Mode)).Inc()
	if !x.Start.IsZero() && !x.End.Before(x.Start) {
		m.latency.Observe(x.End.Sub(x.Start).Seconds())
	}
	if x.Error != "" {
		m.upstreamErrors.Inc()
	}
}

// modeLabel bounds the "mode" label to the values journal.Exchange.Mode
// documents, so that a stray value cannot create series without end.
func modeLabel(mode string) string {
	switch mode {
	case "mitm", "http":
		return mode
	case "":
		return "imported"
	}
	return "other"
}

// Decoded counts an exchange by ACME operation and HTTP status
// (acmeproxy_exchanges_total{operation,status}). status is the response's
// HTTP status, or 0 when there was no response, which is counted as
// status "error"; a status outside 100–599 is counted as "invalid". An
// empty operation is counted as "unknown".
func (m *Metrics) Decoded(operation string, status int) {
	if m == nil {
		return
	}
	if operation == "" {
		operation = "unknown"
	}
	m.exchanges.WithLabelValues(operation, statusLabel(status)).Inc()
}

func statusLabel(status int) string {
	switch {
	case status <= 0:
		return "error"
	case status < 100 || status > 599:
		return "invalid"
	}
	return strconv.Itoa(status)
}

// Finding counts a finding (acmeproxy_findings_total{rule,severity}).
func (m *Metrics) Finding(rule, severity string) {
	if m == nil {
		return
	}
	m.findings.WithLabelValues(rule, severity).Inc()
}

// PendingAuthorizations sets the number of open pending authorizations of
// an account (acmeproxy_pending_authorizations{account}); account is the
// account's short id as the caller gives it. n ≤ 0 removes the account's
// series rather than keeping it at zero, so that a long-running proxy does
// not accumulate one series per account it ever saw.
func (m *Metrics) PendingAuthorizations(account string, n int) {
	if m == nil {
		return
	}
	if n <= 0 {
		m.pending.DeleteLabelValues(account)
		return
	}
	m.pending.WithLabelValues(account).Set(float64(n))
}

// JournalSync observes one journal fsync's duration
// (acmeproxy_journal_sync_seconds). Its signature fits
// journal.Writer.ObserveSyncs.
func (m *Metrics) JournalSync(d time.Duration) {
	if m == nil {
		return
	}
	m.journalSync.Observe(d.Seconds())
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/acmeproxy/acmeproxy/telemetry"
)

// telemetryOptions are the flags of run's logger and admin endpoint.
type telemetryOptions struct{ admin, logFormat, logLevel string }

// addTelemetryFlags adds --admin, --log-format and --log-level to f.
func addTelemetryFlags(f *pflag.FlagSet, o *telemetryOptions) {
	f.StringVar(&o.admin, "admin", "", "serve /metrics, /healthz and /findings on ADDR, e.g. 127.0.0.1:9464 (port 0 picks a free port); off by default")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error; above debug, http-01 tokens and key authorizations are redacted from log lines")
}

// adminReadHeaderTimeout bounds how long the admin server waits for a
// request's headers (a scraper that connects and says nothing).
const adminReadHeaderTimeout = 10 * time.Second

// telemetryRun is what startTelemetry started: the logger, the metrics
// (never nil, so that callers record unconditionally) and the admin
// server, if any.
type telemetryRun struct {
	Log       *slog.Logger
	Metrics   *telemetry.Metrics
	AdminAddr string // actual address, "" when off

	srv    *http.Server
	served chan error // Serve's result, once it returns
}

// startTelemetry validates o, builds the logger on e.stderr and, when
// --admin is set, starts serving telemetry.Handler(Metrics, findings)
// there, logging "admin listening" with the address it got. An invalid
// flag or an address that cannot be listened on is a usage error naming
// the flag. findings may be nil (then /findings is not served); it is
// called on the admin server's goroutines. The caller must Close the
// result.
func startTelemetry(e *env, o *telemetryOptions, findings func() (any, error)) (*telemetryRun, error) {
	log, err := telemetry.NewLogger(e.stderr, o.logFormat, o.logLevel)
	switch {
	case errors.Is(err, telemetry.ErrUnknownLogFormat):
		return nil, usageErrorf("--log-format: %w", err)
	case errors.Is(err, telemetry.ErrUnknownLogLevel):
		return nil, usageErrorf("--log-level: %w", err)
	case err != nil:
		return nil, usageErrorf("--log-format/--log-level: %w", err)
	}
	t := &telemetryRun{Log: log, Metrics: telemetry.NewMetrics()}
	if o.admin == "" {
		return t, nil
	}
	ln, err := net.Listen("tcp", o.admin)
	if err != nil {
		return nil, usageErrorf("--admin %s: %w", o.admin, err)
	}
	t.AdminAddr = ln.Addr().String()
	t.srv = &http.Server{
		Handler:           telemetry.Handler(t.Metrics, findings),
		ReadHeaderTimeout: adminReadHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	t.served = make(chan error, 1)
	go func() { t.served <- t.srv.Serve(ln) }()
	log.Info("admin listening", "addr", t.AdminAddr)
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		// The endpoints have no authentication, and /findings shows
		// account URLs and evidence.
		log.Warn("admin endpoint reachable beyond this machine; it has no authentication", "addr", t.AdminAddr)
	}
	return t, nil
}

// Close shuts the admin server down: it stops listening, lets requests in
// flight finish until ctx ends, and returns once the server has stopped.
// Without an admin server, on a nil t and when called again, it does
// nothing.
func (t *telemetryRun) Close(ctx context.Context) error {
	if t == nil || t.srv == nil {
		return nil
	}
	defer func() { t.srv = nil }()
	err := t.srv.Shutdown(ctx)
	if err != nil {
		t.srv.Close() // ctx ended: drop what is left
	}
	if serr := <-t.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("stopping admin server: %w", err)
	}
	return nil
}

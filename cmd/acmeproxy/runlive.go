package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/live"
	"github.com/acmeproxy/acmeproxy/proxy"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/telemetry"
)

// defaultOrphanAfter is --orphan-after's default. A client that works
// triggers a challenge within seconds of reading its authorization
// (http-01 clients write a file; dns-01 clients wait for propagation,
// which their plugins bound at 10 s to 2 min by default); two minutes of
// silence leaves those alone and still warns long before the client's
// run is over in any CI job that hangs. The finding is provisional:
// a later trigger withdraws it, the final lint decides.
const defaultOrphanAfter = 2 * time.Minute

// liveOptions are run's lint and report flags.
type liveOptions struct {
	rulesFlags
	reports       []string
	failOn        string
	orphanAfter   time.Duration
	exitAfterIdle time.Duration
}

func (o *liveOptions) register(cmd *cobra.Command) {
	o.rulesFlags.register(cmd, false)
	f := cmd.Flags()
	f.StringArrayVar(&o.reports, "report", nil, "write the final report as FORMAT[=FILE]: text, json, sarif, junit, markdown or html, to FILE or (one format) stdout (repeatable; default: text on stderr)")
	f.StringVar(&o.failOn, "fail-on", "error", "least severity that makes the exit code 1: error, warning, notice or info")
	f.DurationVar(&o.orphanAfter, "orphan-after", defaultOrphanAfter, "report an authorization still pending with no trigger this long after its creation as likely orphaned (0 disables)")
	f.DurationVar(&o.exitAfterIdle, "exit-after-idle", 0, "stop, lint and report after no exchange for this long (0: only on SIGINT/SIGTERM or when the client exits)")
}

// livePlan is what the live flags resolve to.
type livePlan struct {
	outs   []output
	failOn rules.Severity
	set    *rules.Set
}

// check validates the flags and builds the rule set.
func (o *liveOptions) check(e *env) (*livePlan, error) {
	outs, err := parseOutputs("--report", o.reports)
	if err != nil {
		return nil, err
	}
	for _, out := range outs {
		// Found out now rather than after the whole run.
		if st, err := os.Stat(filepath.Dir(out.path)); out.path != "" && (err != nil || !st.IsDir()) {
			return nil, usageErrorf("--report %s=%s: no directory %s to write it in", out.format.Name, out.path, filepath.Dir(out.path))
		}
	}
	failOn, err := rules.ParseSeverity(o.failOn)
	if err != nil {
		return nil, usageErrorf("--fail-on: %v", err)
	}
	if o.orphanAfter < 0 {
		return nil, usageErrorf("--orphan-after %v: must not be negative (0 disables)", o.orphanAfter)
	}
	if o.exitAfterIdle < 0 {
		return nil, usageErrorf("--exit-after-idle %v: must not be negative (0: never)", o.exitAfterIdle)
	}
	if o.config == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			o.config = defaultConfig
			fmt.Fprintf(e.stderr, "acmeproxy: using %s\n", defaultConfig)
		}
	}
	set, err := o.set(e)
	if err != nil {
		return nil, err
	}
	return &livePlan{outs: outs, failOn: failOn, set: set}, nil
}

// runProxy runs the proxy, with the client after -- when there is one,
// linting as it records; it stops on a signal, on idleness or when the
// client exits, then lints the journal and writes the reports.
func runProxy(e *env, o *runOptions, client []string) error {
	plan, err := o.liveOptions.check(e)
	if err != nil {
		return err
	}
	var clientPath string
	if len(client) > 0 {
		if clientPath, err = exec.LookPath(client[0]); err != nil {
			return usageErrorf("cannot start the client %q: %w", client[0], err)
		}
	}
	var engine atomic.Pointer[live.Engine]
	tel, err := startTelemetry(e, &o.tel, func() (any, error) {
		if en := engine.Load(); en != nil {
			return en.Snapshot(), nil
		}
		return live.Snapshot{Findings: []live.Current{}}, nil
	})
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), shutdownGrace)
		defer cancel()
		_ = tel.Close(ctx)
	}()
	s, err := setupRun(e, o)
	if err != nil {
		return err
	}
	lr, err := startLive(e, o, plan, tel, s)
	if err != nil {
		s.ln.Close()
		s.w.Close()
		return &exitError{code: exitEngine, err: err}
	}
	engine.Store(lr.eng)
	return lr.serve(e, o, client, clientPath)
}

// liveRun is a running proxy with its live engine.
type liveRun struct {
	plan   *livePlan
	tel    *telemetryRun
	s      *runSetup
	p      *proxy.Proxy
	eng    *live.Engine
	active atomic.Int64 // when the last exchange was recorded, Unix ns
}

// startLive starts the engine and the proxy whose sink feeds it: each
// exchange is appended to the journal, then counted, then handed to the
// engine (which copies it), so that the engine only sees what is durable.
func startLive(e *env, o *runOptions, plan *livePlan, tel *telemetryRun, s *runSetup) (*liveRun, error) {
	eng, err := live.New(live.Config{Set: plan.set, Journal: s.w.Path(), Upstream: o.upstream,
		OrphanAfter: o.orphanAfter, Observer: tel.Metrics, OnEvent: logEvent(tel.Log), OnDecoded: logExchange(tel.Log)})
	if err != nil {
		return nil, err
	}
	lr := &liveRun{plan: plan, tel: tel, s: s, eng: eng}
	lr.active.Store(time.Now().UnixNano())
	s.w.ObserveSyncs(tel.Metrics.JournalSync)
	s.cfg.Sink = func(x *journal.Exchange) error {
		if err := s.w.Append(x); err != nil {
			if x.Seq != 0 {
				eng.Skip(x.Seq) // the number is used; the engine must not wait for it
			}
			return err
		}
		lr.active.Store(time.Now().UnixNano())
		tel.Metrics.Recorded(x)
		eng.Observe(x)
		return nil
	}
	if lr.p, err = proxy.New(s.cfg); err != nil {
		_, _ = eng.Close(context.Background())
		return nil, err
	}
	return lr, nil
}

// serve serves until the end of the run (runs the client meanwhile, if
// any), then stops the proxy, lints and reports.
func (lr *liveRun) serve(e *env, o *runOptions, client []string, clientPath string) error {
	out := e.stdout
	if len(client) > 0 {
		out = e.stderr // the client owns stdout
	}
	printBanner(out, o, lr.s, lr.p, len(client) > 0)
	if lr.tel.AdminAddr != "" {
		fmt.Fprintf(out, "admin on http://%s (/metrics, /healthz, /findings)\n", lr.tel.AdminAddr)
	}
	served := make(chan error, 1)
	go func() { served <- lr.p.Serve(lr.s.ln) }()
	var cl *clientRun
	if len(client) > 0 {
		var err error
		if cl, err = startClient(e, clientPath, client, lr.s, o.upstream); err != nil {
			stopProxy(e, lr.p, lr.s)
			_, _ = lr.eng.Close(context.WithoutCancel(e.ctx))
			return err
		}
		defer cl.cleanup()
	}
	stopIdle := make(chan struct{})
	serveErr := waitForEnd(e, lr.tel.Log, served, cl, o.exitAfterIdle, idleAfter(o.exitAfterIdle, &lr.active, stopIdle))
	close(stopIdle)
	shutErr, closeErr := stopProxy(e, lr.p, lr.s)
	printSummary(out, lr.s, lr.p.Stats())
	res, lintErr := lr.eng.Close(context.WithoutCancel(e.ctx))
	if err := errors.Join(serveErr, shutErr, closeErr); err != nil {
		return &exitError{code: exitEngine, err: fmt.Errorf("stopping proxy: %w", err)}
	}
	if lintErr != nil {
		return &exitError{code: exitEngine, err: fmt.Errorf("linting the journal %s: %w", lr.s.w.Path(), lintErr)}
	}
	return finalReport(e, lr.tel.Log, lr.plan, res, cl)
}

// waitForEnd waits until the run is over: a signal (forwarded to the
// client, which is then waited for), the proxy failing, idleness, or the
// client exiting. It returns the proxy's error, if it failed.
func waitForEnd(e *env, log *slog.Logger, served <-chan error, cl *clientRun, idleFor time.Duration, idle <-chan time.Time) error {
	var clientDone <-chan struct{}
	if cl != nil {
		clientDone = cl.done
	}
	var serveErr error
	var sig os.Signal = syscall.SIGTERM // what the client gets if it is still running
	select {
	case <-e.ctx.Done():
		sig = signalFor(context.Cause(e.ctx))
	case serveErr = <-served:
	case <-idle:
		log.Info("no exchange for --exit-after-idle: stopping", "idle", idleFor.String())
	case <-clientDone:
	}
	if cl != nil {
		cl.stop(sig, shutdownGrace)
		info := cl.info()
		attrs := []any{"client", client0(cl.argv), "exit_code", info.ExitCode}
		if info.Signal != "" {
			attrs = append(attrs, "signal", info.Signal)
		}
		if info.Error != "" {
			attrs = append(attrs, "error", info.Error)
		}
		if info.Failed() {
			log.Warn("client failed", attrs...)
		} else {
			log.Info("client exited", attrs...)
		}
	}
	return serveErr
}

func client0(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return argv[0]
}

// stopProxy lets the exchanges in flight finish and closes the journal.
func stopProxy(e *env, p *proxy.Proxy, s *runSetup) (shutErr, closeErr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), shutdownGrace)
	defer cancel()
	shutErr = p.Shutdown(ctx)
	return shutErr, s.w.Close()
}

// idleAfter returns a channel that receives once no exchange has been
// recorded for d (active holds the last one's time), or nil when d is 0.
// Closing stop ends its watch.
func idleAfter(d time.Duration, active *atomic.Int64, stop <-chan struct{}) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	ch := make(chan time.Time, 1)
	go func() {
		every := min(max(d/8, 5*time.Millisecond), time.Second)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if now.Sub(time.Unix(0, active.Load())) >= d {
					ch <- now
					return
				}
			}
		}
	}()
	return ch
}

// finalReport builds the report of the final lint, names the client in
// it, writes every requested format and returns the exit code's error.
func finalReport(e *env, log *slog.Logger, plan *livePlan, res *live.Result, cl *clientRun) error {
	rep, err := res.Lint.Report(lint.ReportOptions{Tool: reports.Tool{Name: "acmeproxy", Version: version, URI: "https://github.com/acmeproxy/acmeproxy"},
		Generated: time.Now().UTC(), FailOn: plan.failOn, Set: plan.set})
	if err != nil {
		return &exitError{code: exitEngine, err: fmt.Errorf("building the report: %w", err)}
	}
	if cl != nil {
		info := cl.info()
		rep.Client = &info
		rep.Finish()
	}
	if err := rep.Validate(); err != nil {
		return &exitError{code: exitEngine, err: fmt.Errorf("building the report: %w", err)}
	}
	if len(plan.outs) == 0 {
		f, _ := reports.Lookup("text")
		if err := f.Write(e.stderr, rep, reports.Options{Color: isTerminal(e.stderr)}); err != nil {
			return &exitError{code: exitEngine, err: fmt.Errorf("writing the text report: %w", err)}
		}
	} else if err := writeOutputs(e, rep, plan.outs); err != nil {
		return err
	}
	code := rep.ExitCode()
	log.Info("lint done", "findings", rep.Summary.Findings, "failing", rep.Summary.Failing, "fail_on", plan.failOn.String(), "exit", code)
	if code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// logExchange logs each exchange once decoded.
func logExchange(log *slog.Logger) func(live.Decoded) {
	return func(d live.Decoded) {
		attrs := []any{"seq", d.Seq, "method", d.Method, "url", telemetry.URL(d.URL), "status", d.Status,
			"operation", d.Operation, "duration", d.Duration.Round(time.Microsecond)}
		if d.Error != "" {
			attrs = append(attrs, "error", d.Error)
		}
		log.Info("exchange", attrs...)
	}
}

// logEvent logs the live engine's findings: at the level of their
// severity, provisional ones and their withdrawal or confirmation said as
// such.
func logEvent(log *slog.Logger) func(live.Event) {
	return func(ev live.Event) {
		if ev.Kind == live.EventEngineError {
			log.Error("rule failed", "rule", ev.Err.Rule, "subject", telemetry.URL(ev.Err.Subject), "error", ev.Err.Err)
			return
		}
		f := ev.Finding
		attrs := []any{"rule", f.Rule, "severity", f.Severity.String(), "subject", telemetry.URL(f.Subject)}
		if len(f.Evidence) > 0 {
			attrs = append(attrs, "evidence", f.Evidence[0].File+":"+strconv.Itoa(f.Evidence[0].Line))
		}
		ctx := context.Background()
		switch ev.Kind {
		case live.EventFinding:
			lvl := severityLevel(f.Severity)
			if f.Suppressed() {
				lvl = slog.LevelDebug
			}
			log.Log(ctx, lvl, "finding", append(attrs, "message", f.Message)...)
		case live.EventLikely:
			log.Log(ctx, severityLevel(f.Severity), "likely orphaned authorization (provisional)", append(attrs, "message", f.Message)...)
		case live.EventWithdrawn:
			log.Info("provisional finding withdrawn", append(attrs, "reason", ev.Reason)...)
		case live.EventConfirmed:
			log.Log(ctx, severityLevel(f.Severity), "provisional finding confirmed", append(attrs, "reason", ev.Reason)...)
		}
	}
}

func severityLevel(s rules.Severity) slog.Level {
	switch s {
	case rules.Error:
		return slog.LevelError
	case rules.Warning:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

//go:build syncsim

package journal

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Builds with the syncsim tag are for benchmarks only: they let the
// variable ACMEPROXY_SYNCSIM replace the writer's fdatasync(2), to tell
// what a sync's latency costs the proxy from what its CPU time costs
// (docs/benchmarks.md, "What a sync costs"):
//
//	sleep=D  wait D without using the CPU, as a disk that does its work
//	         while the thread sleeps would
//	spin=D   keep the CPU busy for D, as a disk whose work is charged to
//	         the process would
//	none     return at once
//
// Unset or empty, fdatasync is the real one. Records are not durable in
// the simulated modes.
var simSync = parseSyncSim(os.Getenv("ACMEPROXY_SYNCSIM"))

type syncSim struct {
	mode string
	d    time.Duration
}

func parseSyncSim(v string) syncSim {
	if v == "" {
		return syncSim{}
	}
	if v == "none" {
		return syncSim{mode: v}
	}
	mode, ds, ok := strings.Cut(v, "=")
	d, err := time.ParseDuration(ds)
	if !ok || err != nil || (mode != "sleep" && mode != "spin") {
		fmt.Fprintf(os.Stderr, "ACMEPROXY_SYNCSIM=%q: want sleep=DURATION, spin=DURATION or none\n", v)
		os.Exit(2)
	}
	return syncSim{mode: mode, d: d}
}

func fdatasync(fd int) error {
	switch simSync.mode {
	case "none":
	case "sleep":
		time.Sleep(simSync.d)
	case "spin":
		for t := time.Now(); time.Since(t) < simSync.d; {
		}
	default:
		return syscall.Fdatasync(fd)
	}
	return nil
}

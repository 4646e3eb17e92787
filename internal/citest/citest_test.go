package citest

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records what Missing called; like the
// real ones, Fatalf and Skip end the goroutine.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.skip = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestMissing(t *testing.T) {
	for _, ci := range []string{"true", "", "false"} {
		t.Setenv("CI", ci)
		r := &recorder{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Missing(r, "%s is not installed", "pebble")
		}()
		<-done
		if ci == "true" {
			if r.fatal != "required in CI: pebble is not installed" || r.skip != "" {
				t.Errorf("CI=%q: fatal %q, skip %q; want a failure", ci, r.fatal, r.skip)
			}
		} else if r.skip != "pebble is not installed" || r.fatal != "" {
			t.Errorf("CI=%q: fatal %q, skip %q; want a skip", ci, r.fatal, r.skip)
		}
	}
}

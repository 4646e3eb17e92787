package pebbletest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// errorRecorder is a testing.TB that keeps what Errorf reports.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCloseWithinStuckHandler: a request stuck in a handler makes
// closeWithin report the server after its wait, instead of blocking as
// httptest.Server.Close does until the handler returns.
func TestCloseWithinStuckHandler(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-release
	}))
	defer srv.Close()
	defer close(release) // lets the handler, and so the server, finish
	go func() {
		if resp, err := http.Get(srv.URL); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	rec := &errorRecorder{TB: t}
	returned := make(chan struct{})
	go func() {
		closeWithin(rec, srv, 100*time.Millisecond)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("closeWithin still waiting for the stuck handler after 10s")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "still serving requests") || !strings.Contains(rec.errs[0], "TestCloseWithinStuckHandler") {
		t.Errorf("closeWithin reported %d errors, want one naming the server and showing the stuck goroutines: %.300q", len(rec.errs), rec.errs)
	}
}

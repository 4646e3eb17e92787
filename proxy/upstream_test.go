package proxy_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/proxy"
)

// TestUpstreamClosedIdleConnection: when the CA closes an idle upstream
// connection, the next request (a POST, which must not be sent twice)
// goes out on a new connection instead of failing.
func TestUpstreamClosedIdleConnection(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("got "), b...))
	}))
	up.Config.IdleTimeout = 50 * time.Millisecond
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.StartTLS()
	t.Cleanup(up.Close)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, obs := h.client()
	for i, body := range []string{"first", "second", "third"} {
		if i > 0 {
			time.Sleep(300 * time.Millisecond) // the upstream closes the idle connection
		}
		resp, err := c.Post(up.URL+"/new-order", "application/jose+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := obs.all()[i]; got.Status != http.StatusOK || string(got.Body) != "got "+body {
			t.Errorf("POST %d: %d %q", i, got.Status, got.Body)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("upstream accepted %d connections, want 3 (one per closed idle connection)", n)
	}
	for _, e := range h.exchanges() {
		if e.Error != "" || e.Response == nil {
			t.Errorf("exchange %d: error %q", e.Seq, e.Error)
		}
	}
}

// TestInterimResponsesSkipped: a 103 Early Hints before the final
// response is not passed on; the client gets the final response, which
// is what is recorded.
func TestInterimResponsesSkipped(t *testing.T) {
	t.Parallel()
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"status":"pending"}`)
	}))
	t.Cleanup(up.Close)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, obs := h.client()
	get(t, c, up.URL+"/order", nil)
	got := obs.all()[0]
	if got.Status != http.StatusCreated || string(got.Body) != `{"status":"pending"}` || got.Header.Get("Link") != "" {
		t.Errorf("client got %d %q Link %q", got.Status, got.Body, got.Header.Get("Link"))
	}
	recs := h.exchanges()
	if len(recs) != 1 || recs[0].Response.Status != http.StatusCreated {
		t.Fatalf("journal: %+v", recs)
	}
}

// TestSixteenClientsShareUpstream: 16 keep-alive clients at once use at
// most 16 upstream connections between them, reused for every request.
func TestSixteenClientsShareUpstream(t *testing.T) {
	t.Parallel()
	up, conns := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	const clients, each = 16, 10
	var wg sync.WaitGroup
	for range clients {
		c, _ := h.client()
		wg.Go(func() {
			for range each {
				resp, err := c.Post(up.URL+"/echo", "application/jose+json", strings.NewReader(`{"payload":""}`))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n < 1 || n > clients {
		t.Errorf("upstream accepted %d connections for %d clients, want 1 to %d", n, clients, clients)
	}
	if st := h.p.Stats(); st.Exchanges != clients*each || st.Intercepted != clients {
		t.Errorf("stats: %+v, want %d exchanges over %d CONNECTs", st, clients*each, clients)
	}
}

package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Proxy is a recording forward proxy. Create it with New, run it with
// Serve and stop it with Shutdown. It is safe for concurrent use.
type Proxy struct {
	cfg       Config
	gp        *goproxy.ProxyHttpServer
	srv       *http.Server
	tr        *http.Transport
	up        *upstream
	leaves    *mitmca.LeafCache
	serverTLS *tls.Config
	scope     *scope
	conns     *connSet
	flight    *inflight
	log       *log.Logger
	stats     counters
	// abortCtx is the context of every request sent upstream through tr;
	// Shutdown cancels it (abort) when its ctx ends before the exchanges
	// in flight do.
	abortCtx context.Context
	abort    context.CancelFunc
}

// New returns a proxy for cfg. It validates cfg but opens nothing.
func New(cfg Config) (*Proxy, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Proxy{
		cfg:       cfg,
		leaves:    mitmca.NewLeafCache(cfg.CA, cfg.LeafCacheSize),
		serverTLS: newServerTLS(),
		scope:     newScope(),
		conns:     newConnSet(),
		flight:    newInflight(),
		log:       cfg.logger(),
	}
	p.abortCtx, p.abort = context.WithCancel(context.Background())
	if u, err := url.Parse(cfg.Upstream); err == nil {
		p.scope.addURL(u)
	}
	for _, h := range cfg.Intercept {
		p.scope.addEntry(h)
	}
	p.tr = newTransport(&p.cfg)
	p.up = newUpstream(&p.cfg, p.tr)
	p.gp = p.newGoproxy()
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.route),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       p.cfg.ClientIdleTimeout,
		ErrorLog:          p.log,
		ConnState:         onConnState(p.cfg.ClientIdleTimeout),
		BaseContext:       func(net.Listener) context.Context { return p.abortCtx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*trackedConn); ok {
				return context.WithValue(ctx, connKey{}, tc)
			}
			return ctx
		},
	}
	return p, nil
}

// newGoproxy configures goproxy away from its defaults: our transport
// (never the environment's proxy), no CONNECT chaining, the client's
// Accept-Encoding kept, our CA only (goproxy's public built-in CA is never
// referenced), and our hooks.
func (p *Proxy) newGoproxy() *goproxy.ProxyHttpServer {
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = p.log
	gp.Tr = p.tr
	gp.ConnectDial = nil // NewProxyHttpServer takes it from HTTPS_PROXY
	gp.KeepAcceptEncoding = true
	gp.NonproxyHandler = http.HandlerFunc(p.serveNonProxy)
	gp.OnRequest().HandleConnectFunc(p.onConnect)
	gp.OnRequest().DoFunc(p.onRequest)
	return gp
}

// onConnect handles the CONNECTs that reach goproxy: those route did
// not intercept, which are tunnelled untouched.
func (p *Proxy) onConnect(target string, _ *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	p.stats.tunnelled.Add(1)
	return &goproxy.ConnectAction{Action: goproxy.ConnectAccept}, target
}

// serveNonProxy answers requests that are not proxy requests (a client
// that was pointed at the proxy as if it were the CA).
func (p *Proxy) serveNonProxy(w http.ResponseWriter, r *http.Request) {
	resp := problemResponse(r, http.StatusBadRequest, ProblemBadRequest, "not a proxy request",
		"acmeproxy is a forward proxy: set HTTPS_PROXY to its address and keep the CA's directory URL")
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// Serve accepts client connections on ln until Shutdown. It returns nil
// after Shutdown and the listener's error otherwise.
func (p *Proxy) Serve(ln net.Listener) error {
	err := p.srv.Serve(&trackingListener{Listener: ln, set: p.conns})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, lets exchanges in flight finish
// and be recorded, then closes every client connection, tunnels included.
// Exchanges that start after it began get a 503 problem and are not
// recorded. It does not close the sink. If ctx ends first, the remaining
// connections are closed anyway, upstream ones in use included (the
// exchanges still waiting on them fail and are recorded as failed if the
// sink still accepts them), and ctx's error is returned.
func (p *Proxy) Shutdown(ctx context.Context) error {
	err := p.srv.Shutdown(ctx)
	drained := p.flight.close()
	select {
	case <-drained:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("proxy: draining exchanges: %w", ctx.Err()))
		p.abort()
	}
	p.up.closeAll()
	p.conns.closeAll()
	p.tr.CloseIdleConnections()
	return err
}

// Intercepts reports whether a CONNECT to target ("host:port") would be
// intercepted now.
func (p *Proxy) Intercepts(target string) bool { return p.scope.intercepts(target) }

// Scope returns the hosts currently intercepted, sorted: "host:port"
// entries, and bare hosts for any port.
func (p *Proxy) Scope() []string {
	h := p.scope.hosts()
	slices.Sort(h)
	return h
}

// record hands e to the sink and counts it.
func (p *Proxy) record(e *journal.Exchange) error {
	if err := p.cfg.Sink(e); err != nil {
		p.stats.recordErrors.Add(1)
		p.log.Printf("recording %s %s: %v", e.Request.Method, e.Request.URL, err)
		return err
	}
	p.stats.add(e)
	return nil
}

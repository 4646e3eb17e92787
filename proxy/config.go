package proxy

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Modes recorded in journal.Exchange.Mode.
const (
	ModeMITM = "mitm" // inside an intercepted CONNECT
	ModeHTTP = "http" // a plain-HTTP forward
)

// Defaults applied by New to zero Config fields.
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 64
	DefaultClientIdleTimeout     = 5 * time.Minute
)

// Config configures a Proxy. Only CA and Sink are required.
type Config struct {
	// Upstream is the CA's directory URL. Its host:port is intercepted
	// from the start, and a directory object served from it teaches the
	// proxy the CA's other hosts. Empty means: intercept only Intercept.
	Upstream string
	// Intercept lists extra hosts to intercept: "host" for any port or
	// "host:port".
	Intercept []string
	// CA signs the leaf certificates shown to clients.
	CA *mitmca.CA
	// LeafCacheSize bounds the number of cached leaves;
	// mitmca.DefaultLeafCacheSize when zero.
	LeafCacheSize int
	// Sink receives every recorded exchange and must be safe for
	// concurrent use. The response is released to the client only after
	// Sink returns nil (see the package documentation). It must not
	// retain the exchange's byte slices beyond its return.
	Sink func(*journal.Exchange) error
	// BodyCap is the number of body bytes recorded per message;
	// journal.DefaultBodyCap when zero. Larger bodies are forwarded whole.
	BodyCap int64

	// UpstreamRoots verifies upstream TLS; the system roots when nil.
	UpstreamRoots *x509.CertPool
	// UpstreamInsecure turns upstream certificate verification off.
	UpstreamInsecure bool
	// UpstreamProxy chains intercepted and plain-HTTP requests through
	// another proxy; nil means direct (the environment is never read).
	// Tunnelled CONNECTs always dial directly.
	UpstreamProxy func(*http.Request) (*url.URL, error)

	// DialContext, when set, opens every upstream TCP connection: those of
	// intercepted and plain-HTTP requests and those of tunnels. Tests use
	// it to map invented host names to loopback servers. When nil, a
	// net.Dialer with DialTimeout is used.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Timeouts for upstream connections; defaults above when zero.
	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	IdleConnTimeout       time.Duration
	// MaxIdleConnsPerHost is the number of idle upstream connections kept
	// per host for reuse across client connections.
	MaxIdleConnsPerHost int
	// ClientIdleTimeout closes a client connection, tunnels and intercepted
	// connections included, after this long without a byte from the client.
	ClientIdleTimeout time.Duration

	// Log receives goproxy's warnings and server errors; discarded when nil.
	Log io.Writer
}

func (c *Config) setDefaults() error {
	if c.CA == nil {
		return errors.New("proxy: Config.CA is nil")
	}
	if c.Sink == nil {
		return errors.New("proxy: Config.Sink is nil")
	}
	if c.Upstream != "" {
		u, err := url.Parse(c.Upstream)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("proxy: upstream %q is not an absolute http(s) URL", c.Upstream)
		}
	}
	if c.BodyCap <= 0 {
		c.BodyCap = journal.DefaultBodyCap
	}
	setDuration(&c.DialTimeout, DefaultDialTimeout)
	setDuration(&c.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	setDuration(&c.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	setDuration(&c.IdleConnTimeout, DefaultIdleConnTimeout)
	setDuration(&c.ClientIdleTimeout, DefaultClientIdleTimeout)
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func (c *Config) logger() *log.Logger {
	return log.New(c.Log, "acmeproxy: ", log.LstdFlags)
}

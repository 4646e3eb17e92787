package proxy

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// newTransport builds the upstream transport. It is shared by every client
// connection, so upstream connections are reused across them.
//
// Decisions: HTTP/1.1 upstream (ForceAttemptHTTP2 off), so what is recorded
// is what an HTTP/1.1 exchange carried; no transparent decompression; no
// proxy unless Config.UpstreamProxy says so (never from the environment);
// certificates verified against Config.UpstreamRoots unless
// Config.UpstreamInsecure. goproxy dials tunnels with the same DialContext.
func newTransport(cfg *Config) *http.Transport {
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Transport{
		Proxy:       cfg.UpstreamProxy,
		DialContext: dial,
		TLSClientConfig: &tls.Config{
			RootCAs:            cfg.UpstreamRoots,
			InsecureSkipVerify: cfg.UpstreamInsecure, //nolint:gosec // explicit --upstream-insecure, warned about and recorded
			MinVersion:         tls.VersionTLS12,
		},
		TLSHandshakeTimeout:   cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       cfg.IdleConnTimeout,
		MaxIdleConns:          4 * cfg.MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

package proxy

import (
	"crypto/rand"
	"crypto/tls"
	"net"

	"github.com/elazarl/goproxy"
)

// newServerTLS returns the base TLS configuration shown to intercepted
// clients. Its session ticket keys are set explicitly so that every
// per-CONNECT clone shares them and clients can resume sessions across
// connections.
func newServerTLS() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var key [32]byte
	_, _ = rand.Read(key[:])
	cfg.SetSessionTicketKeys([][32]byte{key})
	return cfg
}

// mitmTLS is the goproxy TLSConfig function for intercepted CONNECTs. The
// leaf is named after the CONNECT target; when the target is an IP address
// and the client sends SNI, after the SNI name (goproxy alone would always
// use the target).
func (p *Proxy) mitmTLS(target string, _ *goproxy.ProxyCtx) (*tls.Config, error) {
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	byIP := net.ParseIP(host) != nil
	cfg := p.serverTLS.Clone()
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		name := host
		if byIP && hello.ServerName != "" {
			name = hello.ServerName
		}
		return p.leaves.Get(name)
	}
	return cfg, nil
}

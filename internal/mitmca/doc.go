// Package mitmca is acmeproxy's own certificate authority for intercepting
// TLS: an ECDSA P-256 root kept in a directory (by default under the user's
// configuration directory) and the short-lived leaf certificates it signs
// for the hosts the proxy intercepts.
//
// The private key file is created with mode 0600 and Load refuses a key
// that group or others can read. goproxy's built-in CA is never used: its
// private key is public.
//
// LeafCache keeps signed leaves per host name, bounded and single-flight:
// concurrent handshakes for the same name wait for one signature. It
// implements goproxy's CertStorage interface.
//
// The package knows nothing of HTTP or ACME; package proxy uses it, and the
// "acmeproxy ca" commands manage it.
package mitmca

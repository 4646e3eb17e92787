package mitmca_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
)

func TestLoadOrCreateRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca, created, err := mitmca.LoadOrCreate(dir, mitmca.Options{})
	if err != nil || !created {
		t.Fatalf("LoadOrCreate: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(filepath.Join(dir, mitmca.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key mode = %04o, want 0600", perm)
	}
	again, created, err := mitmca.LoadOrCreate(dir, mitmca.Options{})
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v err=%v", created, err)
	}
	if again.Fingerprint() != ca.Fingerprint() || len(ca.Fingerprint()) != 64 {
		t.Errorf("fingerprint changed: %s vs %s", again.Fingerprint(), ca.Fingerprint())
	}
	if again.CertPath() != filepath.Join(dir, mitmca.CertFile) {
		t.Errorf("CertPath = %q", again.CertPath())
	}
}

func TestLoadRefusesReadableKey(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := mitmca.LoadOrCreate(dir, mitmca.Options{}); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, mitmca.KeyFile)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := mitmca.Load(dir)
	if err == nil || !strings.Contains(err.Error(), "readable by group or others") || !strings.Contains(err.Error(), keyPath) {
		t.Fatalf("Load with a 0644 key: err = %v", err)
	}
}

func TestLoadMissingIsErrNotFound(t *testing.T) {
	_, err := mitmca.Load(t.TempDir())
	if !errors.Is(err, mitmca.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestSignLeafVerifies(t *testing.T) {
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"acme.example", "127.0.0.1", "::1"} {
		t.Run("ok/"+host, func(t *testing.T) {
			leaf, err := ca.SignLeaf(host)
			if err != nil {
				t.Fatal(err)
			}
			_, err = leaf.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool()})
			if err != nil {
				t.Fatalf("verifying leaf for %s: %v", host, err)
			}
		})
	}
}

func TestNameConstraints(t *testing.T) {
	ca, err := mitmca.Generate(mitmca.Options{PermittedDNSDomains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		ok   bool
	}{{"acme.example", true}, {"api.acme.example", true}, {"bank.example", false}}
	for _, tc := range tests {
		leaf, err := ca.SignLeaf(tc.host)
		if err != nil {
			t.Fatal(err)
		}
		_, err = leaf.Leaf.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: ca.Pool()})
		if (err == nil) != tc.ok {
			t.Errorf("%s: verify err = %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
}

func TestLeafCacheSingleFlightAndBound(t *testing.T) {
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cache := mitmca.NewLeafCache(ca, 2)
	var calls atomic.Int32
	gen := func() (*tls.Certificate, error) {
		calls.Add(1)
		return ca.SignLeaf("a.example")
	}
	var wg sync.WaitGroup
	certs := make([]*tls.Certificate, 16)
	for i := range certs {
		wg.Go(func() {
			c, err := cache.Fetch("A.example", gen)
			if err != nil {
				t.Error(err)
			}
			certs[i] = c
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("gen called %d times, want 1", n)
	}
	for _, c := range certs {
		if c != certs[0] {
			t.Fatal("concurrent fetches returned different leaves")
		}
	}
	for _, h := range []string{"b.example", "c.example", "d.example"} {
		if _, err := cache.Get(h); err != nil {
			t.Fatal(err)
		}
	}
	if n := cache.Len(); n != 2 {
		t.Errorf("cache holds %d leaves, want 2", n)
	}
}

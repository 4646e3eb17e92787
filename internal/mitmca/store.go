package mitmca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrNotFound is returned (wrapped) by Load when the directory holds no CA.
var ErrNotFound = errors.New("mitmca: no CA")

// Load reads the CA stored in dir. It returns an error wrapping ErrNotFound
// when neither file exists, and refuses a key file that group or others
// can read (on systems with Unix permissions).
func Load(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	_, keyStatErr := os.Stat(keyPath)
	if errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyStatErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNotFound, dir)
	}
	if certErr != nil {
		return nil, fmt.Errorf("mitmca: reading CA certificate: %w", certErr)
	}
	if err := checkKeyMode(keyPath); err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("mitmca: reading CA key: %w", err)
	}
	der, err := decodePEM(certPEM, "CERTIFICATE", certPath)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM, keyPath)
	if err != nil {
		return nil, err
	}
	ca, err := newCA(der, key, dir)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", dir, err)
	}
	return ca, nil
}

// checkKeyMode refuses a private key file readable by anyone but its owner.
func checkKeyMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("mitmca: reading CA key: %w", err)
	}
	if runtime.GOOS == "windows" {
		return nil // no Unix permission bits to check
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("mitmca: CA key %s has mode %04o, readable by group or others; run 'chmod 600 %s' (or remove the CA directory to start over)", path, perm, path)
	}
	return nil
}

func parseKey(keyPEM []byte, path string) (*ecdsa.PrivateKey, error) {
	der, err := decodePEM(keyPEM, "PRIVATE KEY", path)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("mitmca: parsing CA key %s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("mitmca: CA key %s is %T, want an ECDSA key", path, k)
	}
	return ek, nil
}

// Save writes the CA into dir (created with mode 0700 if needed): the key
// with mode 0600, the certificate with mode 0644. It never overwrites: if
// either file exists it fails. ca.Dir is set to dir.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mitmca: creating CA directory: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return fmt.Errorf("mitmca: encoding CA key: %w", err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	if err := writeNew(keyPath, encodePEM("PRIVATE KEY", keyDER), 0o600); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, CertFile), ca.CertPEM, 0o644); err != nil {
		_ = os.Remove(keyPath) // leave no key without its certificate
		return err
	}
	ca.Dir = dir
	return nil
}

// LoadOrCreate loads the CA in dir, or generates and saves a new one when
// there is none. created reports which happened.
func LoadOrCreate(dir string, opts Options) (ca *CA, created bool, err error) {
	ca, err = Load(dir)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return ca, false, err
	}
	ca, err = Generate(opts)
	if err != nil {
		return nil, false, err
	}
	if err := ca.Save(dir); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// CertPath returns the path of the CA certificate file, or "" for a CA that
// was never saved.
func (ca *CA) CertPath() string {
	if ca.Dir == "" {
		return ""
	}
	return filepath.Join(ca.Dir, CertFile)
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("mitmca: creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("mitmca: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("mitmca: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mitmca: closing %s: %w", path, err)
	}
	return nil
}

func encodePEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func decodePEM(data []byte, typ, path string) ([]byte, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("mitmca: %s holds no PEM %q block", path, typ)
	}
	return b.Bytes, nil
}

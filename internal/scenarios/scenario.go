package scenarios

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"slices"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
)

// Scenario is one named client run.
type Scenario struct {
	// Name names the recording: examples/recordings/<Name>.jsonl.
	Name string
	// Description says what the client does, in a sentence.
	Description string
	// V1 selects the v1 test CA with this configuration; otherwise Pebble
	// with Pebble.
	V1     bool
	Legacy legacyca.Config
	Pebble pebbletest.Options
	// Run drives the client in w. It returns an error when the client or
	// the CA did not behave as described.
	Run func(ctx context.Context, w *World) error
}

var all []Scenario

func register(s ...Scenario) { all = append(all, s...) }

// All returns every scenario, sorted by name.
func All() []Scenario {
	out := slices.Clone(all)
	slices.SortFunc(out, func(a, b Scenario) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range all {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// expectFailure turns "the client failed, as it should" into nil and an
// unexpected success into an error.
func expectFailure(err error, what string) error {
	if err == nil {
		return fmt.Errorf("%s: the run succeeded, want a failure", what)
	}
	return nil
}

func rsaKey() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return k
}

// weakRSA is a 1024-bit key, for the scenario that shows weak keys.
func weakRSA() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // deliberately weak, to be linted
	if err != nil {
		panic(err)
	}
	return k
}

func ecKey() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

package bigjournal

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/acmeproxy/acmeproxy/decode"
)

// copyKey is a copy's account key with what replaces the original's in
// the copy's text.
type copyKey struct {
	signer     crypto.Signer
	thumbprint string
	members    map[string]string // JWK key material, as in accountKey.members
}

// primePool hands out distinct RSA keys of one size, each the product of
// a pair of primes from a pool (see the package documentation).
type primePool struct {
	bits   int
	primes []*big.Int
	next   atomic.Int64
}

// newPrimePool returns a pool of RSA keys of bits bits that can give at
// least n distinct keys. It generates the primes on workers goroutines.
func newPrimePool(ctx context.Context, bits, n, workers int) (*primePool, error) {
	// k primes give k(k-1)/2 pairs.
	k := int(math.Ceil((1 + math.Sqrt(1+8*float64(n))) / 2))
	k = max(k, 2)
	p := &primePool{bits: bits, primes: make([]*big.Int, k)}
	var wg sync.WaitGroup
	var failed atomic.Value
	idx := atomic.Int64{}
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				i := int(idx.Add(1)) - 1
				if i >= k || ctx.Err() != nil {
					return
				}
				q, err := rsaPrime(bits / 2)
				if err != nil {
					failed.Store(err)
					return
				}
				p.primes[i] = q
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range p.primes {
		for j := range i {
			if p.primes[i].Cmp(p.primes[j]) == 0 {
				return nil, fmt.Errorf("bigjournal: the same prime drawn twice")
			}
		}
	}
	return p, nil
}

var e65537 = big.NewInt(65537)

// rsaPrime returns a prime p of bits bits with gcd(p-1, 65537) = 1 and its
// top two bits set, so that the product of two is exactly 2·bits long.
func rsaPrime(bits int) (*big.Int, error) {
	one := big.NewInt(1)
	for {
		p, err := rand.Prime(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		if p.Bit(bits-2) == 0 {
			continue
		}
		pm1 := new(big.Int).Sub(p, one)
		if new(big.Int).GCD(nil, nil, pm1, e65537).Cmp(one) == 0 {
			return p, nil
		}
	}
}

// key returns the pool's next key.
func (p *primePool) key() (*rsa.PrivateKey, error) {
	n := p.next.Add(1) - 1
	// Enumerate pairs (i, j), j < i: i(i-1)/2 + j.
	i := int((1 + math.Sqrt(1+8*float64(n))) / 2)
	for i*(i-1)/2 > int(n) {
		i--
	}
	for (i+1)*i/2 <= int(n) {
		i++
	}
	j := int(n) - i*(i-1)/2
	if i >= len(p.primes) {
		return nil, fmt.Errorf("bigjournal: RSA-%d pool of %d primes exhausted", p.bits, len(p.primes))
	}
	return rsaFromPrimes(p.primes[i], p.primes[j])
}

func rsaFromPrimes(p, q *big.Int) (*rsa.PrivateKey, error) {
	one := big.NewInt(1)
	pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
	g := new(big.Int).GCD(nil, nil, pm1, qm1)
	lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), g)
	d := new(big.Int).ModInverse(e65537, lambda)
	if d == nil {
		return nil, fmt.Errorf("bigjournal: 65537 not invertible")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537}, D: d, Primes: []*big.Int{p, q}}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("bigjournal: RSA key from pool: %w", err)
	}
	return k, nil
}

// keySource makes copies' keys.
type keySource struct {
	rsa map[int]*primePool // by modulus size
}

// newKey returns a fresh key like the original account key ak.
func (s *keySource) newKey(ak accountKey) (*copyKey, error) {
	var signer crypto.Signer
	switch ak.kty {
	case "EC":
		var c elliptic.Curve
		switch ak.crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		case "P-521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("bigjournal: curve %q not supported", ak.crv)
		}
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return nil, err
		}
		signer = k
	case "RSA":
		pool := s.rsa[ak.bits]
		if pool == nil {
			return nil, fmt.Errorf("bigjournal: no RSA-%d pool", ak.bits)
		}
		k, err := pool.key()
		if err != nil {
			return nil, err
		}
		signer = k
	default:
		return nil, fmt.Errorf("bigjournal: key type %q not supported", ak.kty)
	}
	return describe(signer)
}

// describe fills in a key's thumbprint and JWK material.
func describe(signer crypto.Signer) (*copyKey, error) {
	tp, err := decode.Thumbprint(signer.Public())
	if err != nil {
		return nil, err
	}
	ck := &copyKey{signer: signer, thumbprint: tp, members: map[string]string{}}
	switch pub := signer.Public().(type) {
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, err
		}
		n := (len(raw) - 1) / 2
		ck.members["x"], ck.members["y"] = b64.EncodeToString(raw[1:1+n]), b64.EncodeToString(raw[1+n:])
	case *rsa.PublicKey:
		ck.members["n"] = b64.EncodeToString(pub.N.Bytes())
	}
	return ck, nil
}

package v1client_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyca/v1client"
)

// Running one scenario against an in-process CA. To record it, give Env an
// HTTPClient that goes through the proxy and trusts its CA instead.
func ExampleScenario_Run() {
	chal, err := v1client.NewChallengeServer()
	if err != nil {
		panic(err)
	}
	defer func() { _ = chal.Close() }()
	ca, err := legacyca.New(legacyca.Config{HTTPPort: chal.Port(), DialContext: chal.DialContext})
	if err != nil {
		panic(err)
	}
	defer func() { _ = ca.Close() }()
	srv := httptest.NewTLSServer(ca.Handler())
	defer srv.Close()

	s, _ := v1client.Lookup("recycled-pending")
	out, err := s.Run(context.Background(), v1client.Env{
		HTTPClient:   srv.Client(),
		DirectoryURL: srv.URL + "/directory",
		Challenges:   chal,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Names)
	fmt.Println(out.AuthzURLs[0] == out.AuthzURLs[1], len(out.Certificate))
	// Output:
	// [www.recycled-pending.example.test]
	// true 2
}

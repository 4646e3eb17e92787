package legacyca_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

// A CA is served by the caller; every URL it hands out is built from the
// request's scheme and Host unless Config.BaseURL is set.
func ExampleNew() {
	ca, err := legacyca.New(legacyca.Config{PendingAuthzLimit: 2})
	if err != nil {
		panic(err)
	}
	defer func() { _ = ca.Close() }()
	srv := httptest.NewTLSServer(ca.Handler())
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/directory")
	if err != nil {
		panic(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var dir map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&dir); err != nil {
		panic(err)
	}
	fmt.Println(strings.TrimPrefix(dir["new-reg"].(string), srv.URL))
	fmt.Println(resp.Header.Get("Replay-Nonce") != "")
	// Output:
	// /acme/new-reg
	// true
}

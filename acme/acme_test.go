package acme_test

import (
	"encoding/json"
	"testing"

	"github.com/acmeproxy/acmeproxy/acme"
)

func TestProblemTypeNamespaces(t *testing.T) {
	cases := []struct {
		t    acme.ProblemType
		ns   string
		name acme.ProblemName
	}{
		{"urn:ietf:params:acme:error:badNonce", acme.NamespaceV2, acme.ErrBadNonce},
		{"urn:acme:error:rateLimited", acme.NamespaceV1, acme.ErrRateLimited},
		{"about:blank", "", ""},
		{"", "", ""},
	}
	for _, tc := range cases {
		if tc.t.Namespace() != tc.ns || tc.t.Name() != tc.name {
			t.Errorf("%q: namespace %q name %q", tc.t, tc.t.Namespace(), tc.t.Name())
		}
	}
}

func TestTimestampKeepsRawText(t *testing.T) {
	var o acme.Order
	in := `{"status":"pending","expires":"2026-09-10T12:00:00Z","identifiers":null,"notBefore":"soon","authorizations":null,"finalize":""}`
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if !o.Expires.Valid() || o.Expires.Time.Year() != 2026 || o.NotBefore.Valid() || o.NotBefore.Raw != "soon" {
		t.Errorf("order %+v", o)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip\n%s\n%s", out, in)
	}
}

func TestKnownValues(t *testing.T) {
	if !acme.StatusReady.Known() || acme.Status("thinking").Known() || !acme.StatusValid.Final() || acme.StatusPending.Final() {
		t.Error("status classification")
	}
	if !acme.ChallengeTLSALPN01.Known() || acme.ChallengeType("http-02").Known() || !acme.IdentifierIP.Known() {
		t.Error("type classification")
	}
	if (acme.Challenge{URI: "u"}).Location() != "u" || (acme.Challenge{URL: "l", URI: "u"}).Location() != "l" {
		t.Error("challenge location")
	}
}

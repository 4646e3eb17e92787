package decode_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/idset"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
)

// TestForget: after Forget, a Decoder no longer knows an account's key or
// its objects' URLs, and notes each forgotten identity that later traffic
// needs (Revived); a Decoder told to forget nothing notes nothing.
func TestForget(t *testing.T) {
	es := journaltest.ReadAll(t, filepath.Join("..", "examples", "recordings", "v2-happy.jsonl"))
	// Decode up to the newOrder answer, which names the order.
	d := decode.NewDecoder()
	var kid, thumbprint, order string
	rest := es
	for len(rest) > 0 && order == "" {
		m := d.Decode(rest[0])
		rest = rest[1:]
		if m.Operation == decode.OpOrderCreate && m.Response != nil {
			kid, thumbprint, order = m.AccountURL, m.Account.Thumbprint, m.Response.Location
		}
	}
	if order == "" || kid == "" || len(rest) == 0 {
		t.Fatal("v2-happy: no newOrder answer with a Location before the end")
	}
	if d.AccountKey(kid) == nil {
		t.Fatal("the key of the account is unknown before Forget")
	}
	fresh := decode.NewDecoder()
	for _, e := range es[:len(es)-len(rest)] {
		fresh.Decode(e)
	}

	d.Forget([]string{kid, order}, []string{thumbprint})
	if d.AccountKey(kid) != nil {
		t.Error("Forget kept the key bound to the account URL")
	}
	var revived []uint64
	for _, e := range rest {
		forgot, kept := d.Decode(e), fresh.Decode(e)
		revived = append(revived, d.Revived()...)
		if r := fresh.Revived(); r != nil {
			t.Errorf("a Decoder told to forget nothing revived %v", r)
		}
		if kept.JWS != nil && kept.JWS.Verification != decode.VerifyValid {
			t.Errorf("%s %s: %s without Forget", kept.Method, kept.URL, kept.JWS.Verification)
		}
		if forgot.JWS != nil && forgot.JWS.Protected.KID == kid && forgot.JWS.Verification == decode.VerifyValid {
			t.Errorf("%s %s: verified with a forgotten key", forgot.Method, forgot.URL)
		}
	}
	for _, want := range []uint64{idset.Hash(idset.URL, kid), idset.Hash(idset.URL, order)} {
		if !slices.Contains(revived, want) {
			t.Errorf("later requests signed with %s or to %s: revived %x, want %x among them", kid, order, revived, want)
		}
	}
	if r := d.Revived(); r != nil {
		t.Errorf("Revived did not clear the list: %v", r)
	}
}

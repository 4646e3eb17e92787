package flow_test

import (
	"io"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Within Feed, evicting an account makes the decoder forget it too: its
// key is no longer bound to its URL, and the traffic that comes back to
// it once the decoder has forgotten counts among the ledger's Revivals.
// The decoder runs ahead of the ledger, so the recording is v2-happy with
// a thousand directory fetches after its newOrder.
func TestFeedForgetsEvictedAccounts(t *testing.T) {
	es := journaltest.ReadAll(t, recording("v2-happy"))
	// the directory fetched a thousand times between newOrder and the rest
	d0 := decode.NewDecoder()
	var stream []*journal.Exchange
	for i, e := range es {
		stream = append(stream, e)
		if d0.Decode(e).Operation != decode.OpOrderCreate {
			continue
		}
		for range 1000 {
			dup := *es[0]
			dup.Start, dup.End = e.End, e.End
			stream = append(stream, &dup)
		}
		stream = append(stream, es[i+1:]...)
		break
	}
	next := 0
	src := flow.Source{Name: "happy", Next: func() (*journal.Exchange, error) {
		if next == len(stream) {
			return nil, io.EOF
		}
		next++
		return stream[next-1], nil
	}}
	l, d := flow.New(), decode.NewDecoder()
	var kid string
	err := flow.Feed(l, d, []flow.Source{src}, func(x *flow.Exchange) error {
		if kid == "" && x.Operation == decode.OpOrderCreate && x.Account != nil {
			kid = x.Account.URL
			l.Close(x.Account, x.End)
			l.Evict(x.Account)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kid == "" {
		t.Fatal("no newOrder in v2-happy")
	}
	if d.AccountKey(kid) != nil {
		t.Errorf("the decoder still binds a key to %s after the account was evicted", kid)
	}
	if l.Revivals().Len() == 0 {
		t.Error("the traffic came back to the evicted account, but no revival was noted")
	}
}

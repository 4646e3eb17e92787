package flow_test

import (
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
)

// ledgerOf builds the ledger of one journal, finished at its last
// exchange's end.
func ledgerOf(t *testing.T, paths ...string) *flow.Ledger {
	t.Helper()
	l := flow.New()
	var sources []flow.Source
	for _, p := range paths {
		r, err := journal.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		sources = append(sources, flow.Source{Name: p, Upstream: r.Header().Upstream, Next: r.Next})
	}
	var last *flow.Exchange
	if err := flow.Feed(l, decode.NewDecoder(), sources, func(x *flow.Exchange) error { last = x; return nil }); err != nil {
		t.Fatal(err)
	}
	if last == nil {
		t.Fatal("no exchanges recorded")
	}
	l.Finish(last.End)
	return l
}

package flow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
)

// TestJudgedAtIsClose: before the end, Authz.JudgedAt(end) is what Close
// will make of each authorization at that end — orphaned, expired unused,
// its name inferred from its order — and leaves the authorization as it
// was; the recordings cover an orphan with its name known (v1), one named
// only by its order (v2) and one that expired unused.
func TestJudgedAtIsClose(t *testing.T) {
	judged := 0
	for _, name := range []string{"v1-self-check-fails", "v2-order-abandoned", "v1-expired-unused", "v2-happy"} {
		t.Run(name, func(t *testing.T) {
			l, end := ledgerUnfinished(t, recording(name))
			for _, a := range l.Accounts() {
				before := map[*flow.Authz]string{}
				got := map[*flow.Authz]string{}
				for _, z := range a.Authzs {
					before[z] = judgement(z)
					got[z] = judgement(z.JudgedAt(end))
					if after := judgement(z); after != before[z] {
						t.Errorf("%s: JudgedAt changed it: %s, then %s", z.URL, before[z], after)
					}
				}
				l.Close(a, end)
				for _, z := range a.Authzs {
					if want := judgement(z); got[z] != want {
						t.Errorf("%s: JudgedAt %s, Close %s", z.URL, got[z], want)
					}
					if got[z] != before[z] {
						judged++
					}
				}
			}
		})
	}
	if judged < 3 {
		t.Errorf("only %d authorizations changed by judging: the recordings test nothing", judged)
	}
}

// judgement is what Close decides about z.
func judgement(z *flow.Authz) string {
	return fmt.Sprintf("orphaned=%t expired_unused=%t end=%s identifier=%q inferred=%t candidates=%q events=%d",
		z.Orphaned, z.ExpiredUnused, z.End.Format(time.RFC3339Nano), z.Identifier.Value, z.IdentifierInferred,
		z.Candidates, len(z.Events))
}

// ledgerUnfinished feeds one journal into a ledger without finishing it,
// and returns the end Finish would use.
func ledgerUnfinished(t *testing.T, path string) (*flow.Ledger, time.Time) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l := flow.New()
	var end time.Time
	src := flow.Source{Name: path, Upstream: r.Header().Upstream, Next: r.Next}
	if err := flow.Feed(l, decode.NewDecoder(), []flow.Source{src}, func(x *flow.Exchange) error { end = x.End; return nil }); err != nil {
		t.Fatal(err)
	}
	return l, end
}

package lint

import (
	"fmt"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/reports"
)

// reportState is what a run keeps for its report as it closes accounts:
// the timeline accounts (reports.Account with their lanes) and the
// subjects, within the options' bounds.
//
// Which accounts the report keeps does not depend on the order in which
// they were closed, so that a run that evicts reports what a run that
// keeps everything reports: accounts are taken in the ledger's order
// (their ordinals), the accounts with findings first and then the clean
// ones, each group while the exchanges their lanes cite stay within
// maxLanes; subjects likewise, an account at a time, while they stay
// within maxSubjects. Since accounts close in any order, the state keeps
// every account that may still be taken — those the accounts already
// closed before them in the same group do not already push out — which
// are about twice the bound at most.
type reportState struct {
	maxLanes, maxSubjects int
	last                  time.Time       // the recordings' end
	cas                   map[string]bool // CAs accounts were judged with before the end

	// lanes[0] holds the lane weights (cited exchanges) of the accounts
	// with findings by ordinal, lanes[1] those of clean accounts; subjects
	// the number of subjects of each account.
	lanes    [2]prefixSums
	subjects prefixSums
	flagged  map[int]bool // ordinals of accounts with findings

	keptLanes    map[int]reports.Account   // by ordinal, still candidates
	keptSubjects map[int][]reports.Subject // by ordinal, still candidates
	sessions     []reports.Subject
	pruneAt      int
}

func newReportState(o Options) *reportState {
	return &reportState{maxLanes: defaulted(o.MaxReportExchanges, DefaultMaxReportExchanges),
		maxSubjects: defaulted(o.MaxReportSubjects, DefaultMaxReportSubjects), flagged: map[int]bool{},
		keptLanes: map[int]reports.Account{}, keptSubjects: map[int][]reports.Subject{}, pruneAt: 64}
}

func (s *reportState) noteCA(ca string) {
	if s.cas == nil {
		s.cas = map[string]bool{}
	}
	s.cas[ca] = true
}

// caDiffers reports whether an account was judged before the end with a
// CA other than final.
func (s *reportState) caDiffers(final string) bool {
	for ca := range s.cas {
		if ca != final {
			return true
		}
	}
	return false
}

func tier(flagged bool) int {
	if flagged {
		return 0
	}
	return 1
}

// capture records a, the account with ordinal ord, as it is closed, and
// keeps its timeline account and subjects while they may still be taken.
func (s *reportState) capture(a *flow.Account, ord int, flagged bool) {
	t := tier(flagged)
	if flagged {
		s.flagged[ord] = true
	}
	w := laneWeight(a)
	s.lanes[t].add(ord, w)
	if s.lanes[t].upTo(ord) <= s.maxLanes {
		s.keptLanes[ord] = accountSnapshot(a)
	}
	subs := accountSubjects(a)
	s.subjects.add(ord, len(subs))
	if s.subjects.upTo(ord) <= s.maxSubjects {
		s.keptSubjects[ord] = subs
	}
	if len(s.keptLanes)+len(s.keptSubjects) >= s.pruneAt {
		s.prune()
		s.pruneAt = max(64, 2*(len(s.keptLanes)+len(s.keptSubjects)))
	}
}

// prune drops the candidates that the accounts closed since pushed out.
func (s *reportState) prune() {
	for ord := range s.keptLanes {
		if s.lanes[tier(s.flagged[ord])].upTo(ord) > s.maxLanes {
			delete(s.keptLanes, ord)
		}
	}
	for ord := range s.keptSubjects {
		if s.subjects.upTo(ord) > s.maxSubjects {
			delete(s.keptSubjects, ord)
		}
	}
}

// laneWeight is the number of exchanges a's timeline account cites.
func laneWeight(a *flow.Account) int {
	seen := map[citeKey]bool{}
	add := func(events []flow.Event) {
		for _, e := range events {
			if e.Ref.Seq != 0 { // an expiry inferred at the end cites no exchange
				seen[citeKey{e.Ref.Source, e.Ref.Seq}] = true
			}
		}
	}
	add(a.Events)
	for _, z := range a.Authzs {
		add(z.Events)
	}
	for _, o := range a.Orders {
		add(o.Events)
	}
	for _, c := range a.Certificates {
		add(c.Events)
	}
	return len(seen)
}

// citeKey names an exchange as a report does: file and sequence number.
type citeKey struct {
	file string
	seq  uint64
}

// captureSessions keeps the sessions' subjects.
func (s *reportState) captureSessions(sessions []*flow.Session) {
	for _, ss := range sessions {
		s.sessions = append(s.sessions, sessionSubject(ss))
	}
}

// timeline returns the accounts the report keeps, in the ledger's order,
// with the exchanges their lanes cite, and says what it left out.
func (s *reportState) timeline() (reports.Flow, map[citeKey]int, []string) {
	var taken []int
	used := 0
	for t := range s.lanes {
		w := s.lanes[t].weights
		for ord := range w {
			if w[ord] < 0 {
				continue // not in this group
			}
			if used+int(w[ord]) > s.maxLanes {
				break
			}
			used += int(w[ord])
			taken = append(taken, ord)
		}
	}
	slices.Sort(taken)
	var f reports.Flow
	cites := map[citeKey]int{}
	for _, ord := range taken {
		a := s.keptLanes[ord]
		f.Accounts = append(f.Accounts, a)
		add := func(evs []reports.Event) {
			for _, e := range evs {
				if e.Ref.Seq != 0 && e.Ref.Line > 0 { // an inferred expiry cites no exchange
					cites[citeKey{e.Ref.File, e.Ref.Seq}] = e.Ref.Line
				}
			}
		}
		add(a.Events)
		for _, l := range a.Lanes {
			add(l.Events)
		}
	}
	var notes []string
	if all := s.lanes[0].count + s.lanes[1].count; len(taken) < all {
		notes = append(notes, fmt.Sprintf("report: the timeline shows %d of %d accounts (those with findings first, then clean ones, in the order first seen) so that their lanes cite at most %d exchanges (Options.MaxReportExchanges); %d exchanges of the other accounts' lanes are left out, though every finding about them is reported",
			len(taken), all, s.maxLanes, s.lanes[0].total+s.lanes[1].total-used))
	}
	return f, cites, notes
}

// subjectList returns the subjects the report keeps, in the ledger's
// order, and says what it left out.
func (s *reportState) subjectList() ([]reports.Subject, []string) {
	var out []reports.Subject
	for ord, w := range s.subjects.weights {
		if w < 0 {
			continue
		}
		if len(out)+int(w) > s.maxSubjects {
			break
		}
		out = append(out, s.keptSubjects[ord]...)
	}
	for _, ss := range s.sessions {
		if len(out) < s.maxSubjects {
			out = append(out, ss)
		}
	}
	var notes []string
	if all := s.subjects.total + len(s.sessions); len(out) < all {
		notes = append(notes, fmt.Sprintf("report: %d of %d subjects are listed (Options.MaxReportSubjects); JUnit shows no passing case for the others",
			len(out), all))
	}
	return out, notes
}

// prefixSums holds a weight per ordinal (-1 for none) and answers prefix
// sums over them (a Fenwick tree, rebuilt when it grows).
type prefixSums struct {
	weights []int32
	tree    []int32
	count   int // ordinals with a weight
	total   int
}

func (p *prefixSums) add(ord, w int) {
	if ord >= len(p.weights) {
		n := max(2*len(p.weights), ord+1, 64)
		for len(p.weights) < n {
			p.weights = append(p.weights, -1)
		}
		p.tree = make([]int32, n+1)
		for i, x := range p.weights {
			if x > 0 {
				p.bump(i, int(x))
			}
		}
	}
	p.weights[ord] = int32(w)
	p.count++
	p.total += w
	p.bump(ord, w)
}

func (p *prefixSums) bump(ord, w int) {
	for i := ord + 1; i < len(p.tree); i += i & -i {
		p.tree[i] += int32(w)
	}
}

// upTo returns the sum of the weights of the ordinals up to ord, included.
func (p *prefixSums) upTo(ord int) int {
	sum := 0
	for i := min(ord+1, len(p.tree)-1); i > 0; i -= i & -i {
		sum += int(p.tree[i])
	}
	return sum
}

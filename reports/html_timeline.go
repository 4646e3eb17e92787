package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// maxOpenAccounts is how many accounts with findings the page shows
// expanded; the others start collapsed.
const maxOpenAccounts = 8

// maxDrawnAccounts is how many accounts get a drawn timeline, and
// maxDrawnTroubled how many when they have findings or flags (accounts
// are drawn worst first). The others are listed in one table, so that a
// recording of thousands of accounts stays a page of a few MB; their
// findings still link to the exchanges that prove them.
const (
	maxDrawnAccounts = 100
	maxDrawnTroubled = 150
)

// timeline is the per-account lane view of the flow snapshot.
type timeline struct {
	r        *Report
	xs       exchangeIDs
	accounts []*htmlAccount
	hidden   int
	acctIDs  map[string]string
	lanes    map[string]*htmlLane // by kind + " " + key
	markers  map[exchangeKey][]*htmlMarker
	events   map[exchangeKey]bool // exchanges behind any event, drawn or not
}

type htmlAccount struct {
	ID       string
	A        *Account
	Open     bool
	Drawn    bool // lanes are drawn; false: a line in the summary table
	Worst    string
	Findings []*htmlFinding
	Rows     []*htmlLane
	Ticks    []htmlTick
	Counts   []string // "2 orders", "3 authorizations", "1 orphaned"
	Search   string   // lower-case text the filter box matches
}

type htmlTick struct {
	Left  float64
	Label string
}

type htmlLane struct {
	ID       string
	Kind     string // authorization, order, certificate, account
	Label    string
	Key      string
	Status   string
	Flags    []Flag
	Markers  []*htmlMarker
	Findings []*htmlFinding
	Bad      bool // flagged or has findings
	// Story tells the events in words: "created 10:00:02, self-check
	// got 404, polled ×3".
	Story string
	// LifeLeft and LifeWidth span the row's first to last event (percent
	// of the track); Tail, for a lane left hanging (orphaned, abandoned,
	// expired unused), runs from its last event to the end.
	LifeLeft, LifeWidth float64
	Tail                bool
}

type htmlMarker struct {
	Left  float64
	Level int
	Kind  EventKind
	Class string
	Title string
	Href  string
	Cited bool
}

// newTimeline builds the lanes of every account.
func newTimeline(r *Report, xs exchangeIDs) *timeline {
	tl := &timeline{r: r, xs: xs, acctIDs: map[string]string{}, lanes: map[string]*htmlLane{},
		markers: map[exchangeKey][]*htmlMarker{}, events: map[exchangeKey]bool{}}
	for _, a := range r.Flow.Accounts {
		for _, e := range a.Events {
			tl.events[exchangeKey{e.Ref.File, e.Ref.Seq}] = true
		}
		for _, l := range a.Lanes {
			for _, e := range l.Events {
				tl.events[exchangeKey{e.Ref.File, e.Ref.Seq}] = true
			}
		}
	}
	worst := map[string]rules.Severity{}
	for _, f := range r.Findings {
		worst[f.Account] = max(worst[f.Account], f.Severity)
	}
	order := make([]int, len(r.Flow.Accounts))
	for i := range order {
		order[i] = i
	}
	// Accounts with the worst findings first, then flagged ones, then the
	// rest, each in the order the recording showed them.
	slices.SortStableFunc(order, func(a, b int) int {
		ka, kb := &r.Flow.Accounts[a], &r.Flow.Accounts[b]
		if wa, wb := worst[ka.Key], worst[kb.Key]; wa != wb {
			return int(wb) - int(wa)
		}
		return boolRank(flagged(kb)) - boolRank(flagged(ka))
	})
	open := 0
	for n, i := range order {
		a := &r.Flow.Accounts[i]
		ha := &htmlAccount{ID: fmt.Sprintf("acct-%d", i+1), A: a}
		tl.acctIDs[a.Key] = ha.ID
		if w := worst[a.Key]; w.Valid() {
			ha.Worst = w.String()
			if open < maxOpenAccounts {
				ha.Open, open = true, open+1
			}
		}
		ha.Drawn = n < maxDrawnAccounts || n < maxDrawnTroubled && (ha.Worst != "" || flagged(a))
		if !ha.Drawn {
			tl.hidden++
		}
		tl.draw(ha)
		tl.accounts = append(tl.accounts, ha)
	}
	return tl
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flagged reports whether any lane of a carries a flag.
func flagged(a *Account) bool {
	for _, l := range a.Lanes {
		if len(l.Flags) > 0 {
			return true
		}
	}
	return false
}

// draw lays out one account's rows, time axis and counts.
func (tl *timeline) draw(ha *htmlAccount) {
	a := ha.A
	start, end := accountSpan(a)
	defer func() { ha.Ticks = axisTicks(start, end) }()
	if len(a.Events) > 0 && ha.Drawn {
		row := &htmlLane{ID: ha.ID + "-self", Kind: "account", Label: a.Name(), Key: a.URL, Status: a.Status}
		tl.place(row, a.Events, start, end)
		ha.Rows = append(ha.Rows, row)
	}
	kinds := map[rules.Kind]int{}
	flags := map[Flag]int{}
	search := []string{a.Key, a.URL}
	for j := range a.Lanes {
		l := &a.Lanes[j]
		kinds[l.Kind]++
		for _, f := range l.Flags {
			flags[f]++
		}
		row := &htmlLane{ID: fmt.Sprintf("%s-lane-%d", ha.ID, j+1), Kind: string(l.Kind), Label: l.Label,
			Key: l.Key, Status: l.Status, Flags: l.Flags, Bad: len(l.Flags) > 0}
		search = append(search, l.Label)
		if !ha.Drawn {
			continue
		}
		tl.lanes[string(l.Kind)+" "+l.Key] = row
		tl.place(row, l.Events, start, end)
		ha.Rows = append(ha.Rows, row)
	}
	for _, k := range LaneKinds() {
		if n := kinds[k]; n > 0 {
			ha.Counts = append(ha.Counts, plural(n, string(k), string(k)+"s"))
		}
	}
	for _, f := range []Flag{FlagOrphaned, FlagExpiredUnused, FlagAbandoned, FlagFailed} {
		if n := flags[f]; n > 0 {
			ha.Counts = append(ha.Counts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(f), "_", " ")))
		}
	}
	ha.Search = strings.ToLower(strings.Join(search, " "))
}

// accountSpan returns the first and last times of an account's events,
// widened to a second when they coincide.
func accountSpan(a *Account) (time.Time, time.Time) {
	var start, end time.Time
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if start.IsZero() || t.Before(start) {
			start = t
		}
		if t.After(end) {
			end = t
		}
	}
	see(a.FirstSeen)
	see(a.LastSeen)
	for _, e := range a.Events {
		see(e.Time)
	}
	for _, l := range a.Lanes {
		for _, e := range l.Events {
			see(e.Time)
		}
	}
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	return start, end
}

// place adds the markers of events to a row.
func (tl *timeline) place(row *htmlLane, events []Event, start, end time.Time) {
	span := float64(end.Sub(start))
	var last [3]float64
	for i := range last {
		last[i] = -100
	}
	for _, e := range events {
		st := markerStyle(e.Kind)
		m := &htmlMarker{Kind: e.Kind, Class: st.class, Href: tl.xs.href(e.Ref.File, e.Ref.Seq)}
		m.Left = math.Round(1000*float64(e.Time.Sub(start))/span) / 10
		m.Left = min(max(m.Left, 0), 100)
		if tl.bad(&e) {
			m.Class += " bad"
		}
		m.Title = tl.markerTitle(&e)
		m.Level = 0
		for lv := range last {
			if m.Left-last[lv] >= 1.5 {
				m.Level = lv
				break
			}
			if last[lv] < last[m.Level] {
				m.Level = lv
			}
		}
		last[m.Level] = m.Left
		row.Markers = append(row.Markers, m)
		k := exchangeKey{e.Ref.File, e.Ref.Seq}
		tl.markers[k] = append(tl.markers[k], m)
	}
	row.Story = tl.story(events)
	if n := len(row.Markers); n > 0 {
		row.LifeLeft = row.Markers[0].Left
		for _, m := range row.Markers {
			row.LifeLeft = min(row.LifeLeft, m.Left)
			row.LifeWidth = max(row.LifeWidth, m.Left)
		}
		row.LifeWidth -= row.LifeLeft
	}
	for _, f := range row.Flags {
		if f == FlagOrphaned || f == FlagAbandoned || f == FlagExpiredUnused {
			row.Tail = true
		}
	}
}

// TailLeft is where a hanging lane's tail starts: its last event.
func (l *htmlLane) TailLeft() float64 { return l.LifeLeft + l.LifeWidth }

// TailWidth is the tail's length, to the end of the track.
func (l *htmlLane) TailWidth() float64 { return math.Round(10*(100-l.TailLeft())) / 10 }

// bad reports whether an event shows a failure: a refusal, an invalid
// status, or an answer of 400 or more (a self-check that got 404).
func (tl *timeline) bad(e *Event) bool {
	if e.Bad() {
		return true
	}
	x := tl.r.Exchange(e.Ref.File, e.Ref.Seq)
	return x != nil && (x.Status >= 400 || x.Error != "")
}

// story tells a row's events in words, runs of one kind folded: "created
// 10:00:02, self-check got 404, polled ×3, validated 10:00:09".
func (tl *timeline) story(events []Event) string {
	var parts []string
	for i := 0; i < len(events); {
		e := &events[i]
		j := i + 1
		for j < len(events) && events[j].Kind == e.Kind && !tl.bad(&events[j]) && !tl.bad(e) {
			j++
		}
		word := strings.ReplaceAll(string(e.Kind), "_", " ")
		switch {
		case j-i > 1:
			word += fmt.Sprintf(" ×%d", j-i)
		case e.Problem != nil:
			word += " (" + e.Problem.Name() + ")"
		default:
			if x := tl.r.Exchange(e.Ref.File, e.Ref.Seq); x != nil && (x.Status >= 400 || x.Error != "") {
				word += fmt.Sprintf(" (got %s)", statusText(x))
			}
		}
		parts = append(parts, word+" "+e.Time.UTC().Format("15:04:05"))
		i = j
	}
	return strings.Join(parts, " → ")
}

// statusText is an exchange's status, or "no answer".
func statusText(x *Exchange) string {
	if x.Status == 0 {
		return "no answer"
	}
	return fmt.Sprint(x.Status)
}

// markerTitle is a marker's tooltip: "validated 10:00:05 · valid ·
// rec.jsonl:12 POST https://… → 200".
func (tl *timeline) markerTitle(e *Event) string {
	parts := []string{strings.ReplaceAll(string(e.Kind), "_", " ") + " " + e.Time.UTC().Format("15:04:05")}
	if e.Status != "" {
		parts = append(parts, e.Status)
	}
	if e.Problem != nil {
		parts = append(parts, e.Problem.String())
	}
	where := refString(e.Ref)
	if x := tl.r.Exchange(e.Ref.File, e.Ref.Seq); x != nil {
		where += " " + x.Method
		if x.Operation != "" {
			where += " " + x.Operation
		}
		where += " → " + statusText(x)
	}
	parts = append(parts, where)
	return oneLineCut(strings.Join(parts, " · "), 200)
}

// axisTicks returns five labelled ticks from start to end.
func axisTicks(start, end time.Time) []htmlTick {
	layout := "15:04:05"
	if end.Sub(start) >= 24*time.Hour {
		layout = "01-02 15:04"
	}
	var out []htmlTick
	for i := 0; i <= 4; i++ {
		t := start.Add(time.Duration(float64(end.Sub(start)) * float64(i) / 4))
		out = append(out, htmlTick{Left: float64(i * 25), Label: t.UTC().Format(layout)})
	}
	return out
}

// cite records that finding h cites its evidence exchanges: their markers
// are ringed, and the finding is listed on its lane and account.
func (tl *timeline) cite(f *Finding, h *htmlFinding) {
	if !strings.HasPrefix(h.ID, "f-") {
		return
	}
	for _, e := range f.Evidence {
		for _, m := range tl.markers[exchangeKey{e.File, e.Seq}] {
			m.Cited = true
		}
	}
	if row := tl.lanes[string(f.Kind)+" "+f.Subject]; row != nil {
		row.Findings = append(row.Findings, h)
		row.Bad = true
	}
	for _, ha := range tl.accounts {
		if ha.A.Key == f.Account {
			ha.Findings = append(ha.Findings, h)
		}
	}
}

// drawn reports whether a drawn marker points at the exchange.
func (tl *timeline) drawn(file string, seq uint64) bool {
	return len(tl.markers[exchangeKey{file, seq}]) > 0
}

// hasEvent reports whether any event, drawn or not, points at the
// exchange.
func (tl *timeline) hasEvent(file string, seq uint64) bool { return tl.events[exchangeKey{file, seq}] }

// unlink removes the links of the markers of an exchange the page does
// not list.
func (tl *timeline) unlink(file string, seq uint64) {
	for _, m := range tl.markers[exchangeKey{file, seq}] {
		m.Href = ""
	}
}

// laneAnchor returns "#…-lane-N" of a subject's lane, "" when it has none.
func (tl *timeline) laneAnchor(kind rules.Kind, key string) string {
	if row := tl.lanes[string(kind)+" "+key]; row != nil {
		return "#" + row.ID
	}
	return ""
}

// accountAnchor returns "#acct-N" of an account, "" when it is not in the
// flow.
func (tl *timeline) accountAnchor(key string) string {
	if id, ok := tl.acctIDs[key]; ok {
		return "#" + id
	}
	return ""
}

// markerCSS draws each event kind's symbol with CSS generated content, so
// that the page does not repeat it in every marker. The alternative text
// after "/" is empty: a marker's accessible name is its title.
func markerCSS() string {
	var b strings.Builder
	for _, k := range append(EventKinds(), "") {
		m := markerStyle(k)
		fmt.Fprintf(&b, ".%s::after{content:%q;content:%q/\"\"}\n", m.class, m.symbol, m.symbol)
	}
	return b.String()
}

// marker is how an event kind is drawn: a symbol (so that colour is never
// the only cue) and a CSS class.
type marker struct {
	symbol string
	class  string
}

// markerStyle returns the drawing of an event kind.
func markerStyle(k EventKind) marker {
	switch k {
	case EventCreated:
		return marker{"+", "k-created"}
	case EventHandedBack:
		return marker{"↺", "k-handed"}
	case EventListed:
		return marker{"·", "k-listed"}
	case EventPolled:
		return marker{"?", "k-polled"}
	case EventSelfChecked:
		return marker{"s", "k-self"}
	case EventTriggered:
		return marker{"▶", "k-triggered"}
	case EventValidated:
		return marker{"✓", "k-valid"}
	case EventInvalidated:
		return marker{"✗", "k-invalid"}
	case EventDeactivated:
		return marker{"⊘", "k-deact"}
	case EventReady:
		return marker{"R", "k-ready"}
	case EventFinalized:
		return marker{"F", "k-final"}
	case EventIssued:
		return marker{"★", "k-issued"}
	case EventDownloaded:
		return marker{"↓", "k-down"}
	case EventErrored:
		return marker{"!", "k-error"}
	case EventExpired:
		return marker{"⌛", "k-expired"}
	}
	return marker{"•", "k-other"}
}

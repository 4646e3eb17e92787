package reports

import (
	"fmt"
	"time"
)

// htmlExchange is one exchange as the page shows it.
type htmlExchange struct {
	ID       string
	X        *Exchange
	Status   string // "403", or "no answer"
	StClass  string
	Problem  string
	CitedBy  []*htmlFinding
	Request  htmlBody
	Response *htmlBody
	// Omitted is set when the page's body budget was spent before this
	// exchange: only its summary line is shown.
	Omitted bool
}

type htmlBody struct {
	Headers   []Header
	Protected string
	Text      string
	Note      string
	Size      int64
	Cut       bool // cut here or by the producer
}

// htmlExchanges builds the views of the exchanges the page links to:
// those cited by findings and those behind a drawn marker of tl. Bodies are cut to o.MaxBodyBytes each, exchanges cited by
// findings served first. Once o.MaxHTMLBodyBytes (as escaped HTML) are
// shown, exchanges cited by findings show their summary line only, and
// the others are left out and their markers unlinked. It returns notes that tell the reader what
// was cut.
func htmlExchanges(r *Report, o Options, xs exchangeIDs, findings []*htmlFinding, tl *timeline) ([]*htmlExchange, []string) {
	views := make([]*htmlExchange, len(r.Exchanges))
	var cited []int
	for _, h := range findings {
		for _, e := range h.F.Evidence {
			i, ok := xs.index(e.File, e.Seq)
			if !ok {
				continue
			}
			if views[i] == nil {
				views[i] = newHTMLExchange(r, i)
				cited = append(cited, i)
			}
			views[i].CitedBy = appendOnce(views[i].CitedBy, h)
		}
	}
	rest, left := []int{}, 0
	for i := range r.Exchanges {
		switch {
		case views[i] != nil:
		case tl.drawn(r.Exchanges[i].File, r.Exchanges[i].Seq):
			views[i] = newHTMLExchange(r, i)
			rest = append(rest, i)
		case tl.hasEvent(r.Exchanges[i].File, r.Exchanges[i].Seq):
			left++ // an event of an account not drawn
		}
	}
	budget := o.MaxHTMLBodyBytes
	cutAny, omitted := false, 0
	for n, i := range append(cited, rest...) {
		hx, x := views[i], &r.Exchanges[i]
		if budget <= 0 && n >= len(cited) {
			views[i] = nil
			tl.unlink(x.File, x.Seq)
			left++
			continue
		}
		if budget <= 0 {
			hx.Omitted = true
			omitted++
			continue
		}
		hx.Request = bodyView(x.Request, o.MaxBodyBytes, &budget)
		if x.Response != nil {
			resp := bodyView(*x.Response, o.MaxBodyBytes, &budget)
			hx.Response = &resp
		}
		cutAny = cutAny || hx.Request.Cut || hx.Response != nil && hx.Response.Cut
	}
	out := make([]*htmlExchange, 0, len(r.Exchanges)-left)
	for _, v := range views {
		if v != nil {
			out = append(out, v)
		}
	}
	return out, exchangeNotes(o, cutAny, omitted, left)
}

// newHTMLExchange is the view of exchange i without bodies.
func newHTMLExchange(r *Report, i int) *htmlExchange {
	x := &r.Exchanges[i]
	hx := &htmlExchange{ID: fmt.Sprintf("x-%d", i), X: x, StClass: statusClass(x.Status), Status: statusText(x)}
	if x.Problem != nil {
		hx.Problem = x.Problem.String()
	}
	return hx
}

// exchangeNotes tells the reader what the page left out.
func exchangeNotes(o Options, cutAny bool, omitted, left int) []string {
	var notes []string
	if cutAny {
		notes = append(notes, fmt.Sprintf("Bodies longer than %s are cut; the JSON report holds what the recording kept.",
			byteSize(o.MaxBodyBytes)))
	}
	if omitted > 0 {
		notes = append(notes, fmt.Sprintf("%s cited by findings show no bodies: this page spends at most %s "+
			"on bodies. The JSON report and `acmeproxy decode` show them all.", plural(omitted, "exchange", "exchanges"),
			byteSize(o.MaxHTMLBodyBytes)))
	}
	if left > 0 {
		what := fmt.Sprintf("%d exchanges behind timeline events are", left)
		if left == 1 {
			what = "1 exchange behind a timeline event is"
		}
		notes = append(notes, fmt.Sprintf("%s not listed here: they belong to accounts whose timeline is not drawn, "+
			"or came after this page's %s for bodies was spent (their markers do not link).", what, byteSize(o.MaxHTMLBodyBytes)))
	}
	return notes
}

func appendOnce(list []*htmlFinding, h *htmlFinding) []*htmlFinding {
	for _, g := range list {
		if g == h {
			return list
		}
	}
	return append(list, h)
}

// exchangeMarkup is about what the markup around one side of an opened
// exchange costs, in bytes.
const exchangeMarkup = 300

// bodyView cuts one message's body to max bytes and charges the budget.
func bodyView(m Message, max int, budget *int) htmlBody {
	b := htmlBody{Headers: m.Headers, Note: m.Body.Note, Size: m.Body.Size, Cut: m.Body.Truncated}
	var wasCut bool
	b.Protected, wasCut = cut(m.Body.Protected, max)
	b.Cut = b.Cut || wasCut
	b.Text, wasCut = cut(m.Body.Text, max)
	b.Cut = b.Cut || wasCut
	*budget -= escapedLen(b.Protected) + escapedLen(b.Text) + exchangeMarkup
	for _, h := range b.Headers {
		*budget -= escapedLen(h.Name) + escapedLen(h.Value) + 40
	}
	return b
}

// duration formats an exchange's duration for the page.
func duration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}

// escapedLen is the length of s once html/template has escaped it as HTML
// text: each of " ' & + becomes five bytes, < and > four.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'', '&', '+':
			n += 4
		case '<', '>':
			n += 3
		}
	}
	return n
}

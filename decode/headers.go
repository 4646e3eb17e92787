package decode

import (
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Link is one relation of a Link header (RFC 8288 §3). A header value with
// several links, or a link with several relation types ("up next"), yields
// one Link per relation.
type Link struct {
	// URL is the target, resolved against the request URL.
	URL string `json:"url"`
	// Rel is the relation type, lower-cased: "up", "next", "alternate",
	// "index", "terms-of-service", "help", …
	Rel string `json:"rel"`
}

// Link relation types ACME uses (RFC 8555 §7.1, §7.3.3, §7.4.2; v1 "next").
const (
	RelUp             = "up"
	RelNext           = "next"
	RelAlternate      = "alternate"
	RelIndex          = "index"
	RelTermsOfService = "terms-of-service"
	RelHelp           = "help"
)

// parseLinks reads every Link header value (repeated headers and
// comma-joined values alike) and resolves targets against base.
func parseLinks(values []string, base *url.URL) ([]Link, []Issue) {
	var links []Link
	var issues []Issue
	for _, v := range values {
		p := linkParser{s: v}
		for {
			target, rels, ok, more := p.next()
			if !ok {
				issues = append(issues, issuef(IssueHTTPBadLink, "cannot parse Link header %q", v))
				break
			}
			for _, rel := range rels {
				links = append(links, Link{URL: resolve(base, target), Rel: rel})
			}
			if !more {
				break
			}
		}
	}
	return links, issues
}

// linkParser scans `<uri>; rel="a b"; title="x, y", <uri2>; rel=next`.
type linkParser struct {
	s string
	i int
}

func (p *linkParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// next returns the next link's target and relation types; more reports
// whether another link follows.
func (p *linkParser) next() (target string, rels []string, ok, more bool) {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '<' {
		return "", nil, false, false
	}
	end := strings.IndexByte(p.s[p.i:], '>')
	if end < 0 {
		return "", nil, false, false
	}
	target = p.s[p.i+1 : p.i+end]
	p.i += end + 1
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return target, rels, true, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.skipSpace()
			return target, rels, true, p.i < len(p.s)
		case ';':
			p.i++
			name, value, pok := p.param()
			if !pok {
				return "", nil, false, false
			}
			if name == "rel" && rels == nil { // RFC 8288 §3.3: only the first rel counts
				rels = strings.Fields(strings.ToLower(value))
			}
		default:
			return "", nil, false, false
		}
	}
}

// param reads `name=value` or `name="quoted value"` (or a bare name).
func (p *linkParser) param() (name, value string, ok bool) {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '=' && p.s[p.i] != ';' && p.s[p.i] != ',' {
		p.i++
	}
	name = strings.ToLower(strings.TrimSpace(p.s[start:p.i]))
	if name == "" {
		return "", "", false
	}
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return name, "", true
	}
	p.i++
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.quoted(name)
	}
	start = p.i
	for p.i < len(p.s) && p.s[p.i] != ';' && p.s[p.i] != ',' {
		p.i++
	}
	return name, strings.TrimSpace(p.s[start:p.i]), true
}

func (p *linkParser) quoted(name string) (string, string, bool) {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case '\\':
			if p.i+1 < len(p.s) {
				p.i++
				b.WriteByte(p.s[p.i])
			}
		case '"':
			p.i++
			return name, b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// resolve returns ref resolved against base, or ref unchanged when either
// does not parse.
func resolve(base *url.URL, ref string) string {
	if base == nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(u).String()
}

// RetryAfter is a parsed Retry-After header (RFC 9110 §10.2.3): either a
// number of seconds or an HTTP-date.
type RetryAfter struct {
	// Raw is the header value as received.
	Raw string `json:"raw"`
	// Date is set when the value was an HTTP-date.
	Date time.Time `json:"date,omitzero"`
	// Seconds is the delay: the value itself, or for a date the time from
	// the response's Date header (else the exchange's end) to Date, never
	// negative.
	Seconds int64 `json:"seconds"`
}

// Delay returns Seconds as a duration.
func (r *RetryAfter) Delay() time.Duration { return time.Duration(r.Seconds) * time.Second }

// httpDateLayouts are the IMF-fixdate form and the two obsolete forms a
// recipient must accept (RFC 9110 §5.6.7).
var httpDateLayouts = [...]string{time.RFC1123, time.RFC850, time.ANSIC}

func parseHTTPDate(s string) (time.Time, bool) {
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseRetryAfter reads v; now is the response's Date (or the exchange's
// end) for the date form.
func parseRetryAfter(v string, now time.Time) (*RetryAfter, []Issue) {
	v = strings.TrimSpace(v)
	ra := &RetryAfter{Raw: v}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		ra.Seconds = n
		return ra, nil
	}
	t, ok := parseHTTPDate(v)
	if !ok {
		return nil, []Issue{issuef(IssueHTTPBadRetryAfter, "Retry-After %q is neither seconds nor an HTTP-date", v)}
	}
	ra.Date = t
	if !now.IsZero() && t.After(now) {
		ra.Seconds = int64(t.Sub(now).Round(time.Second) / time.Second)
	}
	return ra, nil
}

// mediaType returns the lower-cased media type of a Content-Type value
// without parameters, or "" when there is none.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		return strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

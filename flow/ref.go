package flow

import (
	"fmt"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
)

// Ref points at one recorded exchange: the evidence behind an event or a
// finding.
type Ref struct {
	// Source is the recording's name (its path as given).
	Source string `json:"source"`
	// Line is the 1-based journal line, or HAR entry, of the exchange.
	Line int `json:"line"`
	// Seq is the exchange's sequence number in its recording.
	Seq uint64 `json:"seq"`
	// Time is when the request started.
	Time time.Time `json:"time"`
	// Operation is what the exchange did, for reports.
	Operation decode.Operation `json:"operation,omitempty"`
}

// String returns "source:line".
func (r Ref) String() string { return fmt.Sprintf("%s:%d", r.Source, r.Line) }

// IsZero reports whether r points nowhere.
func (r Ref) IsZero() bool { return r.Source == "" && r.Line == 0 && r.Seq == 0 }

func refOf(source string, m *decode.Message) Ref {
	return Ref{Source: source, Line: m.Line, Seq: m.Seq, Time: m.Start, Operation: m.Operation}
}

// EventKind names a lifecycle event.
type EventKind string

// Lifecycle events of authorizations, challenges, orders and certificates.
const (
	EventCreated     EventKind = "created"      // the CA created it (201)
	EventHandedBack  EventKind = "handed_back"  // a create request got an existing object back
	EventListed      EventKind = "listed"       // first seen listed in another object (an order's authorizations)
	EventPolled      EventKind = "polled"       // the client fetched it
	EventSelfChecked EventKind = "self_checked" // the client fetched its own http-01 resource
	EventTriggered   EventKind = "triggered"    // the client asked for validation
	EventValidated   EventKind = "validated"    // a response first showed it valid
	EventInvalidated EventKind = "invalidated"  // a response first showed it invalid
	EventDeactivated EventKind = "deactivated"  // the client deactivated it
	EventReady       EventKind = "ready"        // an order first showed ready
	EventFinalized   EventKind = "finalized"    // the client submitted a CSR
	EventIssued      EventKind = "issued"       // a certificate was issued
	EventDownloaded  EventKind = "downloaded"   // the client fetched the certificate
	EventErrored     EventKind = "errored"      // a request about it was refused
	EventExpired     EventKind = "expired"      // its expiry passed with no final status
)

// Event is one step in an object's life.
type Event struct {
	Kind EventKind `json:"kind"`
	// Status is the object's status as the exchange showed it, if it did.
	Status acme.Status `json:"status,omitempty"`
	Ref    Ref         `json:"ref"`
	// Problem is the CA's problem document for EventErrored and for a
	// failed validation.
	Problem *acme.Problem `json:"problem,omitempty"`
	// wait is the Retry-After of a poll's answer, zero without one.
	wait time.Duration
}

// history is the event log shared by every tracked object.
type history struct {
	Events []Event `json:"events"`
}

func (h *history) add(kind EventKind, status acme.Status, ref Ref, p *acme.Problem) {
	h.Events = append(h.Events, Event{Kind: kind, Status: status, Ref: ref, Problem: p})
}

// addPoll records a poll answered by r (nil when the CA did not answer),
// keeping the wait the answer asked for.
func (h *history) addPoll(status acme.Status, ref Ref, p *acme.Problem, r *decode.Response) {
	h.add(EventPolled, status, ref, p)
	if r != nil && r.RetryAfter != nil {
		h.Events[len(h.Events)-1].wait = r.RetryAfter.Delay()
	}
}

// FastPolls returns the polls that came less than interval after the
// previous poll, when that poll's answer showed the object's status and
// asked for no wait (no Retry-After), and nothing but status changes
// happened to the object in between: a client polling in a tight loop. A
// trigger, a finalize, a refused request or an unanswered poll starts
// the count again; a poll sooner than a Retry-After asked for is another
// fault (Exchange.AskedWait).
func (h *history) FastPolls(interval time.Duration) []Ref {
	var out []Ref
	var prev *Event
	for i := range h.Events {
		e := &h.Events[i]
		switch e.Kind {
		case EventPolled:
			if e.Status == "" {
				prev = nil
				continue
			}
			if prev != nil && prev.wait == 0 && e.Ref.Time.Sub(prev.Ref.Time) < interval {
				out = append(out, e.Ref)
			}
			prev = e
		case EventValidated, EventInvalidated, EventReady:
			// what a poll's answer showed
		default:
			prev = nil
		}
	}
	return out
}

// Has reports whether an event of kind k was seen.
func (h *history) Has(k EventKind) bool { return h.First(k) != nil }

// First returns the first event of kind k, or nil.
func (h *history) First(k EventKind) *Event {
	for i := range h.Events {
		if h.Events[i].Kind == k {
			return &h.Events[i]
		}
	}
	return nil
}

// Count returns how many events of kind k were seen.
func (h *history) Count(k EventKind) int {
	n := 0
	for _, e := range h.Events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// Refs returns the exchanges of every event, in order, without repeats.
func (h *history) Refs() []Ref {
	out := make([]Ref, 0, len(h.Events))
	seen := make(map[Ref]bool, len(h.Events))
	for _, e := range h.Events {
		if !seen[e.Ref] {
			seen[e.Ref] = true
			out = append(out, e.Ref)
		}
	}
	return out
}

// RefsOf returns the exchanges of the events of the given kinds (event
// kind names, for example "created", "triggered").
func (h *history) RefsOf(kinds ...string) []Ref {
	var out []Ref
	for _, e := range h.Events {
		for _, k := range kinds {
			if string(e.Kind) == k {
				out = append(out, e.Ref)
				break
			}
		}
	}
	return out
}

package reports

import (
	"fmt"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// Flow is a snapshot of the flow ledger for the HTML timeline: every
// account with one lane per authorization, order and certificate.
type Flow struct {
	Accounts []Account `json:"accounts"`
}

// Account is one ACME account and its objects.
type Account struct {
	// Key is the account key's thumbprint: Finding.Account of its
	// findings.
	Key string `json:"key"`
	// URL is the account URL (v2 kid, v1 registration), when known.
	URL     string `json:"url,omitempty"`
	Dialect string `json:"dialect,omitempty"`
	// Status is the last status a response showed.
	Status string `json:"status,omitempty"`
	// Recording is the Input.Path the account was first seen in.
	Recording string `json:"recording,omitempty"`
	// FirstSeen and LastSeen bound the account's traffic.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Requests counts its signed requests; Errors those answered with a
	// problem.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// Events are account-level events (created, errored, key changes).
	Events []Event `json:"events,omitempty"`
	// Lanes are its authorizations, orders and certificates, in the order
	// they were first seen.
	Lanes []Lane `json:"lanes"`
}

// Name returns the account's short name: the first 8 characters of its
// key.
func (a *Account) Name() string { return short(a.Key) }

// Lane is one authorization, order or certificate: a row of the timeline.
type Lane struct {
	// Kind is authorization, order or certificate.
	Kind rules.Kind `json:"kind"`
	// Key is the object's subject key (its URL, or "serial:…" for a
	// certificate without one): Finding.Subject of its findings.
	Key string `json:"key"`
	// Label is what a person calls it: the identifier ("*.example.com")
	// or the order's identifiers ("example.com, www.example.com").
	Label string `json:"label"`
	// Status is the last status shown; "" when none was.
	Status string `json:"status,omitempty"`
	// Flags mark what went wrong with it.
	Flags []Flag `json:"flags,omitempty"`
	// Orders lists the keys of the orders that list an authorization.
	Orders []string `json:"orders,omitempty"`
	// Expires is the last expiry shown.
	Expires time.Time `json:"expires,omitzero"`
	// Events are its lifecycle events, in time order.
	Events []Event `json:"events"`
}

// Has reports whether the lane carries flag f.
func (l *Lane) Has(f Flag) bool {
	for _, g := range l.Flags {
		if g == f {
			return true
		}
	}
	return false
}

// Flag marks a lane that did not end well.
type Flag string

// The lane flags, from the flow ledger's judgements.
const (
	// FlagOrphaned: an authorization seen pending, never triggered nor
	// deactivated, not expired at the end (flow.Authz.Orphaned).
	FlagOrphaned Flag = "orphaned"
	// FlagExpiredUnused: as orphaned, but it expired within the recording.
	FlagExpiredUnused Flag = "expired_unused"
	// FlagAbandoned: an order left before issuance (flow.Order.Abandoned).
	FlagAbandoned Flag = "abandoned"
	// FlagFailed: it ended invalid, or its finalize was refused.
	FlagFailed Flag = "failed"
)

// Valid reports whether f is a known flag.
func (f Flag) Valid() bool {
	switch f {
	case FlagOrphaned, FlagExpiredUnused, FlagAbandoned, FlagFailed:
		return true
	}
	return false
}

// UnmarshalText accepts the known flags only.
func (f *Flag) UnmarshalText(b []byte) error {
	if !Flag(b).Valid() {
		return fmt.Errorf("reports: unknown lane flag %q", b)
	}
	*f = Flag(b)
	return nil
}

// Event is one step in an object's life, proven by an exchange.
type Event struct {
	Kind EventKind `json:"kind"`
	Time time.Time `json:"time"`
	// Ref is the exchange that proves it.
	Ref rules.Ref `json:"ref"`
	// Status is the object's status as that exchange showed it.
	Status string `json:"status,omitempty"`
	// Problem is the CA's problem, for errored and invalidated events.
	Problem *Problem `json:"problem,omitempty"`
}

// EventKind names a lifecycle event. The values are spelled as
// flow.EventKind's.
type EventKind string

// The lifecycle events.
const (
	EventCreated     EventKind = "created"      // the CA created it
	EventHandedBack  EventKind = "handed_back"  // a create request got the existing object back
	EventListed      EventKind = "listed"       // first seen listed in another object
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

// EventKinds lists every event kind, in lifecycle order.
func EventKinds() []EventKind {
	return []EventKind{EventCreated, EventHandedBack, EventListed, EventPolled, EventSelfChecked,
		EventTriggered, EventValidated, EventInvalidated, EventDeactivated, EventReady,
		EventFinalized, EventIssued, EventDownloaded, EventErrored, EventExpired}
}

// Valid reports whether k is a known event kind.
func (k EventKind) Valid() bool {
	for _, v := range EventKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// UnmarshalText accepts the known event kinds only.
func (k *EventKind) UnmarshalText(b []byte) error {
	if !EventKind(b).Valid() {
		return fmt.Errorf("reports: unknown event kind %q", b)
	}
	*k = EventKind(b)
	return nil
}

// Bad reports whether the event is a failure a reader should see at once.
func (e *Event) Bad() bool {
	return e.Kind == EventErrored || e.Kind == EventInvalidated || e.Problem != nil
}

// Account returns the flow account with key, or nil.
func (f *Flow) Account(key string) *Account {
	for i := range f.Accounts {
		if f.Accounts[i].Key == key {
			return &f.Accounts[i]
		}
	}
	return nil
}

// Lane returns the lane of kind and key in any account, or nil.
func (f *Flow) Lane(kind rules.Kind, key string) *Lane {
	for i := range f.Accounts {
		a := &f.Accounts[i]
		for j := range a.Lanes {
			if a.Lanes[j].Kind == kind && a.Lanes[j].Key == key {
				return &a.Lanes[j]
			}
		}
	}
	return nil
}

// LaneKinds are the subject kinds a lane may have.
func LaneKinds() []rules.Kind {
	return []rules.Kind{rules.KindAuthorization, rules.KindOrder, rules.KindCertificate}
}

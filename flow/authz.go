package flow

import (
	"fmt"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Authz is one authorization, keyed by its URL (RFC 8555 §7.1.4; v1
// new-authz). It belongs to the account that created or fetched it.
type Authz struct {
	URL        string          `json:"url"`
	Account    *Account        `json:"-"`
	Identifier acme.Identifier `json:"identifier"`
	Wildcard   bool            `json:"wildcard,omitempty"`
	// Status is the last status a response showed; "" if none did.
	Status acme.Status `json:"status,omitempty"`
	// Expires is the last expiry a response showed.
	Expires time.Time `json:"expires,omitzero"`
	// SeenPending is set when a response showed it pending, or listed it
	// in a pending order before any fetch (acme-reference.md §10.4 (1)).
	SeenPending bool `json:"seen_pending"`
	// FirstSeen is when the traffic first showed it.
	FirstSeen time.Time `json:"first_seen"`

	Challenges []*Challenge `json:"challenges,omitempty"`
	// Orders lists the v2 orders that list it.
	Orders []*Order `json:"-"`

	// HandedBack counts create requests (v1 new-authz, v2 newOrder) that
	// got this existing authorization back; HandedBackPending counts those
	// where it was still pending and no trigger had been seen (a client
	// asking again instead of finishing).
	HandedBack        int `json:"handed_back"`
	HandedBackPending int `json:"handed_back_pending"`
	// Polls counts fetches of the authorization or its challenges.
	Polls int `json:"polls"`
	// SelfChecks are the client's own fetches of its http-01 resources for
	// this authorization's tokens.
	SelfChecks []SelfCheck `json:"self_checks,omitempty"`
	// IdentifierInferred is set when no response showed the identifier and
	// the ledger took it from the order: the one name of the order that no
	// other of its authorizations had. Candidates lists the names it may
	// be when that was ambiguous.
	IdentifierInferred bool     `json:"identifier_inferred,omitempty"`
	Candidates         []string `json:"candidates,omitempty"`
	// Problem is the validation error a challenge reported.
	Problem *acme.Problem `json:"problem,omitempty"`
	// UsedBy lists the issuances whose names it covered.
	UsedBy []*Issuance `json:"-"`

	// Set by Ledger.Finish, from the whole recording:

	// Orphaned: seen pending, never triggered nor deactivated, no final
	// status shown, and not expired at the end of the recording
	// (acme-reference.md §10.4).
	Orphaned bool `json:"orphaned"`
	// ExpiredUnused: as Orphaned, but its expiry passed within the
	// recording.
	ExpiredUnused bool `json:"expired_unused"`
	// End is the time the judgement was made (the recording's end).
	End time.Time `json:"end,omitzero"`

	history
}

// SelfCheck is one client fetch of http://<name>/.well-known/acme-challenge/<token>.
type SelfCheck struct {
	Ref Ref `json:"ref"`
	// Status is the HTTP status the client got, 0 if the fetch failed.
	Status int `json:"status"`
	// Error is the proxy's error when the fetch got no response.
	Error string `json:"error,omitempty"`
	// Matched is set when the body served was the key authorization.
	Matched bool `json:"matched"`
}

// Passed reports whether the self-check got the key authorization.
func (s SelfCheck) Passed() bool { return s.Status == 200 && s.Matched }

// SubjectKey returns the authorization's URL.
func (z *Authz) SubjectKey() string { return z.URL }

// Name returns the identifier value, with "*." for a wildcard. For an
// authorization never fetched it says which of its order's names it can
// be.
func (z *Authz) Name() string {
	if z.Identifier.Value == "" {
		if len(z.Candidates) > 0 {
			return "one of " + strings.Join(z.Candidates, ", ")
		}
		return "(identifier not seen)"
	}
	if z.Wildcard {
		return "*." + z.Identifier.Value
	}
	return z.Identifier.Value
}

// Triggered reports whether the client asked for validation of any of its
// challenges.
func (z *Authz) Triggered() bool { return z.Has(EventTriggered) }

// PolledAfterTrigger reports whether any fetch of the authorization or of
// its challenges followed the first trigger.
func (z *Authz) PolledAfterTrigger() bool {
	triggered := false
	for _, e := range z.Events {
		switch e.Kind {
		case EventTriggered:
			triggered = true
		case EventPolled:
			if triggered {
				return true
			}
		}
	}
	return false
}

// Deactivated reports whether the client deactivated it.
func (z *Authz) Deactivated() bool { return z.Has(EventDeactivated) }

// FailedSelfCheck returns the client's last self-check of it that did not
// pass, or nil when there was none or the last one passed.
func (z *Authz) FailedSelfCheck() *SelfCheck {
	if n := len(z.SelfChecks); n > 0 && !z.SelfChecks[n-1].Passed() {
		return &z.SelfChecks[n-1]
	}
	return nil
}

// DeactivatedWhilePending reports whether the client deactivated it while
// it was still pending (Let's Encrypt counts that as a failed validation
// since November 2024).
func (z *Authz) DeactivatedWhilePending() bool {
	pending := false
	for _, e := range z.Events {
		switch {
		case e.Kind == EventDeactivated:
			return pending
		case e.Kind == EventListed && e.Status == "":
			pending = true // new in a new order; a reused valid one shows valid later
		case e.Status == acme.StatusPending:
			pending = true
		case e.Status.Final():
			pending = false
		}
	}
	return false
}

// SelfCheckNote describes the client's failed self-check for messages:
// "; the client's own check of http://… got HTTP 404 first", or "".
func (z *Authz) SelfCheckNote() string {
	sc := z.FailedSelfCheck()
	if sc == nil {
		return ""
	}
	what := fmt.Sprintf("HTTP %d", sc.Status)
	if sc.Status == 0 {
		what = "no answer (" + sc.Error + ")"
	}
	return fmt.Sprintf("; the client's own check of its challenge file got %s just before (%s)", what, sc.Ref)
}

// OrphanEvidence is the evidence for an orphan: the exchanges that created,
// listed or handed it back, and the client's self-checks.
func (z *Authz) OrphanEvidence() []Ref {
	return z.RefsOf(string(EventCreated), string(EventListed), string(EventHandedBack), string(EventSelfChecked))
}

// Challenge returns its challenge of type t, or nil.
func (z *Authz) Challenge(t acme.ChallengeType) *Challenge {
	for _, c := range z.Challenges {
		if c.Type == t {
			return c
		}
	}
	return nil
}

// settledAt is when it stopped counting as pending: the first final status
// shown, its deactivation, or its expiry; zero if none is known.
func (z *Authz) settledAt() time.Time {
	for _, e := range z.Events {
		switch e.Kind {
		case EventValidated, EventInvalidated, EventDeactivated, EventExpired:
			return e.Ref.Time
		}
	}
	if !z.Expires.IsZero() && !z.End.IsZero() && z.Expires.Before(z.End) {
		return z.Expires
	}
	return time.Time{}
}

// Challenge is one challenge of an authorization, keyed by its URL.
type Challenge struct {
	URL    string             `json:"url"`
	Type   acme.ChallengeType `json:"type"`
	Token  string             `json:"token,omitempty"`
	Status acme.Status        `json:"status,omitempty"`
	Authz  *Authz             `json:"-"`
	// Problem is the validation error the CA reported.
	Problem *acme.Problem `json:"problem,omitempty"`
	history
}

// setStatus records a status shown by a response and the event it implies
// on the authorization.
func (z *Authz) setStatus(s acme.Status, ref Ref, p *acme.Problem) {
	if s == "" {
		return
	}
	prev := z.Status
	z.Status = s
	if s == acme.StatusPending {
		z.SeenPending = true
	}
	if s == prev {
		return
	}
	switch s {
	case acme.StatusValid:
		z.add(EventValidated, s, ref, nil)
	case acme.StatusInvalid:
		if p != nil {
			z.Problem = p
		}
		z.add(EventInvalidated, s, ref, z.Problem)
	case acme.StatusDeactivated:
		if !z.Has(EventDeactivated) {
			z.add(EventDeactivated, s, ref, nil)
		}
	case acme.StatusExpired:
		z.add(EventExpired, s, ref, nil)
	}
}

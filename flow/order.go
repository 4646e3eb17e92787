package flow

import (
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Order is one v2 order, keyed by its URL (RFC 8555 §7.1.3).
type Order struct {
	URL     string   `json:"url"`
	Account *Account `json:"-"`
	// Identifiers are the order's identifier values, normalised (lower
	// case, sorted, without repeats).
	Identifiers []string    `json:"identifiers"`
	Profile     string      `json:"profile,omitempty"`
	Status      acme.Status `json:"status,omitempty"`
	Expires     time.Time   `json:"expires,omitzero"`
	FirstSeen   time.Time   `json:"first_seen"`
	Authzs      []*Authz    `json:"-"`
	// FinalizeURL and CertificateURL are the URLs the order's body named.
	FinalizeURL    string `json:"finalize_url,omitempty"`
	CertificateURL string `json:"certificate_url,omitempty"`
	// HandedBack counts newOrder requests that got this order back.
	HandedBack int `json:"handed_back"`
	// Issuances are the finalize requests sent to it.
	Issuances []*Issuance `json:"-"`
	// Certificate is the certificate downloaded from CertificateURL.
	Certificate *Certificate `json:"-"`
	// Problem is the order's error, if a response showed one.
	Problem *acme.Problem `json:"problem,omitempty"`
	// End is when the recording ended (set by Ledger.Finish).
	End time.Time `json:"end,omitzero"`
	history
}

// SubjectKey returns the order's URL.
func (o *Order) SubjectKey() string { return o.URL }

// Finalized reports whether the client sent a finalize request.
func (o *Order) Finalized() bool { return o.Has(EventFinalized) }

// Downloaded reports whether the client fetched the certificate.
func (o *Order) Downloaded() bool { return o.Certificate != nil && o.Certificate.Downloaded }

// Abandoned reports whether the client left the order where it was
// created: no finalize was sent, none of its authorizations was triggered,
// deactivated or shown failed (any of which settles or explains it: an
// order with a failed or deactivated authorization is invalid, RFC 8555
// §7.1.6), no final status was shown, and it had not expired by the end of
// the recording.
func (o *Order) Abandoned() bool {
	if o.Finalized() || o.Status == acme.StatusValid || o.Status == acme.StatusInvalid {
		return false
	}
	for _, z := range o.Authzs {
		if z.Triggered() || z.Deactivated() || (z.Status.Final() && z.Status != acme.StatusValid) {
			return false
		}
	}
	return o.Expires.IsZero() || o.End.IsZero() || o.Expires.After(o.End)
}

func (o *Order) setStatus(s acme.Status, ref Ref, p *acme.Problem) {
	if s == "" {
		return
	}
	prev := o.Status
	o.Status = s
	if p != nil {
		o.Problem = p
	}
	if s == prev {
		return
	}
	switch s {
	case acme.StatusReady:
		o.add(EventReady, s, ref, nil)
	case acme.StatusValid:
		o.add(EventValidated, s, ref, nil)
	case acme.StatusInvalid:
		o.add(EventInvalidated, s, ref, o.Problem)
	}
}

package legacyca

import (
	"net/http"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Wire shapes of v1 objects, as Boulder serialised them @ 9abb39d4d
// (acme-reference.md §4.3). They are built from state under CA.mu and
// marshalled after the lock is released.

// wireRegistration is a v1 registration object (Boulder core.Registration).
type wireRegistration struct {
	ID        int64            `json:"id"`
	Key       *jose.JSONWebKey `json:"key"`
	Contact   []string         `json:"contact,omitempty"`
	Agreement string           `json:"agreement,omitempty"`
	InitialIP string           `json:"initialIp"`
	CreatedAt time.Time        `json:"createdAt"`
	Status    status           `json:"status"`
}

// wireIdentifier is an authorization's identifier; v1 knew only "dns".
type wireIdentifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// wireAuthorization is a v1 authorization. Its URL is not in the body, only
// in Location or the request URL (§4.3).
type wireAuthorization struct {
	Identifier   wireIdentifier  `json:"identifier"`
	Status       status          `json:"status"`
	Expires      time.Time       `json:"expires"`
	Challenges   []wireChallenge `json:"challenges"`
	Combinations [][]int         `json:"combinations"`
}

// wireChallenge is a v1 challenge; its URL field is "uri".
type wireChallenge struct {
	Type             challengeType      `json:"type"`
	Status           status             `json:"status"`
	URI              string             `json:"uri"`
	Token            string             `json:"token"`
	KeyAuthorization string             `json:"keyAuthorization,omitempty"`
	Validated        *time.Time         `json:"validated,omitempty"`
	Error            *problem           `json:"error,omitempty"`
	ValidationRecord []validationRecord `json:"validationRecord,omitempty"`
}

// validationRecord describes one HTTP fetch of a validation (Boulder
// core.ValidationRecord).
type validationRecord struct {
	URL               string   `json:"url,omitempty"`
	Hostname          string   `json:"hostname"`
	Port              string   `json:"port,omitempty"`
	AddressesResolved []string `json:"addressesResolved,omitempty"`
	AddressUsed       string   `json:"addressUsed,omitempty"`
}

func (reg *registration) wire() wireRegistration {
	return wireRegistration{
		ID:        reg.id,
		Key:       reg.key,
		Contact:   append([]string(nil), reg.contact...),
		Agreement: reg.agreement,
		InitialIP: reg.initialIP,
		CreatedAt: reg.createdAt,
		Status:    reg.status,
	}
}

// wire renders a; r supplies the scheme and host of challenge URIs.
func (a *authorization) wire(ca *CA, r *http.Request) wireAuthorization {
	w := wireAuthorization{
		Identifier: wireIdentifier{Type: "dns", Value: a.identifier},
		Status:     a.status,
		Expires:    a.expires,
	}
	for i, ch := range a.challenges {
		w.Challenges = append(w.Challenges, ch.wire(ca.challengeURL(r, a, ch)))
		w.Combinations = append(w.Combinations, []int{i})
	}
	return w
}

func (ch *challenge) wire(uri string) wireChallenge {
	w := wireChallenge{
		Type:             ch.typ,
		Status:           ch.status,
		URI:              uri,
		Token:            ch.token,
		KeyAuthorization: ch.keyAuthorization,
		Error:            ch.err,
		ValidationRecord: ch.record,
	}
	if !ch.validated.IsZero() {
		t := ch.validated
		w.Validated = &t
	}
	return w
}

func (ca *CA) regURL(r *http.Request, id int64) string {
	return ca.url(r, pathReg+strconv.FormatInt(id, 10))
}

func (ca *CA) authzURL(r *http.Request, a *authorization) string {
	return ca.url(r, pathAuthz+a.id)
}

func (ca *CA) challengeURL(r *http.Request, a *authorization, ch *challenge) string {
	return ca.url(r, pathChallenge+a.id+"/"+strconv.FormatInt(ch.id, 10))
}

package legacyca

import (
	"net/http"
	"slices"
	"time"
)

// newAuthzRequest is the new-authz payload (acme-reference.md §4.2).
type newAuthzRequest struct {
	Identifier wireIdentifier `json:"identifier"`
}

// handleNewAuthz answers new-authz the way Boulder's RA did in 2017–2019:
// reuse a valid authorization with more than a day left, else recycle a
// pending one with at least an hour left (same URL, still 201), else
// enforce the pending cap (429) and create a new one.
func (ca *CA) handleNewAuthz(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "new-authz")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, false)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p newAuthzRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	if p.Identifier.Type != "dns" {
		writeProblem(w, malformed("Invalid identifier type"))
		return
	}
	name, prob := checkDNSName(p.Identifier.Value)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	ca.mu.Lock()
	a, prob := ca.findOrCreateAuthz(reg, name)
	if prob != nil {
		ca.mu.Unlock()
		writeProblem(w, prob)
		return
	}
	body := a.wire(ca, r)
	ca.mu.Unlock()
	w.Header().Set("Location", ca.authzURL(r, a))
	addLink(w, ca.url(r, pathNewCert), "next")
	writeJSON(w, http.StatusCreated, body)
}

// findOrCreateAuthz implements reuse, recycling, the pending cap and
// creation for reg and name. The caller holds ca.mu.
func (ca *CA) findOrCreateAuthz(reg *registration, name string) (*authorization, *problem) {
	now := ca.cfg.Now()
	var pending int
	var recyclable *authorization
	// Newest first, so the most recent match wins.
	for _, id := range slices.Backward(reg.authzIDs) {
		a := ca.state.authzs[id]
		left := a.expires.Sub(now)
		if a.expired(now) {
			continue
		}
		if a.status == statusPending {
			pending++
		}
		if a.identifier != name {
			continue
		}
		switch {
		case a.status == statusValid && left > validReuseMinRemaining:
			return a, nil
		case a.status == statusPending && left >= pendingReuseMinRemaining && recyclable == nil:
			recyclable = a
		}
	}
	if recyclable != nil {
		return recyclable, nil
	}
	if limit := ca.cfg.PendingAuthzLimit; limit > 0 && pending >= limit {
		return nil, newProblem(probRateLimited, http.StatusTooManyRequests,
			"Error creating new authz :: too many currently pending authorizations")
	}
	return ca.createAuthz(reg, name, now)
}

// createAuthz stores a new pending authorization with one challenge of
// each offered type, each with its own token. The caller holds ca.mu.
func (ca *CA) createAuthz(reg *registration, name string, now time.Time) (*authorization, *problem) {
	id, err := randomString(32)
	if err != nil {
		return nil, internalError("unable to create authorization")
	}
	a := &authorization{
		id:         id,
		regID:      reg.id,
		identifier: name,
		status:     statusPending,
		expires:    now.Add(ca.cfg.PendingAuthzLifetime).UTC().Truncate(time.Second),
	}
	for _, typ := range offeredChallenges {
		token, err := randomString(32)
		if err != nil {
			return nil, internalError("unable to create challenge")
		}
		a.challenges = append(a.challenges, &challenge{
			id:     ca.state.nextChallengeID,
			typ:    typ,
			token:  token,
			status: statusPending,
		})
		ca.state.nextChallengeID++
	}
	ca.state.authzs[a.id] = a
	reg.authzIDs = append(reg.authzIDs, a.id)
	return a, nil
}

// lookupAuthz finds a live authorization: unknown and expired ones are
// 404 malformed, as Boulder answered (§6.4). The caller holds ca.mu.
func (ca *CA) lookupAuthz(id string) (*authorization, *problem) {
	a := ca.state.authzs[id]
	if a == nil {
		return nil, notFound("Unable to find authorization")
	}
	if a.expired(ca.cfg.Now()) {
		return nil, notFound("Expired authorization")
	}
	return a, nil
}

// handleGetAuthz serves an unauthenticated poll of an authorization.
func (ca *CA) handleGetAuthz(w http.ResponseWriter, r *http.Request) {
	ca.mu.Lock()
	a, prob := ca.lookupAuthz(r.PathValue("id"))
	if prob != nil {
		ca.mu.Unlock()
		writeProblem(w, prob)
		return
	}
	body := a.wire(ca, r)
	ca.mu.Unlock()
	addLink(w, ca.url(r, pathNewCert), "next")
	writeJSON(w, http.StatusOK, body)
}

// deactivateRequest is the authz POST payload; x/crypto also sent
// "delete":true (draft-02), which Boulder ignored and so do we.
type deactivateRequest struct {
	Status status `json:"status"`
}

// handlePostAuthz deactivates a pending or valid authorization of the
// signing account (§6.3).
func (ca *CA) handlePostAuthz(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "authz")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, false)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p deactivateRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	ca.mu.Lock()
	a, prob := ca.lookupAuthz(r.PathValue("id"))
	switch {
	case prob != nil:
	case a.regID != reg.id:
		prob = unauthorized("Registration ID doesn't match ID for authorization")
	case p.Status != statusDeactivated:
		prob = malformed("Invalid status value")
	case a.status != statusPending && a.status != statusValid:
		prob = malformed("only valid and pending authorizations can be deactivated")
	}
	if prob != nil {
		ca.mu.Unlock()
		writeProblem(w, prob)
		return
	}
	a.status = statusDeactivated
	body := a.wire(ca, r)
	ca.mu.Unlock()
	addLink(w, ca.url(r, pathNewCert), "next")
	writeJSON(w, http.StatusOK, body)
}

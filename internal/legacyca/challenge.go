package legacyca

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"strconv"
)

// challengeRequest is the v1 trigger payload (acme-reference.md §6.1).
// Type is accepted and ignored, as Boulder did; keyAuthorization is
// optional (Boulder since March 2018) but compared when present.
type challengeRequest struct {
	Type             string `json:"type"`
	KeyAuthorization string `json:"keyAuthorization"`
}

// lookupChallenge finds a challenge of a live authorization. The caller
// holds ca.mu.
func (ca *CA) lookupChallenge(authzID, challengeID string) (*authorization, *challenge, *problem) {
	a, prob := ca.lookupAuthz(authzID)
	if prob != nil {
		return nil, nil, prob
	}
	id, err := strconv.ParseInt(challengeID, 10, 64)
	if err == nil {
		for _, ch := range a.challenges {
			if ch.id == id {
				return a, ch, nil
			}
		}
	}
	return nil, nil, notFound("Unable to find challenge")
}

// handleGetChallenge serves an unauthenticated poll of a challenge. Boulder
// v1 answered 202 here, not 200 (§4.2).
func (ca *CA) handleGetChallenge(w http.ResponseWriter, r *http.Request) {
	ca.mu.Lock()
	a, ch, prob := ca.lookupChallenge(r.PathValue("authz"), r.PathValue("id"))
	if prob != nil {
		ca.mu.Unlock()
		writeProblem(w, prob)
		return
	}
	ca.writeChallenge(w, r, a, ch)
}

// handlePostChallenge triggers validation of a challenge and answers 202
// with the challenge, still pending; validation runs in the background and
// updates the challenge and its authorization (§6.2).
func (ca *CA) handlePostChallenge(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "challenge")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, false)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p challengeRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	ca.mu.Lock()
	a, ch, prob := ca.lookupChallenge(r.PathValue("authz"), r.PathValue("id"))
	if prob == nil {
		prob = ca.trigger(reg, a, ch, p.KeyAuthorization)
	}
	if prob != nil {
		ca.mu.Unlock()
		writeProblem(w, prob)
		return
	}
	ca.writeChallenge(w, r, a, ch)
}

// trigger starts validating ch unless there is nothing to do. The caller
// holds ca.mu.
func (ca *CA) trigger(reg *registration, a *authorization, ch *challenge, provided string) *problem {
	if a.regID != reg.id {
		return unauthorized("User registration ID doesn't match registration ID in authorization")
	}
	switch a.status {
	case statusValid:
		// Boulder returned the unchanged challenge of an already valid
		// authorization and did nothing (B3).
		return nil
	case statusPending:
	default:
		return malformed("authorization must be pending")
	}
	want, err := keyAuthorization(reg, ch.token)
	if err != nil {
		return internalError("unable to compute key authorization")
	}
	if provided != "" && provided != want {
		return malformed("provided key authorization was incorrect")
	}
	if a.validating {
		return nil
	}
	ch.keyAuthorization = want
	a.validating = true
	ca.startValidation(a, ch, want)
	return nil
}

// writeChallenge renders ch, releases ca.mu (held on entry) and answers
// 202 with Location and Link rel="up" to the authorization.
func (ca *CA) writeChallenge(w http.ResponseWriter, r *http.Request, a *authorization, ch *challenge) {
	uri := ca.challengeURL(r, a, ch)
	body := ch.wire(uri)
	up := ca.authzURL(r, a)
	ca.mu.Unlock()
	w.Header().Set("Location", uri)
	addLink(w, up, "up")
	writeJSON(w, http.StatusAccepted, body)
}

// keyAuthorization is token "." b64u(SHA-256 JWK thumbprint of the account
// key) (RFC 7638; acme-reference.md §2.4). The caller holds ca.mu.
func keyAuthorization(reg *registration, token string) (string, error) {
	tp, err := reg.key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return token + "." + base64.RawURLEncoding.EncodeToString(tp), nil
}

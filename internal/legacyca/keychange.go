package legacyca

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
)

// keyChangeRequest is the inner payload of a v1 key rollover.
type keyChangeRequest struct {
	Account string          `json:"account"`
	NewKey  jose.JSONWebKey `json:"newKey"`
}

// handleKeyChange rolls an account over to a new key the way Boulder's v1
// wfe.KeyRollover did (acme-reference.md §4.2): the outer JWS, signed by
// the old key, carries as payload an inner flattened JWS plus a top-level
// "resource":"key-change" member; the inner JWS is signed by the new key
// and its payload is {"account": <reg URL>, "newKey": <new JWK>}. The
// inner JWS needs no nonce. Success is 200 with the registration.
func (ca *CA) handleKeyChange(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "key-change")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, true)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	newKey, prob := ca.checkKeyChange(r, req, reg)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	tp, err := thumbprint(newKey)
	if err != nil {
		writeProblem(w, malformed("Unable to compute JWK thumbprint"))
		return
	}
	ca.mu.Lock()
	if other := ca.state.regsByKey[tp]; other != nil {
		id := other.id
		ca.mu.Unlock()
		w.Header().Set("Location", ca.regURL(r, id))
		writeProblem(w, conflict("New key is already in use for a different account"))
		return
	}
	delete(ca.state.regsByKey, reg.thumbprint)
	reg.key, reg.thumbprint = newKey, tp
	ca.state.regsByKey[tp] = reg
	body := reg.wire()
	ca.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// checkKeyChange verifies the inner JWS and its payload and returns the
// new key.
func (ca *CA) checkKeyChange(r *http.Request, req *signedRequest, reg *registration) (*jose.JSONWebKey, *problem) {
	inner, newKey, prob := parseJWS(req.payload)
	if prob != nil {
		return nil, malformed("Inner JWS: " + prob.Detail)
	}
	payload, err := inner.Verify(newKey)
	if err != nil {
		return nil, malformed("Inner JWS verification error")
	}
	var kc keyChangeRequest
	if err := json.Unmarshal(payload, &kc); err != nil {
		return nil, malformed("Inner JWS payload did not parse as a key-change request")
	}
	if kc.Account != ca.regURL(r, reg.id) {
		return nil, malformed("Incorrect account URL provided in payload")
	}
	if !sameKey(kc.NewKey.Key, newKey.Key) {
		return nil, malformed("New JWK in inner payload doesn't match key used to sign inner JWS")
	}
	if sameKey(newKey.Key, req.key.Key) {
		return nil, malformed("New key specified by rollover request is the same as the old key")
	}
	return newKey, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of key, b64u.
func thumbprint(key *jose.JSONWebKey) (string, error) {
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

package legacyca

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"slices"
)

// allowedRevocationReasons are the RFC 5280 reason codes Boulder accepted
// from subscribers: unspecified, keyCompromise, affiliationChanged,
// superseded, cessationOfOperation.
var allowedRevocationReasons = []int{0, 1, 3, 4, 5}

// revokeRequest is the revoke-cert payload (acme-reference.md §4.2).
type revokeRequest struct {
	Certificate string `json:"certificate"`
	Reason      *int   `json:"reason"`
}

// handleRevokeCert revokes a certificate this CA issued. The request may be
// signed by the certificate's own key (registered or not), by the account
// that issued it, or by an account holding valid authorizations for all its
// names (§7.8). Success is 200 with an empty body.
func (ca *CA) handleRevokeCert(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "revoke-cert")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p revokeRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	der, err := base64.RawURLEncoding.DecodeString(p.Certificate)
	if err != nil {
		writeProblem(w, malformed("Unable to decode certificate: not base64url DER"))
		return
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		writeProblem(w, malformed("Unable to parse certificate: "+err.Error()))
		return
	}
	if p.Reason != nil && !slices.Contains(allowedRevocationReasons, *p.Reason) {
		writeProblem(w, newProblem(probBadRevocationReason, http.StatusBadRequest,
			"unsupported revocation reason code provided"))
		return
	}
	reg, _ := ca.requireReg(req, true) // a cert key need not be registered
	ca.mu.Lock()
	defer ca.mu.Unlock()
	cert := ca.state.certs[serialHex(parsed.SerialNumber)]
	switch {
	case cert == nil || !bytes.Equal(cert.der, der):
		prob = notFound("No such certificate")
	case !ca.mayRevoke(req, reg, cert):
		prob = unauthorized("Revocation request must be signed by private key of cert to be revoked, " +
			"by the account key of the account that issued it, or by the account key of an account " +
			"that holds valid authorizations for all names in the certificate.")
	case cert.revoked:
		prob = conflict("Certificate already revoked")
	}
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	cert.revoked = true
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// mayRevoke applies the revocation authority rules. The caller holds ca.mu.
func (ca *CA) mayRevoke(req *signedRequest, reg *registration, cert *certificate) bool {
	if sameKey(cert.parsed.PublicKey, req.key.Key) {
		return true
	}
	if reg == nil {
		return false
	}
	if reg.id == cert.regID {
		return true
	}
	return len(ca.unauthorizedNames(reg, cert.parsed.DNSNames, ca.cfg.Now())) == 0
}

package legacyca

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// newCertRequest is the new-cert payload. notBefore and notAfter, which
// x/crypto sent, are ignored as Boulder ignored them (§4.2).
type newCertRequest struct {
	CSR string `json:"csr"`
}

// handleNewCert issues a certificate for a CSR whose every name has a
// valid, unexpired authorization of the signing account (§7.2). The 201
// body is the DER leaf; the chain is one Link rel="up" away.
func (ca *CA) handleNewCert(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "new-cert")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, false)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p newCertRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	csr, names, prob := ca.checkCSR(reg, p.CSR)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	now := ca.cfg.Now()
	ca.mu.Lock()
	missing := ca.unauthorizedNames(reg, names, now)
	ca.mu.Unlock()
	if len(missing) > 0 {
		writeProblem(w, unauthorized("Error creating new cert :: authorizations for these names not found or expired: "+
			strings.Join(missing, ", ")))
		return
	}
	issuerURL := ca.url(r, pathIssuerCert)
	der, serial, err := ca.issuer.issue(now, ca.cfg.CertLifetime, csr, names, issuerURL)
	if err != nil {
		writeProblem(w, internalError("Error creating new cert"))
		return
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		writeProblem(w, internalError("Error creating new cert"))
		return
	}
	cert := &certificate{serial: serialHex(serial), der: der, parsed: parsed, regID: reg.id}
	ca.mu.Lock()
	ca.state.certs[cert.serial] = cert
	ca.mu.Unlock()
	w.Header().Set("Location", ca.url(r, pathCert+cert.serial))
	writeDER(w, http.StatusCreated, der, issuerURL)
}

// checkCSR decodes and vets a b64u DER CSR and returns it with its names.
func (ca *CA) checkCSR(reg *registration, b64 string) (*x509.CertificateRequest, []string, *problem) {
	der, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil || len(der) == 0 {
		return nil, nil, malformed("Error decoding certificate request: not base64url DER")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, nil, malformed("Error parsing certificate request: " + err.Error())
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, nil, malformed("Invalid signature on CSR")
	}
	if prob := checkCertKey(csr.PublicKey); prob != nil {
		return nil, nil, prob
	}
	ca.mu.Lock()
	accountKey := reg.key.Key
	ca.mu.Unlock()
	if sameKey(csr.PublicKey, accountKey) {
		return nil, nil, malformed("certificate public key must be different than account key")
	}
	names, prob := csrNames(csr)
	if prob != nil {
		return nil, nil, prob
	}
	return csr, names, nil
}

// unauthorizedNames returns the names, in order, for which reg holds no
// valid authorization unexpired at now. The caller holds ca.mu.
func (ca *CA) unauthorizedNames(reg *registration, names []string, now time.Time) []string {
	authorized := make(map[string]bool)
	for _, id := range reg.authzIDs {
		a := ca.state.authzs[id]
		if a.status == statusValid && !a.expired(now) {
			authorized[a.identifier] = true
		}
	}
	var missing []string
	for _, n := range names {
		if !authorized[n] {
			missing = append(missing, n)
		}
	}
	return missing
}

// handleGetCert serves an issued leaf by serial.
func (ca *CA) handleGetCert(w http.ResponseWriter, r *http.Request) {
	ca.mu.Lock()
	cert := ca.state.certs[strings.ToLower(r.PathValue("serial"))]
	ca.mu.Unlock()
	if cert == nil {
		writeProblem(w, notFound("Certificate not found"))
		return
	}
	writeDER(w, http.StatusOK, cert.der, ca.url(r, pathIssuerCert))
}

// handleIssuerCert serves the intermediate, DER.
func (ca *CA) handleIssuerCert(w http.ResponseWriter, _ *http.Request) {
	writeDER(w, http.StatusOK, ca.issuer.cert.Raw, "")
}

// writeDER answers with a DER certificate and, when up is set, a Link
// rel="up" to its issuer.
func writeDER(w http.ResponseWriter, code int, der []byte, up string) {
	if up != "" {
		addLink(w, up, "up")
	}
	w.Header().Set("Content-Type", "application/pkix-cert")
	w.Header().Set("Content-Length", strconv.Itoa(len(der)))
	w.WriteHeader(code)
	_, _ = w.Write(der)
}

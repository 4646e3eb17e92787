package legacyca

import "net/http"

// handleDirectory serves the v1 directory (acme-reference.md §3.1): the five
// resource URLs, meta, and one random key per CA instance pointing at the
// forum post that explains it. There is no nonce endpoint; the nonce comes
// with this response as with every other.
func (ca *CA) handleDirectory(w http.ResponseWriter, r *http.Request) {
	dir := map[string]any{
		"new-reg":     ca.url(r, pathNewReg),
		"new-authz":   ca.url(r, pathNewAuthz),
		"new-cert":    ca.url(r, pathNewCert),
		"revoke-cert": ca.url(r, pathRevokeCert),
		"key-change":  ca.url(r, pathKeyChange),
		"meta": map[string]any{
			"terms-of-service": ca.cfg.TermsOfService,
			"caaIdentities":    ca.cfg.CAAIdentities,
			"website":          ca.cfg.Website,
		},
		ca.randKey: forumURL,
	}
	writeJSON(w, http.StatusOK, dir)
}

// handleTerms redirects to the current subscriber agreement, as Boulder's
// GET /terms did.
func (ca *CA) handleTerms(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, ca.cfg.TermsOfService, http.StatusFound)
}

package legacyca

import (
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
)

// regRequest is the payload of new-reg and reg (acme-reference.md §4.2).
// Contact is a pointer so that an update can tell "absent" from "empty".
type regRequest struct {
	Contact   *[]string `json:"contact"`
	Agreement string    `json:"agreement"`
	Status    status    `json:"status"`
}

// handleNewReg creates a registration for the signing key: 201 with
// Location and Link next/terms-of-service, or 409 with the Location of the
// existing registration when the key is known.
func (ca *CA) handleNewReg(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "new-reg")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	var p regRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	if prob := ca.checkRegRequest(&p); prob != nil {
		writeProblem(w, prob)
		return
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	ca.mu.Lock()
	if existing := ca.state.regsByKey[req.thumbprint]; existing != nil {
		id := existing.id
		ca.mu.Unlock()
		w.Header().Set("Location", ca.regURL(r, id))
		writeProblem(w, conflict("Registration key is already in use"))
		return
	}
	reg := &registration{
		id:         ca.state.nextRegID,
		key:        req.key,
		thumbprint: req.thumbprint,
		agreement:  p.Agreement,
		initialIP:  ip,
		createdAt:  ca.cfg.Now().UTC().Truncate(1e9),
		status:     statusValid,
	}
	if p.Contact != nil {
		reg.contact = *p.Contact
	}
	ca.state.nextRegID++
	ca.state.regs[reg.id] = reg
	ca.state.regsByKey[reg.thumbprint] = reg
	body := reg.wire()
	ca.mu.Unlock()

	w.Header().Set("Boulder-Requester", strconv.FormatInt(reg.id, 10))
	w.Header().Set("Location", ca.regURL(r, reg.id))
	ca.addRegLinks(w, r)
	writeJSON(w, http.StatusCreated, body)
}

// handleReg fetches, updates or deactivates a registration. Boulder v1
// answered 202 to fetches and updates and 200 to deactivation.
func (ca *CA) handleReg(w http.ResponseWriter, r *http.Request) {
	req, prob := ca.verifyPOST(w, r, "reg")
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	reg, prob := ca.requireReg(req, true)
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	ca.mu.Lock()
	target := ca.state.regs[id]
	ca.mu.Unlock()
	if err != nil || target == nil {
		writeProblem(w, notFound("Unable to find registration"))
		return
	}
	if target != reg {
		writeProblem(w, unauthorized("Request signing key did not match registration key"))
		return
	}
	var p regRequest
	if prob := decodePayload(req, &p); prob != nil {
		writeProblem(w, prob)
		return
	}
	if p.Status != "" && p.Status != statusValid && p.Status != statusDeactivated {
		writeProblem(w, malformed("Invalid value provided for status field"))
		return
	}
	if prob := ca.checkRegRequest(&p); prob != nil {
		writeProblem(w, prob)
		return
	}
	code := ca.updateReg(reg, &p)
	ca.mu.Lock()
	body := reg.wire()
	ca.mu.Unlock()
	ca.addRegLinks(w, r)
	writeJSON(w, code, body)
}

// updateReg applies p to reg and returns the status code to answer with.
func (ca *CA) updateReg(reg *registration, p *regRequest) int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if p.Status == statusDeactivated {
		reg.status = statusDeactivated
		return http.StatusOK
	}
	if p.Contact != nil {
		reg.contact = *p.Contact
	}
	if p.Agreement != "" {
		reg.agreement = p.Agreement
	}
	return http.StatusAccepted
}

// checkRegRequest validates the agreement URL (B20) and the contacts.
func (ca *CA) checkRegRequest(p *regRequest) *problem {
	if p.Agreement != "" && p.Agreement != ca.cfg.TermsOfService {
		return malformed(fmt.Sprintf("Provided agreement URL [%s] does not match current agreement URL [%s]",
			p.Agreement, ca.cfg.TermsOfService))
	}
	if p.Contact == nil {
		return nil
	}
	for _, c := range *p.Contact {
		addr, ok := strings.CutPrefix(c, "mailto:")
		if !ok {
			return newProblem(probInvalidEmail, http.StatusBadRequest,
				fmt.Sprintf("Contact method %q is not supported", c))
		}
		if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
			return newProblem(probInvalidEmail, http.StatusBadRequest,
				fmt.Sprintf("%q is not a valid e-mail address", addr))
		}
	}
	return nil
}

// addRegLinks adds the Link headers of registration responses.
func (ca *CA) addRegLinks(w http.ResponseWriter, r *http.Request) {
	addLink(w, ca.url(r, pathNewAuthz), "next")
	addLink(w, ca.cfg.TermsOfService, "terms-of-service")
}

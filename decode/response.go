package decode

import (
	"bytes"
	"encoding/json"

	"github.com/acmeproxy/acmeproxy/acme"
)

// decodeResponse types the response body per operation: a problem document
// whenever the server sent one, else the resource the operation returns
// (acme-reference.md §4.2, §5.2).
func (s *state) decodeResponse() {
	r := s.m.Response
	if r == nil {
		return
	}
	body := s.e.Response.Body
	if body.Truncated {
		s.m.add(issuef(IssueResponseTruncated, "response body recorded %d of %d bytes; not decoded", len(body.Data), body.Size))
		return
	}
	if s.dir != nil && s.m.Operation == OpDirectory {
		r.Directory = s.dir
	}
	if len(s.body) == 0 {
		return
	}
	if s.isProblem() {
		r.Problem = &acme.Problem{}
		s.unmarshalResponse(r.Problem)
		return
	}
	switch s.m.Operation {
	case OpAccountCreate, OpAccountLookup, OpAccountFetch, OpAccountUpdate, OpAccountDeactivate, OpKeyChange:
		s.decodeAccount(r)
	case OpOrderCreate, OpOrderPoll, OpOrderFinalize:
		r.Order = &acme.Order{}
		s.unmarshalResponse(r.Order)
		s.checkStatus(r.Order.Status)
	case OpAuthzCreate, OpAuthzFetch, OpAuthzDeactivate:
		s.decodeAuthorization(r)
	case OpChallengeTrigger, OpChallengePoll:
		r.Challenge = &acme.Challenge{}
		s.unmarshalResponse(r.Challenge)
		s.checkStatus(r.Challenge.Status)
	case OpCertIssue, OpCertDownload, OpIssuerDownload:
		if r.OK() {
			var issues []Issue
			r.Certificates, issues = parseCertificates(s.body)
			s.m.add(issues...)
		}
	case OpRenewalInfo:
		r.RenewalInfo = &acme.RenewalInfo{}
		s.unmarshalResponse(r.RenewalInfo)
	case OpOrdersList:
		r.OrdersList = &acme.OrdersList{}
		s.unmarshalResponse(r.OrdersList)
	case OpSelfCheck:
		if r.Status == 200 {
			s.m.SelfCheck.KeyAuthorization = string(bytes.TrimSpace(s.body))
		}
	}
}

// isProblem reports whether the body is a problem document: labelled
// application/problem+json (RFC 7807 §3), or an error status with a JSON
// object that has a "type".
func (s *state) isProblem() bool {
	r := s.m.Response
	if mediaType(r.ContentType) == "application/problem+json" {
		return true
	}
	if r.Status < 400 {
		return false
	}
	_, ok := s.responseMembers()["type"]
	return ok
}

// unmarshalResponse fills v from the body, reporting a body that is not
// JSON or members of the wrong type; the rest of v is still filled.
func (s *state) unmarshalResponse(v any) {
	err := json.Unmarshal(s.body, v)
	if err == nil {
		return
	}
	if _, ok := err.(*json.UnmarshalTypeError); ok {
		s.m.add(issuef(IssueResponseBadShape, "response body: %v", err))
		return
	}
	s.m.add(issuef(IssueResponseNotJSON, "response body is not JSON: %v", err))
}

// decodeAccount types an account or v1 registration body and parses its
// "key" (Boulder includes it), which lets the decoder learn the account
// key of a recording that starts after the account was created.
func (s *state) decodeAccount(r *Response) {
	r.Account = &acme.Account{}
	s.unmarshalResponse(r.Account)
	s.checkStatus(r.Account.Status)
	if len(r.Account.Key) > 0 {
		r.AccountKey, _ = parseJWK(r.Account.Key)
	}
}

func (s *state) decodeAuthorization(r *Response) {
	r.Authorization = &acme.Authorization{}
	s.unmarshalResponse(r.Authorization)
	s.checkStatus(r.Authorization.Status)
	for _, c := range r.Authorization.Challenges {
		s.checkStatus(c.Status)
	}
}

// checkStatus reports a resource status this package does not know.
func (s *state) checkStatus(st acme.Status) {
	if st != "" && !st.Known() {
		s.m.add(issuef(IssueResponseUnknownStatus, "status %q is not an ACME status", st))
	}
}

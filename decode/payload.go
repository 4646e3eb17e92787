package decode

import (
	"encoding/json"
	"slices"

	"github.com/acmeproxy/acmeproxy/acme"
)

// decodePayload types the JWS payload per operation.
func (s *state) decodePayload() {
	j := s.m.JWS
	if j == nil || !j.decoded {
		return
	}
	p := &Payload{Raw: j.Payload}
	s.m.Payload = p
	switch {
	case len(j.Payload) == 0:
		p.Kind = PayloadEmpty
		return
	case s.payload != nil:
		p.Kind = PayloadObject
	case json.Valid(j.Payload):
		p.Kind = PayloadJSON
		return
	default:
		p.Kind = PayloadInvalid
		s.m.add(issuef(IssuePayloadNotJSON, "payload is not JSON"))
		return
	}
	p.Members = make([]string, 0, len(s.payload))
	for k := range s.payload {
		p.Members = append(p.Members, k)
	}
	slices.Sort(p.Members)
	_ = json.Unmarshal(s.payload["resource"], &p.Resource) // a non-string resource stays empty
	s.typedPayload(p)
}

// typedPayload decodes an object payload into the struct of its
// operation. The Account, Order, Authz and Challenge request shapes are in
// package acme; the CSR, revocation and key change are parsed further.
func (s *state) typedPayload(p *Payload) {
	switch s.m.Operation {
	case OpAccountCreate, OpAccountLookup, OpAccountFetch, OpAccountUpdate, OpAccountDeactivate:
		p.Account = &acme.AccountRequest{}
		s.unmarshalPayload(p.Account)
		if len(p.Account.ExternalAccountBinding) > 0 {
			p.EAB = s.decodeEAB(p.Account.ExternalAccountBinding)
		}
	case OpOrderCreate:
		p.Order = &acme.OrderRequest{}
		s.unmarshalPayload(p.Order)
	case OpAuthzCreate, OpAuthzDeactivate, OpAuthzFetch:
		p.Authz = &acme.AuthzRequest{}
		s.unmarshalPayload(p.Authz)
	case OpChallengeTrigger, OpChallengePoll:
		p.Challenge = &acme.ChallengeRequest{}
		s.unmarshalPayload(p.Challenge)
	case OpOrderFinalize, OpCertIssue:
		var req acme.CSRRequest
		s.unmarshalPayload(&req)
		p.CSR = s.decodeCSR(req.CSR)
	case OpRevoke:
		p.Revocation = s.decodeRevocation()
	case OpKeyChange:
		p.KeyChange = s.decodeKeyChange()
	}
}

// unmarshalPayload fills v from the payload, reporting members of the
// wrong JSON type; the rest of v is still filled.
func (s *state) unmarshalPayload(v any) {
	if err := json.Unmarshal(s.m.JWS.Payload, v); err != nil {
		s.m.add(issuef(IssuePayloadBadShape, "payload: %v", err))
	}
}

// decodeB64Field decodes a base64url payload member such as "csr" or
// "certificate", reporting padding (RFC 8555 §6.1).
func (s *state) decodeB64Field(name, value string) []byte {
	if value == "" {
		s.m.add(issuef(IssuePayloadMissingField, "payload has no %q", name))
		return nil
	}
	b, res := decodeB64u(value)
	switch res {
	case b64Padded:
		s.m.add(issuef(IssuePayloadPaddedBase64, "%q has trailing '=' padding", name))
	case b64Loose:
		s.m.add(issuef(IssuePayloadBadBase64, "%q has non-zero trailing bits", name))
	case b64Bad:
		s.m.add(issuef(IssuePayloadBadBase64, "%q is not base64url", name))
	}
	return b
}

// decodeCSR parses the "csr" member (RFC 8555 §7.4).
func (s *state) decodeCSR(value string) *CSR {
	der := s.decodeB64Field("csr", value)
	if der == nil {
		return nil
	}
	c, issues := ParseCSR(der)
	s.m.add(issues...)
	return c
}

// decodeRevocation parses a revocation payload (RFC 8555 §7.6).
func (s *state) decodeRevocation() *Revocation {
	var req acme.RevocationRequest
	s.unmarshalPayload(&req)
	rv := &Revocation{Reason: req.Reason}
	if der := s.decodeB64Field("certificate", req.Certificate); der != nil {
		c, err := ParseCertificate(der)
		if err != nil {
			s.m.add(issuef(IssuePayloadBadCertificate, "certificate: %v", err))
		}
		rv.Certificate = c
	}
	return rv
}

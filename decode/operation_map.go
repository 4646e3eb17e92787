package decode

import (
	"encoding/json"

	"github.com/acmeproxy/acmeproxy/acme"
)

// decideOperation maps the endpoint, the method and the payload to an
// Operation (acme-reference.md §4.2, §5.2).
func (s *state) decideOperation() {
	s.m.PostAsGet = s.m.Method == "POST" && s.m.JWS != nil && s.m.JWS.decoded && len(s.m.JWS.Payload) == 0
	op := OpUnknown
	switch s.ep {
	case epDirectory:
		op = OpDirectory
	case epNonce:
		op = OpNonce
	case epNewAccount:
		op = OpAccountCreate
		if s.payloadBool("onlyReturnExisting") {
			op = OpAccountLookup
		}
	case epAccount:
		op = s.accountOperation()
	case epKeyChange:
		op = OpKeyChange
	case epOrdersList:
		op = OpOrdersList
	case epNewOrder:
		op = OpOrderCreate
	case epOrder:
		op = OpOrderPoll
	case epFinalize:
		op = OpOrderFinalize
	case epNewAuthz:
		op = OpAuthzCreate
	case epAuthz:
		op = s.authzOperation()
	case epChallenge:
		op = OpChallengePoll
		if s.m.Method == "POST" && s.nonEmptyPayload() {
			op = OpChallengeTrigger
		}
	default:
		op = s.simpleOperation()
	}
	s.m.Operation = op
}

func (s *state) simpleOperation() Operation {
	switch s.ep {
	case epNewCert:
		return OpCertIssue
	case epCert:
		return OpCertDownload
	case epIssuer:
		return OpIssuerDownload
	case epRevoke:
		return OpRevoke
	case epRenewalInfo:
		return OpRenewalInfo
	case epTerms:
		return OpTerms
	case epSelfCheck:
		return OpSelfCheck
	}
	return OpUnknown
}

// accountOperation tells fetch, update and deactivation apart
// (RFC 8555 §7.3.2, §7.3.6; v1 reg: draft-02 §6.3).
func (s *state) accountOperation() Operation {
	if s.m.Method != "POST" || s.payload == nil {
		return OpAccountFetch
	}
	var st acme.Status
	if json.Unmarshal(s.payload["status"], &st) == nil && st == acme.StatusDeactivated {
		return OpAccountDeactivate
	}
	for k := range s.payload {
		switch k {
		case "contact", "agreement", "termsOfServiceAgreed", "status", "externalAccountBinding":
			return OpAccountUpdate
		}
	}
	return OpAccountFetch
}

// authzOperation tells a fetch from a deactivation (RFC 8555 §7.5.2). A
// non-empty payload without "status" is a fetch gone wrong (reference B10):
// Boulder reads it as a deactivation attempt and answers "Invalid status
// value"; the issue is raised in check.
func (s *state) authzOperation() Operation {
	if s.m.Method == "POST" && s.payload != nil {
		if _, ok := s.payload["status"]; ok {
			return OpAuthzDeactivate
		}
	}
	return OpAuthzFetch
}

// nonEmptyPayload reports a payload other than "": a challenge POST with
// one is a trigger, without one a poll (RFC 8555 §7.5.1). A truncated body
// counts as non-empty: it had bytes, whatever they were.
func (s *state) nonEmptyPayload() bool {
	j := s.m.JWS
	return j != nil && (len(j.Payload) > 0 || j.Verification == VerifyTruncated)
}

func (s *state) payloadBool(name string) bool {
	var v bool
	return json.Unmarshal(s.payload[name], &v) == nil && v
}

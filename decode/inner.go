package decode

import (
	"encoding/json"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Two ACME payloads are themselves JWS objects: the externalAccountBinding
// of newAccount (RFC 8555 §7.3.4) and the payload of a key change
// (RFC 8555 §7.3.5). Their structural faults are reported under the eab.
// and keychange. codes so that rules can tell them from the outer JWS's.

// wrapIssues re-codes the issues of an inner JWS.
func wrapIssues(code IssueCode, what string, issues []Issue) []Issue {
	out := make([]Issue, len(issues))
	for i, is := range issues {
		out[i] = issuef(code, "%s: %s (%s)", what, is.Detail, is.Code)
	}
	return out
}

// decodeEAB parses an externalAccountBinding. Its MAC cannot be verified:
// the key is shared between the client and the CA only.
func (s *state) decodeEAB(raw json.RawMessage) *JWS {
	j, issues := parseJWS(raw)
	if j == nil {
		s.m.add(issuef(IssueEABMalformed, "externalAccountBinding is not a JWS object"))
		return nil
	}
	s.m.add(wrapIssues(IssueEABMalformed, "externalAccountBinding", issues)...)
	j.Verification, j.VerificationDetail = VerifyNotChecked, "MAC key is known only to the client and the CA"
	return j
}

// checkEAB applies RFC 8555 §7.3.4: "alg" a MAC algorithm, "kid" the
// CA-issued key identifier, no "nonce", "url" equal to the outer JWS's,
// and the payload the account key.
func (s *state) checkEAB(eab *JWS) {
	h := eab.Protected
	if classifyAlg(h.Alg) != algMAC {
		s.m.add(issuef(IssueEABAlgNotMAC, "externalAccountBinding alg %q is not a MAC algorithm", h.Alg))
	}
	if h.KID == "" {
		s.m.add(issuef(IssueEABMissingKid, "externalAccountBinding has no \"kid\""))
	}
	if h.Has("nonce") {
		s.m.add(issuef(IssueEABNonce, "externalAccountBinding carries a \"nonce\""))
	}
	if outer := s.m.JWS.Protected.URL; h.URL != outer {
		s.m.add(issuef(IssueEABURLMismatch, "externalAccountBinding url %q differs from the outer url %q", h.URL, outer))
	}
	if !eab.decoded || s.m.Account == nil {
		return
	}
	k, _ := parseJWK(eab.Payload)
	if !k.Equal(s.m.Account) {
		s.m.add(issuef(IssueEABPayloadKey, "externalAccountBinding payload is not the account's jwk"))
	}
}

// decodeKeyChange parses the inner JWS of a key change and verifies it
// with its own jwk, the new key.
func (s *state) decodeKeyChange() *KeyChange {
	j, issues := parseJWS(s.m.JWS.Payload)
	if j == nil {
		s.m.add(issuef(IssueKeyChangeMalformed, "key change payload is not a JWS object"))
		return nil
	}
	s.m.add(wrapIssues(IssueKeyChangeMalformed, "inner JWS", issues)...)
	kc := &KeyChange{Inner: j}
	if raw := j.jwk(); raw != nil {
		key, ki := parseJWK(raw)
		s.m.add(wrapIssues(IssueKeyChangeMalformed, "inner jwk", ki)...)
		j.Key, j.KeySource = key, KeyFromJWK
	} else {
		s.m.add(issuef(IssueKeyChangeNoJWK, "inner JWS has no \"jwk\" (the new key)"))
	}
	if vi := j.verify(); len(vi) > 0 {
		s.m.add(wrapIssues(IssueKeyChangeBadSignature, "inner JWS", vi)...)
	}
	kc.NewKey = j.Key
	if !j.decoded {
		return kc
	}
	var inner acme.KeyChangeInner
	if err := json.Unmarshal(j.Payload, &inner); err != nil {
		s.m.add(issuef(IssueKeyChangeMalformed, "inner payload: %v", err))
	}
	kc.Account = inner.Account
	if len(inner.OldKey) > 0 {
		kc.OldKey, _ = parseJWK(inner.OldKey)
	}
	if len(inner.NewKey) > 0 {
		nk, _ := parseJWK(inner.NewKey)
		if nk != nil && !nk.Equal(j.Key) {
			s.m.add(issuef(IssueKeyChangeNewKey, "inner payload newKey is not the inner JWS's jwk"))
		}
		if nk != nil {
			kc.NewKey = nk
		}
	}
	return kc
}

// checkKeyChange applies RFC 8555 §7.3.5 (v2) and Boulder's v1 rules to a
// decoded key change, now that the outer account is known.
func (s *state) checkKeyChange(kc *KeyChange) {
	in := kc.Inner.Protected
	if s.m.Dialect == DialectV2 && in.Members != nil {
		if in.Has("nonce") {
			s.m.add(issuef(IssueKeyChangeNonce, "inner JWS carries a \"nonce\"; RFC 8555 §7.3.5 says omit it"))
		}
		if outer := s.m.JWS.Protected.URL; in.URL != outer {
			s.m.add(issuef(IssueKeyChangeURL, "inner url %q differs from the outer url %q", in.URL, outer))
		}
	}
	if kc.Account != "" && s.m.AccountURL != "" && kc.Account != s.m.AccountURL {
		s.m.add(issuef(IssueKeyChangeAccount, "inner account %q is not the signing account %q", kc.Account, s.m.AccountURL))
	}
	if kc.OldKey != nil && s.m.Account != nil && !kc.OldKey.Equal(s.m.Account) {
		s.m.add(issuef(IssueKeyChangeOldKey, "oldKey %s is not the signing account key %s", kc.OldKey.Short(), s.m.Account.Short()))
	}
	if kc.NewKey != nil && s.m.Account != nil && kc.NewKey.Equal(s.m.Account) {
		s.m.add(issuef(IssueKeyChangeSameKey, "the new key is the current account key"))
	}
}

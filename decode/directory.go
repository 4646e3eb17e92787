package decode

import (
	"encoding/json"
	"slices"
)

// Directory is a directory object (RFC 8555 §7.1.1; v1 as Boulder served it,
// acme-reference.md §3.1), the map from operations to URLs that a Decoder
// uses first when it classifies a request.
type Directory struct {
	// URL is where the directory was fetched from.
	URL string `json:"url"`
	// Dialect is v2 when the directory has "newOrder", v1 when it has
	// "new-reg" or "new-cert" and no "newOrder" (acme-reference.md §1).
	Dialect Dialect `json:"dialect"`
	// Endpoints maps the directory's resource keys, spelled as received
	// ("newNonce", "newAccount", … or "new-reg", "new-authz", …), to URLs.
	Endpoints map[string]string `json:"endpoints"`
	// Meta is the "meta" object. RFC 8555 §7.1.1
	Meta DirectoryMeta `json:"meta,omitzero"`
	// Unknown lists keys that are neither resources nor "meta", such as the
	// random entry Boulder adds so that clients cannot hard-code the set.
	Unknown []string `json:"unknown,omitempty"`
}

// DirectoryMeta is a directory's "meta" object (RFC 8555 §7.1.1).
type DirectoryMeta struct {
	// TermsOfService is the URL of the current terms of service
	// ("termsOfService" in v2, "terms-of-service" in v1).
	TermsOfService string `json:"termsOfService,omitempty"`
	// Website is the CA's web page. RFC 8555 §7.1.1
	Website string `json:"website,omitempty"`
	// CAAIdentities are the hostnames the CA recognises in CAA records.
	// RFC 8555 §7.1.1
	CAAIdentities []string `json:"caaIdentities,omitempty"`
	// ExternalAccountRequired means newAccount needs an
	// externalAccountBinding. RFC 8555 §7.1.1
	ExternalAccountRequired bool `json:"externalAccountRequired,omitempty"`
	// Profiles maps profile names to descriptions.
	// draft-ietf-acme-profiles §3
	Profiles map[string]string `json:"profiles,omitempty"`
}

// IsZero reports whether no meta member was present.
func (m DirectoryMeta) IsZero() bool {
	return m.TermsOfService == "" && m.Website == "" && m.CAAIdentities == nil &&
		!m.ExternalAccountRequired && m.Profiles == nil
}

// ParseDirectory reads body as a directory fetched from url. It returns nil
// when body is not a JSON object naming at least one resource key of
// either dialect.
func ParseDirectory(url string, body []byte) *Directory {
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil
	}
	return directoryFromMembers(url, members)
}

// directoryFromMembers builds a Directory from a parsed JSON object, or
// returns nil when no member names a resource of either dialect.
func directoryFromMembers(url string, members map[string]json.RawMessage) *Directory {
	d := &Directory{URL: url, Dialect: DialectUnknown, Endpoints: map[string]string{}}
	for k, raw := range members {
		if k == "meta" {
			d.Meta = parseMeta(raw)
			continue
		}
		var s string
		if directoryEndpoint(k) != epUnknown && json.Unmarshal(raw, &s) == nil && s != "" {
			d.Endpoints[k] = s
			continue
		}
		d.Unknown = append(d.Unknown, k)
	}
	if len(d.Endpoints) == 0 {
		return nil
	}
	slices.Sort(d.Unknown)
	switch {
	case d.Endpoints["newOrder"] != "" || d.Endpoints["newAccount"] != "" || d.Endpoints["newNonce"] != "":
		d.Dialect = DialectV2
	case d.Endpoints["new-reg"] != "" || d.Endpoints["new-cert"] != "":
		d.Dialect = DialectV1
	}
	return d
}

// parseMeta reads "meta" in either spelling: v2 camelCase, v1
// "terms-of-service", and draft-02's "caa-identities" (Boulder sent
// "caaIdentities" even on v1).
func parseMeta(raw json.RawMessage) DirectoryMeta {
	var w struct {
		TermsOfService          string            `json:"termsOfService"`
		TermsOfServiceV1        string            `json:"terms-of-service"`
		Website                 string            `json:"website"`
		CAAIdentities           []string          `json:"caaIdentities"`
		CAAIdentitiesDraft      []string          `json:"caa-identities"`
		ExternalAccountRequired bool              `json:"externalAccountRequired"`
		Profiles                map[string]string `json:"profiles"`
	}
	_ = json.Unmarshal(raw, &w) // a member of the wrong type is left empty
	m := DirectoryMeta{TermsOfService: w.TermsOfService, Website: w.Website,
		CAAIdentities: w.CAAIdentities, ExternalAccountRequired: w.ExternalAccountRequired,
		Profiles: w.Profiles}
	if m.TermsOfService == "" {
		m.TermsOfService = w.TermsOfServiceV1
	}
	if m.CAAIdentities == nil {
		m.CAAIdentities = w.CAAIdentitiesDraft
	}
	return m
}

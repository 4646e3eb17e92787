// Package acme holds the ACME wire vocabulary shared by the decoder, the flow
// tracker and the rules: typed status, identifier, challenge and problem
// constants, and the JSON objects of both dialects as a CA or a client puts
// them on the wire.
//
// Two dialects are covered. "v1" is the pre-RFC protocol Let's Encrypt's
// Boulder served at acme-v01 until June 2021 (draft-ietf-acme-acme-01/-02
// resources plus Boulder's own divergences); "v2" is RFC 8555 with the
// extensions seen today (RFC 9773 renewalInfo, the profiles draft, RFC 8738
// IP identifiers). Where the two differ in spelling the structs carry both
// members (a challenge's "uri" in v1, "url" in v2).
//
// The package is a leaf: it imports only the standard library, does no I/O
// and holds no state. Unmarshalling never rejects a value it does not know
// (an unknown status or problem type is still kept): traffic is evidence,
// and judging it is the decoder's and the rules' job. The Known methods say
// whether a value is one this package names.
package acme

package decode

import (
	"fmt"
	"slices"
)

// Text forms of the package's string enums. Marshalling writes the value;
// unmarshalling accepts only the declared values, so that a message file
// from a newer version fails loudly rather than silently (STYLE.md, typed
// enums).

func unmarshalEnum[T ~string](what string, b []byte, dst *T, known ...T) error {
	v := T(b)
	if !slices.Contains(known, v) {
		return fmt.Errorf("decode: unknown %s %q", what, b)
	}
	*dst = v
	return nil
}

// UnmarshalText accepts only the declared bases.
func (b *Basis) UnmarshalText(t []byte) error {
	return unmarshalEnum("basis", t, b, BasisDirectory, BasisLearned, BasisRequest, BasisResponse, BasisPath, BasisNone)
}

// UnmarshalText accepts only the declared outcomes.
func (v *Verification) UnmarshalText(t []byte) error {
	return unmarshalEnum("verification", t, v, VerifyValid, VerifyInvalid, VerifyTruncated, VerifyUnknownKey, VerifyNotChecked)
}

// UnmarshalText accepts only "jwk" and "kid".
func (k *KeySource) UnmarshalText(t []byte) error {
	return unmarshalEnum("key source", t, k, KeyFromJWK, KeyFromKid)
}

// UnmarshalText accepts only the declared serializations.
func (s *Serialization) UnmarshalText(t []byte) error {
	return unmarshalEnum("serialization", t, s, SerializationFlattened, SerializationGeneral, SerializationCompact)
}

// UnmarshalText accepts only the declared payload kinds.
func (p *PayloadKind) UnmarshalText(t []byte) error {
	return unmarshalEnum("payload kind", t, p, PayloadEmpty, PayloadObject, PayloadJSON, PayloadInvalid)
}

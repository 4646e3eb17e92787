package rules

import (
	"fmt"
	"strings"
)

// Kind is the kind of subject a rule is evaluated over. Each rule has
// exactly one kind and yields at most one finding per subject of that kind.
type Kind string

// The subject kinds a rule file may name. The expression variable that
// holds the subject is given by Kind.Var.
const (
	KindExchange      Kind = "exchange"      // one recorded request and response; variable exchange
	KindAccount       Kind = "account"       // an ACME account (by key thumbprint); variable account
	KindAuthorization Kind = "authorization" // an authorization (by URL); variable authz
	KindOrder         Kind = "order"         // a v2 order (by URL); variable order
	KindCertificate   Kind = "certificate"   // an issued certificate; variable certificate
	KindSession       Kind = "session"       // one recording or client run; variable session

	// KindConfig is the project configuration itself. Only built-in meta
	// rules (expired_suppression) have it; rule files cannot name it.
	KindConfig Kind = "config"
)

// Kinds lists the kinds a rule file may use, in a fixed order.
func Kinds() []Kind {
	return []Kind{KindExchange, KindAccount, KindAuthorization, KindOrder, KindCertificate, KindSession}
}

// Var returns the name of the expression variable that holds a subject of
// this kind: "authz" for authorizations, the kind's own name otherwise.
func (k Kind) Var() string {
	if k == KindAuthorization {
		return "authz"
	}
	return string(k)
}

// Valid reports whether a rule file may use k.
func (k Kind) Valid() bool {
	switch k {
	case KindExchange, KindAccount, KindAuthorization, KindOrder, KindCertificate, KindSession:
		return true
	}
	return false
}

// UnmarshalText accepts the kinds of Kinds, spelled as the constants.
func (k *Kind) UnmarshalText(b []byte) error {
	v := Kind(b)
	if !v.Valid() {
		names := make([]string, 0, 6)
		for _, k := range Kinds() {
			names = append(names, string(k))
		}
		return fmt.Errorf("rules: unknown subject %q (want %s)", b, strings.Join(names, ", "))
	}
	*k = v
	return nil
}

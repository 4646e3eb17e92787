package builtin

import (
	"embed"
	"io/fs"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/rules"
)

//go:embed rules/*.yaml
var pack embed.FS

// FS returns the pack's rule files, rooted at the directory that holds
// them.
func FS() fs.FS {
	sub, err := fs.Sub(pack, "rules")
	if err != nil {
		panic(err) // the embedded directory exists by construction
	}
	return sub
}

// Schema binds the subject kinds to the flow ledger's types.
func Schema() *rules.Schema {
	return &rules.Schema{
		Kinds: map[rules.Kind]any{
			rules.KindExchange:      (*flow.Exchange)(nil),
			rules.KindAccount:       (*flow.Account)(nil),
			rules.KindAuthorization: (*flow.Authz)(nil),
			rules.KindOrder:         (*flow.Order)(nil),
			rules.KindCertificate:   (*flow.Certificate)(nil),
			rules.KindSession:       (*flow.Session)(nil),
		},
		Account:  account,
		Evidence: evidence,
	}
}

// account returns the thumbprint of the account a subject belongs to.
func account(s rules.Subject) string {
	var a *flow.Account
	switch x := s.(type) {
	case *flow.Exchange:
		a = x.Account
	case *flow.Account:
		a = x
	case *flow.Authz:
		a = x.Account
	case *flow.Order:
		a = x.Account
	case *flow.Certificate:
		a = x.Account
	}
	if a == nil {
		return ""
	}
	return a.Thumbprint
}

// evidence converts flow refs, and anything that lists them, into rule
// refs.
func evidence(v any) ([]rules.Ref, bool) {
	switch x := v.(type) {
	case flow.Ref:
		return []rules.Ref{ruleRef(x)}, true
	case *flow.Ref:
		if x == nil {
			return nil, true
		}
		return []rules.Ref{ruleRef(*x)}, true
	case []flow.Ref:
		out := make([]rules.Ref, len(x))
		for i, r := range x {
			out[i] = ruleRef(r)
		}
		return out, true
	case interface{ Refs() []flow.Ref }:
		return evidence(x.Refs())
	}
	return nil, false
}

func ruleRef(r flow.Ref) rules.Ref {
	return rules.Ref{File: r.Source, Line: r.Line, Seq: r.Seq}
}

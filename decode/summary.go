package decode

import (
	"fmt"
	"strings"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Facts returns the request's key facts in short form for a timeline: the
// identifiers ordered, the challenge triggered, the CSR's names, the
// status asked for, and so on. It is empty when there is nothing to say.
func (m *Message) Facts() []string {
	var f []string
	if m.PostAsGet {
		f = append(f, "POST-as-GET")
	} else if m.Method != "POST" && m.Operation != OpSelfCheck {
		f = append(f, m.Method)
	}
	switch {
	case m.SelfCheck != nil:
		f = append(f, m.SelfCheck.Host, "token="+short(m.SelfCheck.Token, 12))
	case m.CertID != "":
		f = append(f, "certID="+short(m.CertID, 24))
	case m.Response != nil && m.Response.Directory != nil:
		f = append(f, fmt.Sprintf("%d endpoints", len(m.Response.Directory.Endpoints)))
	}
	if p := m.Payload; p != nil {
		f = append(f, p.facts()...)
	}
	return f
}

// facts picks, per payload type, what a reader of the timeline needs to
// follow the flow: what was asked for, not how it was encoded.
func (p *Payload) facts() []string {
	var f []string
	switch {
	case p.Account != nil:
		f = accountFacts(p.Account)
	case p.Order != nil:
		f = append(f, identifiers(p.Order.Identifiers))
		if p.Order.Profile != "" {
			f = append(f, "profile="+p.Order.Profile)
		}
	case p.Authz != nil:
		if p.Authz.Identifier != nil {
			f = append(f, p.Authz.Identifier.String())
		}
		if p.Authz.Status != "" {
			f = append(f, "status="+string(p.Authz.Status))
		}
	case p.Challenge != nil:
		f = challengeFacts(p)
	case p.CSR != nil:
		f = csrFacts(p.CSR)
	case p.Revocation != nil:
		f = revocationFacts(p.Revocation)
	case p.KeyChange != nil && p.KeyChange.NewKey != nil:
		f = append(f, "newKey="+p.KeyChange.NewKey.Short())
	}
	if p.EAB != nil {
		f = append(f, "eab="+p.EAB.Protected.KID)
	}
	if len(f) == 0 && p.Kind == PayloadObject && len(p.Members) == 0 {
		f = append(f, "{}")
	}
	return f
}

func accountFacts(a *acme.AccountRequest) []string {
	var f []string
	if a.OnlyReturnExisting {
		f = append(f, "onlyReturnExisting")
	}
	if len(a.Contact) > 0 {
		f = append(f, strings.Join(a.Contact, ","))
	}
	if a.TermsOfServiceAgreed != nil {
		f = append(f, fmt.Sprintf("tos=%v", *a.TermsOfServiceAgreed))
	}
	if a.Agreement != "" {
		f = append(f, "agreement")
	}
	if a.Status != "" {
		f = append(f, "status="+string(a.Status))
	}
	return f
}

func challengeFacts(p *Payload) []string {
	c := p.Challenge
	var f []string
	if c.Type != "" {
		f = append(f, string(c.Type))
	}
	if c.KeyAuthorization != "" {
		f = append(f, "keyAuthorization")
	}
	return f
}

func csrFacts(c *CSR) []string {
	f := []string{"csr=" + identifiers(c.Identifiers)}
	if c.Key != nil {
		f = append(f, "key="+c.Key.Type+fmt.Sprint(c.Key.Bits))
	}
	if c.MustStaple {
		f = append(f, "must-staple")
	}
	if !c.SignatureValid {
		f = append(f, "bad-signature")
	}
	return f
}

func revocationFacts(r *Revocation) []string {
	var f []string
	if c := r.Certificate; c != nil {
		f = append(f, "serial="+c.Serial)
	}
	if r.Reason != nil {
		f = append(f, fmt.Sprintf("reason=%d", *r.Reason))
	}
	return f
}

func identifiers(ids []acme.Identifier) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, ",")
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Outcome summarises the response for a timeline: the HTTP status and the
// resource status, or the problem type's name, or what the body held; or
// the recording's error when there was no response.
func (m *Message) Outcome() string {
	r := m.Response
	if r == nil {
		if m.Error != "" {
			return "error: " + m.Error
		}
		return "no response"
	}
	out := fmt.Sprint(r.Status)
	switch {
	case r.Problem != nil:
		name := string(r.Problem.Type.Name())
		if name == "" {
			name = string(r.Problem.Type)
		}
		out += " " + name
	case r.ResourceStatus() != "":
		out += " " + string(r.ResourceStatus())
	case len(r.Certificates) > 0:
		out += fmt.Sprintf(" %d cert(s), leaf serial %s", len(r.Certificates), r.Certificates[0].Serial)
	case r.Directory != nil:
		out += " " + string(r.Directory.Dialect) + " directory"
	}
	if r.RetryAfter != nil {
		out += fmt.Sprintf(" retry-after=%ds", r.RetryAfter.Seconds)
	}
	return out
}

// Package builtin is acmeproxy's built-in rule pack: one YAML file per
// rule under rules/, embedded in the binary, and the Schema that binds the
// rule language's subject variables to the flow ledger's types (exchange →
// *flow.Exchange, account → *flow.Account, authz → *flow.Authz, order →
// *flow.Order, certificate → *flow.Certificate, session → *flow.Session).
//
// Each rule names example recordings under examples/recordings with the
// outcome it must give; the package's tests run them all (zlint's
// one-rule-one-test discipline), and a rule without a firing and a silent
// example fails the audit.
package builtin

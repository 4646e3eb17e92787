// Package examplepack is a tiny rule pack over synthetic subject types. It
// shows, and tests, how a rule pack is shipped: YAML rule files embedded
// with go:embed, a Schema binding each subject kind to a Go type, a loader
// that turns an example's recording into subjects, and a meta-test that
// runs rules.Audit over the pack.
//
// It is a stand-in. The built-in ACME pack will be written against the
// flow ledger's types (flow.Authz, flow.Order, …) once the decoder and the
// ledger exist, with real recordings as examples; the acmeproxy command
// uses this pack until then (see builtinSchema in cmd/acmeproxy). Its rule
// ids all start with example_ so that nobody mistakes them for real
// findings.
package examplepack

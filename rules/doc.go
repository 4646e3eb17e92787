// Package rules loads lint rules written in YAML, applies a project
// configuration to them and evaluates them over the subjects of the flow
// ledger, producing findings.
//
// # Place in the pipeline
//
// journal → decode → flow → rules → reports. The ledger (package flow)
// builds subjects: exchanges, accounts, authorizations, orders,
// certificates and sessions. This package does not import it: the caller
// binds each subject kind to a Go type with a Schema, and every rule
// expression is compiled once, at load time, and type-checked against
// those types. A typo or a type error is a load error naming
// file:line:column, never a rule that silently matches nothing. Reports
// render the resulting []Finding.
//
// The package does not read recordings, decide exit codes or print: those
// belong to the command. It never reads the wall clock either: the clock
// of expressions is EvalContext.Now (the recording's time offline).
//
// # Rule files
//
// A rule file is a YAML mapping with an optional `version: 1` and a list
// under `rules:`. Unknown keys are errors (with a "did you mean"). Fields
// of a rule (testdata/reference.yaml uses every one):
//
//	id:          stable snake_case id, unique across all loaded files, at most
//	             64 characters; never reused for another meaning (required)
//	title:       one line (required)
//	description: longer prose: why it matters
//	severity:    error | warning | notice | info (required)
//	status:      stable (default) | experimental | deprecated
//	subject:     exchange | account | authorization | order | certificate |
//	             session (required)
//	condition:   boolean expression; the rule fires on the subjects for which
//	             it is true (required)
//	evidence:    expression selecting the refs a finding cites: a Ref, a list
//	             of Refs, or values (or lists of values) with a Refs() method;
//	             default: the subject's Refs()
//	message:     template of the finding's message (required; see below)
//	remediation: how to fix the client
//	citations:   list of {ref: "RFC 8555 §7.5.1", url: https://…}
//	params:      name → {type, default, description}; type is int, float,
//	             string, bool, duration (Go syntax: 90s, 15m, 168h) or list
//	             (of strings); default is required and type-checked
//	effective:   YYYY-MM-DD: the rule applies to recordings from that day on
//	ineffective: YYYY-MM-DD: the rule no longer applies from that day on
//	ca:          list of CA ids the rule applies to (empty: every CA; an
//	             unknown CA matches only rules without a ca list)
//	tags:        list of labels
//	examples:    list of {recording: path relative to the rule file,
//	             expect: {count: N} or [subject key, …]}
//
// # Expressions
//
// Conditions, evidence, message placeholders and suppression matches are
// expr-lang expressions (https://expr-lang.org), wrapped by
// internal/ruleexpr. Their variables:
//
//	exchange, account, authz, order, certificate, session
//	         the subject, under the name of the rule's kind (Kind.Var;
//	         authorizations are "authz"); only the rule's own kind is bound
//	params   the rule's parameters with their configured values, as a struct
//	         typed from the declarations: params.max_pending is an int, so
//	         params.max_pending + "x" does not load
//	now      EvalContext.Now, a time.Time; now - authz.Created is a duration
//	ca       EvalContext.CA, the recording's CA id ("" when unknown)
//
// plus the helper functions of the Schema and expr's built-ins (len, all,
// any, filter, map, lower, duration, …) except now(), which is disabled
// because the clock is injected. An expression has at most
// ruleexpr.MaxNodes nodes. Quote an expression that contains " #", which
// YAML would read as a comment.
//
// # Message templates
//
// A message is text with {{ expression }} placeholders. Each placeholder
// is an expression like a condition, compiled and type-checked at load (so
// a typo in a message is a load error too, with its column). Values print
// as: strings as is, times in RFC 3339 UTC, durations as Go prints them
// (1h0m0s), string lists joined by ", ", anything else as fmt.Sprint. A
// placeholder ends at the first }}; write a literal {{ as {{ "{{" }}.
// Quote a message that starts with {{, which YAML would read as a mapping.
// The rendered message is trimmed of surrounding white space, so folded
// YAML (>-) reads well.
//
// # Configuration (acmeproxy.yaml)
//
//	extends:      acmeproxy:recommended (the default: stable built-in rules),
//	              acmeproxy:all (built-in rules except deprecated ones), and/or
//	              paths to rule files, directories of rule files or other
//	              configurations; one name or a list; [] means no built-ins
//	rules:        rule id → severity word | off | {severity, params: {…}};
//	              naming a rule enables it; unknown ids and parameters, and
//	              values of the wrong type, are errors
//	suppressions: list of {rule, match, reason, expires}; match is an
//	              expression over that rule's subject (empty: all); reason is
//	              required; after expires (YYYY-MM-DD, inclusive) the entry
//	              stops suppressing and the expired_suppression meta rule
//	              reports it
//	baseline:     path of a baseline file (WriteBaseline, ReadBaseline):
//	              findings whose fingerprint it lists are marked suppressed
//
// A file is told apart from a rule file by its keys: a configuration has
// extends, suppressions or baseline, or a mapping under rules.
//
// # Evaluation
//
// Set.Evaluate runs each enabled rule whose dates and CA scope match the
// EvalContext over the subjects of its kind. A rule that fails at run time
// on a subject (an expression error, a panic in a subject's method, a
// subject of the wrong type) is returned as an EngineError naming the rule,
// the subject and the rule file position; it is never dropped (zlint's
// fatal result). Findings carry a fingerprint (Fingerprint: rule id,
// subject key and account; no lines or times) that baselines and SARIF
// use. Suppressed findings are returned too, marked.
//
// # Rule packs
//
// A pack is a directory of rule files embedded with go:embed and loaded
// with LoadFS; see package examplepack. Each rule's examples are its tests:
// RunExamples evaluates them through a caller-supplied ExampleLoader, and
// Audit is the meta-test that requires a citation, a remediation, a firing
// and a silent example for every rule.
package rules

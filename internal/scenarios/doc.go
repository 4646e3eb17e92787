// Package scenarios holds the named client runs the project records and
// tests against: legacy v1 clients against the project's v1 test CA and
// RFC 8555 clients against in-process Pebble, each through a real
// recording proxy. The recordings under examples/recordings are made by
// them (go test ./internal/scenarios -record), and the decoder's goldens,
// the flow tests and the rule pack's examples read those recordings.
//
// A scenario checks the CA's answers itself: Run returns an error when the
// CA or the client did not behave as the scenario describes.
package scenarios

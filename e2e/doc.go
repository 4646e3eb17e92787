// Package e2e proves acmeproxy on the ACME clients people run, the way they
// run them: Debian's acme-tiny, certbot and lego, each pointed at the
// acmeproxy binary (`acmeproxy run`) with HTTPS_PROXY and the trust variable
// the proxy prints, in front of Debian's pebble with real HTTP-01
// validations. After each run the proxy is stopped with SIGINT and the
// journal is linted with `acmeproxy lint --format json`; each scenario
// asserts its findings, and that nothing else at warning or error shows up.
//
// The suite is behind the build tag e2e (it needs the Debian packages
// pebble, acme-tiny, certbot and lego; .ci/run installs them):
//
//	go test -tags e2e -count=1 ./e2e
//	go test -tags e2e -count=1 ./e2e -record   # rewrite examples/e2e
//
// With CI=true a missing client or pebble fails the test; elsewhere it is
// skipped with a message naming the package to install.
//
// The recordings of the runs are kept under examples/e2e (journal, HAR and
// the findings each gives); TestExamples, a plain test of this package,
// lints them with the binary on every `go test ./...`, so they never rot.
package e2e

// Package legacyclient is a small ACME v1 client written from the protocol
// reference, in the manner of acme-tiny before 4.0 (2016–2018): it fetches
// the directory before every POST to harvest a nonce, registers with the
// agreement, asks new-authz for each name, checks its own challenge file
// over plain HTTP before triggering, polls the challenge, then sends the
// CSR to new-cert.
//
// It reproduces the classic acme-tiny bug on purpose: when its own
// self-check fails it stops right there, leaving the authorization pending
// — neither triggered nor deactivated. Options switch on other faults
// (a CSR signed with the account key, Must-Staple) so that tests and the
// demo can show what acmeproxy finds. It is not a client to obtain real
// certificates with.
package legacyclient

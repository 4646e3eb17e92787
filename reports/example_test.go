package reports_test

import (
	"fmt"
	"os"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// Example shows the order in which a producer (the lint command) fills a
// Report: inputs and rules, the exchanges that findings and events cite,
// the flow snapshot, then the findings; Finish and Validate; then any
// renderer.
func Example() {
	at := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	r := &reports.Report{
		Tool:      reports.Tool{Name: "acmeproxy", Version: "0.1.0", URI: "https://github.com/acmeproxy/acmeproxy"},
		Generated: at.Add(time.Hour),
		FailOn:    rules.Warning,
		Inputs:    []reports.Input{{Path: "rec.jsonl", Format: reports.InputJournal, Exchanges: 1, Start: at, End: at}},
		Rules: []reports.Rule{{ID: "orphaned_authorization", Title: "Pending authorization left without a challenge response",
			Severity: rules.Warning, Subject: rules.KindAuthorization}},
	}
	r.AddExchange(reports.Exchange{File: "rec.jsonl", Line: 2, Seq: 1, Time: at, Method: "POST",
		URL: "https://ca.example/new-authz", Operation: "authz.create", Status: 201})
	created := rules.Ref{File: "rec.jsonl", Line: 2, Seq: 1}
	r.Flow.Accounts = []reports.Account{{Key: "thumbprint", Lanes: []reports.Lane{{
		Kind: rules.KindAuthorization, Key: "https://ca.example/authz/1", Label: "example.com", Status: "pending",
		Flags:  []reports.Flag{reports.FlagOrphaned},
		Events: []reports.Event{{Kind: reports.EventCreated, Time: at, Ref: created, Status: "pending"}},
	}}}}
	r.AddFindings([]rules.Finding{{Rule: "orphaned_authorization", Severity: rules.Warning,
		Kind: rules.KindAuthorization, Subject: "https://ca.example/authz/1", Account: "thumbprint",
		Message: "Authorization for example.com stayed pending.", Evidence: []rules.Ref{created},
		Fingerprint: rules.Fingerprint("orphaned_authorization", "https://ca.example/authz/1", "thumbprint")}})
	r.Finish()
	if err := r.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	text, _ := reports.Lookup("text")
	if err := text.Write(os.Stdout, r, reports.Options{}); err != nil {
		fmt.Println(err)
	}
	fmt.Println("exit", r.ExitCode())
	// Output:
	// acmeproxy 0.1.0 lint, 2025-06-02T10:30:00Z
	//   rec.jsonl (journal): 1 exchange, 2025-06-02 09:30:00 → 09:30:00 UTC (0s)
	//   1 rule, fail on warning
	//
	// account thumbpri
	//   authorization example.com  https://ca.example/authz/1  [orphaned]
	//     warning orphaned_authorization: Authorization for example.com stayed pending.
	//       evidence: rec.jsonl:2  POST https://ca.example/new-authz → 201 (authz.create)
	//
	// FAIL: 1 finding (1 warning), 1 at or above warning; exit 1
	// exit 1
}

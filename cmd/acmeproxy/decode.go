package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/decode"
)

// newDecodeCmd returns "acmeproxy decode FILE…".
func newDecodeCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "decode FILE...",
		Short: "Print a recording as a timeline of decoded ACME messages",
		Long: `decode reads recordings (acmeproxy journals or HAR files, told apart by
content) and prints one line per exchange: sequence number, ACME dialect,
operation, the signing account's thumbprint (8 characters), the request's key
facts (identifiers, challenge type, CSR names, status asked for), and the
response status with the resource's status or the problem type. Protocol
faults found in the exchange follow in brackets.

Files are decoded in the order given by one decoder, so that a directory or
an account seen in one file explains the exchanges of the next.

With --json each exchange is written as one JSON object per line (the
decode.Message type). A corrupt journal line is reported with its file and
line and makes the exit status 2; a torn last line (left by a crash while
recording) is reported as a warning and skipped.`,
		Example: `  acmeproxy decode rec.jsonl
  acmeproxy decode --json capture.har | jq 'select(.issues)'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDecode(e, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write the decoded messages as JSON lines")
	return cmd
}

// runDecode decodes every file with one Decoder. Unreadable records are
// reported as they come and decoding goes on; they make the exit status 2.
func runDecode(e *env, files []string, asJSON bool) error {
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	d := decode.NewDecoder()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	bad := 0
	for _, name := range files {
		rec, err := openSource("decode", name)
		if err != nil {
			return err
		}
		if len(files) > 1 && !asJSON {
			fmt.Fprintf(out, "== %s (%s)\n", name, rec.kind)
		}
		for ex, err := range rec.all {
			if err != nil {
				out.Flush()
				fmt.Fprintf(e.stderr, "acmeproxy: decode: %v\n", err)
				bad++
				continue
			}
			m := d.Decode(ex)
			if asJSON {
				err = enc.Encode(m)
			} else {
				_, err = io.WriteString(out, timelineLine(m))
			}
			if err != nil {
				return &exitError{code: exitEngine, err: fmt.Errorf("decode: writing output: %w", err)}
			}
		}
		out.Flush()
		rec.warnEnd(e.stderr)
		rec.close()
	}
	if bad > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("decode: %d unreadable record(s)", bad)}
	}
	return nil
}

// timelineLine renders one message: seq, dialect, operation, account,
// facts, outcome, issues.
func timelineLine(m *decode.Message) string {
	acct := m.Account.Short()
	if acct == "" {
		acct = "-"
	}
	facts := strings.Join(m.Facts(), " ")
	line := fmt.Sprintf("%5d %-7s %-18s %-8s %-44s -> %s", m.Seq, m.Dialect, m.Operation, acct, facts, m.Outcome())
	if len(m.Issues) > 0 {
		codes := make([]string, 0, len(m.Issues))
		for _, is := range m.Issues {
			if c := string(is.Code); !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
		line += " [" + strings.Join(codes, " ") + "]"
	}
	return line + "\n"
}

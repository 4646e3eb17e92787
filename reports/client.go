package reports

import (
	"fmt"
	"strings"
)

// Client is the ACME client program acmeproxy ran and recorded
// (`acmeproxy run … -- CLIENT ARGS…`), and how it ended.
type Client struct {
	// Command is the client's command line.
	Command []string `json:"command"`
	// ExitCode is the client's exit status; -1 when a signal ended it or
	// it could not be waited for.
	ExitCode int `json:"exit_code"`
	// Signal names the signal that ended it, if one did.
	Signal string `json:"signal,omitempty"`
	// Error says what else went wrong running it, if anything.
	Error string `json:"error,omitempty"`
}

// Failed reports whether the client did not exit with status 0.
func (c *Client) Failed() bool {
	return c != nil && (c.ExitCode != 0 || c.Signal != "" || c.Error != "")
}

// String describes how the client ended: "client `acme-tiny --csr x`
// exited with status 1".
func (c *Client) String() string {
	how := fmt.Sprintf("exited with status %d", c.ExitCode)
	switch {
	case c.Signal != "":
		how = "was killed by signal " + c.Signal
	case c.Error != "":
		how = "failed: " + c.Error
	}
	return fmt.Sprintf("client `%s` %s", strings.Join(c.Command, " "), how)
}

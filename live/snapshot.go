package live

import (
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// State is where a finding stands.
type State string

// The states of a finding in a Snapshot.
const (
	// StateFinal: made by a rule that no later exchange can change (an
	// exchange rule), or by the final lint.
	StateFinal State = "final"
	// StateOpen: provisional, still standing.
	StateOpen State = "open"
	// StateWithdrawn: provisional, taken back; Reason says why.
	StateWithdrawn State = "withdrawn"
	// StateConfirmed: provisional, and the final lint made it too.
	StateConfirmed State = "confirmed"
)

// Snapshot is what the engine has found so far, as /findings shows it.
type Snapshot struct {
	// Exchanges counts the exchanges observed.
	Exchanges int `json:"exchanges"`
	// Final is set once Close has linted the journal: Findings are then
	// the final lint's, plus the provisional findings it withdrew.
	Final    bool      `json:"final"`
	Findings []Current `json:"findings"`
	// EngineErrors are rules that failed to evaluate.
	EngineErrors []string `json:"engine_errors,omitempty"`
}

// Current is one finding in a Snapshot.
type Current struct {
	Finding     rules.Finding `json:"finding"`
	Provisional bool          `json:"provisional,omitempty"`
	State       State         `json:"state"`
	Reason      string        `json:"reason,omitempty"`
	// Seen is when the engine made it.
	Seen time.Time `json:"seen"`
}

// Snapshot returns a copy of the current findings. It is safe to call
// from any goroutine, at any time.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.snap
	s.Findings = slices.Clone(s.Findings)
	s.EngineErrors = slices.Clone(s.EngineErrors)
	return s
}

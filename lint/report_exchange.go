package lint

import (
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/reports"
)

func headersOf(h journal.Headers) []reports.Header {
	out := make([]reports.Header, len(h))
	for i, f := range h {
		out[i] = reports.Header{Name: f.Name, Value: f.Value}
	}
	return out
}

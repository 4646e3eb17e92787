package proxy

import (
	"sync/atomic"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Stats counts what a Proxy has done since New.
type Stats struct {
	Exchanges    uint64 // exchanges recorded
	Errors       uint64 // recorded exchanges with Error set (no upstream response)
	RecordErrors uint64 // exchanges the sink refused
	BytesIn      int64  // request body bytes recorded exchanges carried
	BytesOut     int64  // response body bytes recorded exchanges carried
	Intercepted  uint64 // CONNECTs intercepted
	Tunnelled    uint64 // CONNECTs passed through untouched
}

type counters struct {
	exchanges, errors, recordErrors atomic.Uint64
	bytesIn, bytesOut               atomic.Int64
	intercepted, tunnelled          atomic.Uint64
}

func (c *counters) add(e *journal.Exchange) {
	c.exchanges.Add(1)
	if e.Error != "" {
		c.errors.Add(1)
	}
	c.bytesIn.Add(e.Request.Body.Size)
	if e.Response != nil {
		c.bytesOut.Add(e.Response.Body.Size)
	}
}

// Stats returns a snapshot of the proxy's counters.
func (p *Proxy) Stats() Stats {
	c := &p.stats
	return Stats{
		Exchanges:    c.exchanges.Load(),
		Errors:       c.errors.Load(),
		RecordErrors: c.recordErrors.Load(),
		BytesIn:      c.bytesIn.Load(),
		BytesOut:     c.bytesOut.Load(),
		Intercepted:  c.intercepted.Load(),
		Tunnelled:    c.tunnelled.Load(),
	}
}

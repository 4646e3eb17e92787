package flow

import (
	"container/heap"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Source is one recording to feed: its name (for evidence) and a function
// returning its exchanges in order, then io.EOF.
type Source struct {
	Name string
	// Upstream is the directory URL the recording's header names, if any.
	Upstream string
	Next     func() (*journal.Exchange, error)
}

// Feed decodes the exchanges of every source with d and observes them in l,
// merged in time order (by request start; ties keep source order), calling
// visit with each exchange subject as it is observed. Several recordings of
// one client (several proxies, several runs) thereby make one ledger. It
// stops at the first error a source or visit returns; a source's error is
// returned as it is (a *journal.LineError names file and line).
//
// Decoding, which costs most, runs on a goroutine of its own, a few dozen
// exchanges ahead of the ledger, so that it overlaps observing and visit;
// checking the signatures, the costliest part of decoding, is taken off
// it (Decoder.DeferVerification) and spread over GOMAXPROCS goroutines,
// chunk by chunk, each chunk verified before the ledger sees it. The
// decoder still sees the exchanges one at a time in the merged order,
// and l and visit are used only on the calling goroutine; d is not used
// after Feed returns. What l evicts (Ledger.Evict, from visit) d forgets
// (decode.Decoder.Forget) before its next exchange, and what d then finds
// the traffic coming back to counts among l's Revivals.
func Feed(l *Ledger, d *decode.Decoder, sources []Source, visit func(*Exchange) error) error {
	chunks := make(chan []decoded, feedDepth)
	done := make(chan struct{})
	fq := &forgetQueue{}
	l.forget = fq.push
	d.DeferVerification()
	go decodeAhead(d, sources, chunks, done, fq)
	verified, workers := verifyAhead(chunks, done)
	defer func() {
		l.forget = nil
		close(done)
		for range verified { // let decodeAhead finish with d
		}
		workers.Wait()
		fq.apply(d) // what was evicted after the last decode
	}()
	for job := range verified {
		<-job.done
		for _, dm := range job.chunk {
			if dm.err != nil {
				return dm.err
			}
			if dm.revived != nil {
				l.revive(dm.revived)
			}
			x := l.Observe(sources[dm.src].Name, dm.m)
			if up := sources[dm.src].Upstream; up != "" && x.Session.Upstream == "" {
				x.Session.Upstream = up
			}
			if visit != nil {
				if err := visit(x); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// feedChunk is how many decoded exchanges decodeAhead hands over at once;
// feedDepth how many chunks it may be ahead.
const (
	feedChunk = 64
	feedDepth = 8
)

// verifyJob is a chunk whose signatures are being checked; done is
// closed when they all are.
type verifyJob struct {
	chunk []decoded
	done  chan struct{}
}

// verifyAhead checks the signatures of the chunks decodeAhead sends, on
// GOMAXPROCS goroutines, and passes the chunks on in their order; the
// receiver waits for each one's done. It closes the returned channel once
// chunks is closed (after done is closed it passes nothing on, draining
// chunks so that decodeAhead can finish); the WaitGroup is done when the
// verifying goroutines have stopped.
func verifyAhead(chunks <-chan []decoded, done <-chan struct{}) (<-chan *verifyJob, *sync.WaitGroup) {
	out := make(chan *verifyJob, feedDepth)
	work := make(chan *verifyJob, feedDepth)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for job := range work {
				for _, dm := range job.chunk {
					if dm.m != nil {
						dm.m.Verify()
					}
				}
				close(job.done)
			}
		})
	}
	go func() {
		defer close(out)
		defer close(work)
		for chunk := range chunks {
			job := &verifyJob{chunk: chunk, done: make(chan struct{})}
			select {
			case work <- job:
			case <-done:
				continue
			}
			select {
			case out <- job:
			case <-done:
			}
		}
	}()
	return out, &wg
}

// decoded is a decoded exchange and its source, or the error that ended
// the sources.
type decoded struct {
	m   *decode.Message
	src int
	err error
	// revived are the forgotten identities decoding m needed
	// (decode.Decoder.Revived).
	revived []uint64
}

// forgetQueue carries what the ledger evicts, from the goroutine that
// observes to the one that decodes.
type forgetQueue struct {
	mu      sync.Mutex
	pending atomic.Bool
	urls    []string
	thumbs  []string
}

func (q *forgetQueue) push(urls, thumbprints []string) {
	q.mu.Lock()
	q.urls = append(q.urls, urls...)
	q.thumbs = append(q.thumbs, thumbprints...)
	q.pending.Store(true)
	q.mu.Unlock()
}

// apply makes d forget what was pushed since the last call.
func (q *forgetQueue) apply(d *decode.Decoder) {
	if !q.pending.Load() {
		return
	}
	q.mu.Lock()
	urls, thumbs := q.urls, q.thumbs
	q.urls, q.thumbs = nil, nil
	q.pending.Store(false)
	q.mu.Unlock()
	d.Forget(urls, thumbs)
}

// decodeAhead merges the sources in time order and decodes their
// exchanges, in chunks, until the sources end, one fails, or done is
// closed. It closes chunks when it returns.
func decodeAhead(d *decode.Decoder, sources []Source, chunks chan<- []decoded, done <-chan struct{}, fq *forgetQueue) {
	defer close(chunks)
	chunk := make([]decoded, 0, feedChunk)
	send := func() bool {
		select {
		case chunks <- chunk:
			chunk = make([]decoded, 0, feedChunk)
			return true
		case <-done:
			return false
		}
	}
	h := &heads{}
	for i, s := range sources {
		if err := h.pull(i, s); err != nil {
			chunk = append(chunk, decoded{err: err})
			send()
			return
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		fq.apply(d)
		m := d.Decode(top.e)
		chunk = append(chunk, decoded{m: m, src: top.src, revived: d.Revived()})
		heap.Pop(h)
		if err := h.pull(top.src, sources[top.src]); err != nil {
			chunk = append(chunk, decoded{err: err})
			send()
			return
		}
		if len(chunk) == feedChunk && !send() {
			return
		}
	}
	if len(chunk) > 0 {
		send()
	}
}

type head struct {
	e   *journal.Exchange
	src int
	n   int // position within its source, for a stable order
}

type heads []head

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	if !h[i].e.Start.Equal(h[j].e.Start) {
		return h[i].e.Start.Before(h[j].e.Start)
	}
	if h[i].src != h[j].src {
		return h[i].src < h[j].src
	}
	return h[i].n < h[j].n
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// pull reads the next exchange of source i onto the heap.
func (h *heads) pull(i int, s Source) error {
	e, err := s.Next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	heap.Push(h, head{e: e, src: i, n: e.Line})
	return nil
}

package flow

import (
	"container/heap"
	"errors"
	"io"

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
func Feed(l *Ledger, d *decode.Decoder, sources []Source, visit func(*Exchange) error) error {
	h := &heads{}
	for i, s := range sources {
		if err := h.pull(i, s); err != nil {
			return err
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		m := d.Decode(top.e)
		x := l.Observe(sources[top.src].Name, m)
		if up := sources[top.src].Upstream; up != "" && x.Session.Upstream == "" {
			x.Session.Upstream = up
		}
		if visit != nil {
			if err := visit(x); err != nil {
				return err
			}
		}
		heap.Pop(h)
		if err := h.pull(top.src, sources[top.src]); err != nil {
			return err
		}
	}
	return nil
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

package bigjournal

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Weighted is one recording of the mix and its share of the copies.
type Weighted struct {
	Recording string // file name in Config.Dir
	Weight    int
}

// DefaultMix is the realistic mix of the lint benchmark: mostly clean v2
// issuance (with and without Retry-After), the common ways clients fail
// (an abandoned order, a failed validation, a failed self-check left
// pending, badNonce retries), and a quarter of v1 traffic; each of the
// other example recordings once in a hundred copies. v2-fault-jws is left
// out: its faults are malformed signatures and algorithms, which a copy
// signed again cannot reproduce.
func DefaultMix() []Weighted {
	return []Weighted{
		{"v2-happy.jsonl", 31}, {"v2-retry-after.jsonl", 8}, {"v2-bad-nonce.jsonl", 6},
		{"v2-order-abandoned.jsonl", 6}, {"v2-second-name-fails.jsonl", 4}, {"v2-must-staple.jsonl", 3},
		{"v2-ready-not-finalized.jsonl", 2}, {"v2-triggered-never-polled.jsonl", 2},
		{"v2-poll-tight-loop.jsonl", 2}, {"v2-deactivate-pending.jsonl", 2}, {"v2-retry-after-ignored.jsonl", 2},
		{"v2-csr-extra-name.jsonl", 1}, {"v2-csr-account-key.jsonl", 1}, {"v2-finalize-after-failure.jsonl", 1},
		{"v2-bad-nonce-storm.jsonl", 1}, {"v2-bad-nonce-given-up.jsonl", 1}, {"v2-fault-nonce.jsonl", 1},
		{"v2-fault-http.jsonl", 1}, {"v2-upstream-gone.jsonl", 1},
		{"v1-happy.jsonl", 10}, {"v1-self-check-fails.jsonl", 5}, {"v1-recycled-pending.jsonl", 2},
		{"v1-rate-limited.jsonl", 2}, {"v1-unauthorized-name.jsonl", 1}, {"v1-must-staple.jsonl", 1},
		{"v1-account-key-csr.jsonl", 1}, {"v1-no-agreement.jsonl", 1}, {"v1-fault-resource.jsonl", 1},
		{"v1-weak-keys.jsonl", 1},
	}
}

// Config says what to generate.
type Config struct {
	// Dir holds the recordings of Mix.
	Dir string
	// Mix is the recordings to copy and their weights; DefaultMix when
	// nil.
	Mix []Weighted
	// Exchanges is the least number of exchanges to write: whole copies
	// are added until it is reached.
	Exchanges int
	// Spacing is the time between the starts of two successive copies;
	// 5 ms when zero. With recordings lasting up to 12 s, about a
	// thousand accounts are active at once.
	Spacing time.Duration
	// Workers is how many goroutines sign copies; GOMAXPROCS when zero.
	Workers int
}

func (c Config) withDefaults() Config {
	if c.Mix == nil {
		c.Mix = DefaultMix()
	}
	if c.Spacing == 0 {
		c.Spacing = 5 * time.Millisecond
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Stats describes a generated journal.
type Stats struct {
	Exchanges int `json:"exchanges"`
	Copies    int `json:"copies"`
	// Posts counts the exchanges with a JWS: one signature each.
	Posts int `json:"posts"`
	// PerRecording counts the copies of each recording.
	PerRecording map[string]int `json:"per_recording"`
	// Start and End bound the requests' start times.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Bytes int64     `json:"bytes"`
}

// schedule is which template each copy replays.
type schedule struct {
	templates []*Template
	picks     []int
	base      time.Time
	spacing   time.Duration
}

// plan loads the templates and picks, by smooth weighted round robin, the
// template of each copy until cfg.Exchanges are reached.
func plan(cfg Config) (*schedule, error) {
	s := &schedule{spacing: cfg.Spacing}
	total := 0
	for _, w := range cfg.Mix {
		if w.Weight <= 0 {
			return nil, fmt.Errorf("bigjournal: %s: weight %d", w.Recording, w.Weight)
		}
		t, err := LoadTemplate(filepath.Join(cfg.Dir, w.Recording))
		if err != nil {
			return nil, fmt.Errorf("bigjournal: %w", err)
		}
		s.templates = append(s.templates, t)
		total += w.Weight
		if s.base.IsZero() || t.Start.Before(s.base) {
			s.base = t.Start
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("bigjournal: empty mix")
	}
	cur := make([]int, len(cfg.Mix))
	for n := 0; n < cfg.Exchanges; {
		best := 0
		for k, w := range cfg.Mix {
			cur[k] += w.Weight
			if cur[k] > cur[best] {
				best = k
			}
		}
		cur[best] -= total
		s.picks = append(s.picks, best)
		n += len(s.templates[best].Exchanges)
	}
	return s, nil
}

// startOf is when copy i starts.
func (s *schedule) startOf(i int) time.Time { return s.base.Add(time.Duration(i) * s.spacing) }

// keySource returns the key source for the schedule: a prime pool per
// RSA size, large enough for every copy.
func (s *schedule) keySource(ctx context.Context, workers int) (*keySource, error) {
	need := map[int]int{}
	for _, p := range s.picks {
		for _, ak := range s.templates[p].accounts {
			if ak.kty == "RSA" {
				need[ak.bits]++
			}
		}
	}
	ks := &keySource{rsa: map[int]*primePool{}}
	for bits, n := range need {
		p, err := newPrimePool(ctx, bits, n, workers)
		if err != nil {
			return nil, err
		}
		ks.rsa[bits] = p
	}
	return ks, nil
}

// Generate writes a journal of at least cfg.Exchanges exchanges to path,
// which must not exist.
func Generate(ctx context.Context, path string, cfg Config) (Stats, error) {
	cfg = cfg.withDefaults()
	s, err := plan(cfg)
	if err != nil {
		return Stats{}, err
	}
	ks, err := s.keySource(ctx, cfg.Workers)
	if err != nil {
		return Stats{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Stats{}, fmt.Errorf("bigjournal: %w", err)
	}
	st, err := s.write(ctx, f, ks, cfg.Workers)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return Stats{}, err
	}
	return st, nil
}

// encoded is one exchange of a copy, encoded with a zero sequence number.
type encoded struct {
	start time.Time
	rest  []byte // the record from the comma after "seq":0 on
}

type copyResult struct {
	lines []encoded
	err   error
}

type copyJob struct {
	i   int
	out chan copyResult
}

// write makes the copies on workers goroutines and merges them into w in
// time order.
func (s *schedule) write(ctx context.Context, w io.Writer, ks *keySource, workers int) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const ahead = 4096
	jobs, inOrder := make(chan copyJob, ahead), make(chan copyJob, ahead)
	go func() {
		defer close(jobs)
		defer close(inOrder)
		for i := range s.picks {
			j := copyJob{i: i, out: make(chan copyResult, 1)}
			select {
			case inOrder <- j:
			case <-ctx.Done():
				return
			}
			jobs <- j
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				lines, err := s.makeCopy(j.i, ks)
				j.out <- copyResult{lines, err}
			}
		})
	}
	defer wg.Wait()
	defer cancel()
	return s.merge(ctx, w, inOrder)
}

// makeCopy makes and encodes copy i.
func (s *schedule) makeCopy(i int, ks *keySource) ([]encoded, error) {
	t := s.templates[s.picks[i]]
	c, err := t.newCopier(i, ks, s.startOf(i).Sub(t.Start))
	if err != nil {
		return nil, err
	}
	xs, err := c.exchanges()
	if err != nil {
		return nil, err
	}
	out := make([]encoded, len(xs))
	for k, x := range xs {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, seqPrefix) {
			return nil, fmt.Errorf("bigjournal: unexpected encoding %.12q", b)
		}
		out[k] = encoded{start: x.Start, rest: b[len(seqPrefix)-1:]}
	}
	return out, nil
}

var seqPrefix = []byte(`{"seq":0,`)

// merge writes the header and then the copies' exchanges in start order
// (ties in copy order), each copy's in its own order, numbering them.
func (s *schedule) merge(ctx context.Context, w io.Writer, inOrder <-chan copyJob) (Stats, error) {
	st := Stats{Copies: len(s.picks), PerRecording: map[string]int{}}
	bw := bufio.NewWriterSize(w, 1<<20)
	hdr, err := json.Marshal(journal.Header{Format: journal.Format, Version: journal.Version,
		Tool: "acmeproxy bigjournal", Started: s.base})
	if err != nil {
		return st, err
	}
	bw.Write(append(hdr, '\n'))
	st.Bytes = int64(len(hdr) + 1)
	h := &mergeHeap{}
	next := 0 // the next copy to load
	var seq uint64
	line := make([]byte, 0, 8<<10)
	for {
		for next < len(s.picks) && (h.Len() == 0 || !(*h)[0].start().Before(s.startOf(next))) {
			j, ok := <-inOrder
			if !ok {
				return st, ctx.Err()
			}
			r := <-j.out
			if r.err != nil {
				return st, fmt.Errorf("bigjournal: copy %d: %w", j.i, r.err)
			}
			t := s.templates[s.picks[j.i]]
			st.PerRecording[t.Name]++
			st.Posts += t.Posts
			heap.Push(h, &mergeHead{copy: j.i, lines: r.lines})
			next++
		}
		if h.Len() == 0 {
			break
		}
		top := (*h)[0]
		e := top.lines[top.pos]
		seq++
		line = append(line[:0], `{"seq":`...)
		line = strconv.AppendUint(line, seq, 10)
		line = append(line, e.rest...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return st, err
		}
		st.Bytes += int64(len(line))
		if st.Start.IsZero() {
			st.Start = e.start
		}
		st.End = e.start
		top.lines[top.pos] = encoded{}
		if top.pos++; top.pos == len(top.lines) {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
		if seq%4096 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	st.Exchanges = int(seq)
	return st, bw.Flush()
}

type mergeHead struct {
	copy  int
	lines []encoded
	pos   int
}

func (m *mergeHead) start() time.Time { return m.lines[m.pos].start }

type mergeHeap []*mergeHead

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if a, b := h[i].start(), h[j].start(); !a.Equal(b) {
		return a.Before(b)
	}
	return h[i].copy < h[j].copy
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

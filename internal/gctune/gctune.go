// Package gctune gives Go's garbage collector a floor of headroom for programs whose live heap
// is small but whose garbage is plentiful, without giving up the collector's proportional
// limit once the live heap grows.
//
// With GOGC=p the collector runs whenever the heap has grown by p% over what the previous
// cycle left live. A bulk conversion keeps a few MiB live while it allocates tens of KiB of
// short-lived paths, file infos and parser state per object, so at a low GOGC it collects
// hundreds of times per second, each cycle waking every core. A fixed high GOGC would not do
// either: a manifest of a million lines keeps tens of MiB live, where a high percentage would
// mean gigabytes. bench/README.md has the measurements.
//
// Floor sets GOGC after every cycle so that the next one starts at the larger of
// live*(1+percent/100) and live+headroom: the peak heap stays near the larger of the two, and
// the number of cycles is at most the garbage made divided by headroom.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent caps the GOGC Floor sets.
const maxPercent = 1 << 20

// The collector's goal is the larger of live + (live + stacks + globals) * GOGC/100 and
// heapMinimum * GOGC/100 (the pacer since Go 1.21; heapMinimum is its defaultHeapMinimum), so
// Floor reads the live heap the last cycle marked and the stacks and globals it scanned, and
// keeps both terms within live+headroom.
const heapMinimum = 4 << 20

var goalInputs = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

type tuner struct {
	headroom uint64
	percent  int

	mu      sync.Mutex // cleanups may run concurrently
	stopped bool
	set     int // the GOGC last set
	samples []metrics.Sample
}

// sentinel is garbage made on purpose: its cleanup runs after the cycle that found it
// unreachable, which is how the tuner hears of each cycle. The pointer keeps it out of the
// tiny allocator, whose objects may never be cleaned up.
type sentinel struct{ _ *int }

// Floor makes the collector leave at least headroom bytes of growth above the live heap, and
// at least percent (the lower bound of GOGC used for large heaps) of it. It sets GOGC now and
// after every collection until the returned stop is called, which restores the GOGC in effect
// before. Floor is meant for a program's main (it changes a process-wide setting); calling it
// twice at once is not supported.
func Floor(headroom uint64, percent int) (stop func()) {
	t := &tuner{headroom: headroom, percent: percent, samples: make([]metrics.Sample, len(goalInputs))}
	for i, name := range goalInputs {
		t.samples[i].Name = name
	}
	t.mu.Lock()
	t.set = t.percentFor(t.readHeap())
	before := debug.SetGCPercent(t.set)
	t.mu.Unlock()
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetGCPercent(before)
	}
}

// percentFor is the GOGC that starts the next cycle at the larger of live+headroom and the
// goal at percent, given the live heap and base = live heap + stacks + globals.
func (t *tuner) percentFor(live, base uint64) int {
	q := min(float64(t.headroom)*100/float64(max(base, 1)), float64(live+t.headroom)*100/heapMinimum)
	if q <= float64(t.percent) {
		return t.percent
	}
	return int(min(q, maxPercent))
}

// readHeap returns the live heap and the sum of live heap, stacks and globals as of the last
// cycle.
func (t *tuner) readHeap() (live, base uint64) {
	metrics.Read(t.samples)
	for i, s := range t.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue
		}
		if i == 0 {
			live = s.Value.Uint64()
		}
		base += s.Value.Uint64()
	}
	return live, base
}

// arm plants the sentinel for the next cycle.
func (t *tuner) arm() {
	runtime.AddCleanup(&sentinel{}, (*tuner).afterGC, t)
}

func (t *tuner) afterGC() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if p := t.percentFor(t.readHeap()); p != t.set {
		t.set = p
		debug.SetGCPercent(p)
	}
	t.arm()
}

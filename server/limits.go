package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pool admits at most cap(slots) requests at once. A request that finds no free slot waits
// up to wait for one, unless maxQueue requests are waiting already; a request that gets none
// is refused (503 with Retry-After). The point is to bound memory and disk contention whatever
// the number of clients, and to answer quickly rather than let clients pile up.
type pool struct {
	name     string
	slots    chan struct{}
	wait     time.Duration
	maxQueue int64
	queued   atomic.Int64
	m        *metrics
	// The pool's own metrics and release function, made once rather than per request.
	waited   prometheus.Observer
	inflight prometheus.Gauge
	release  func()
}

// Reasons a pool refuses a request (the reason label of hashstore_http_rejected_total).
const (
	rejectQueueFull    = "queue_full"
	rejectQueueTimeout = "queue_timeout"
)

func newPool(name string, size, maxQueue int, wait time.Duration, m *metrics) *pool {
	p := &pool{name: name, slots: make(chan struct{}, size), wait: wait, maxQueue: int64(maxQueue), m: m,
		waited: m.poolWait.WithLabelValues(name), inflight: m.inflight.WithLabelValues(name)}
	p.release = func() {
		p.inflight.Dec()
		<-p.slots
	}
	return p
}

// acquire takes a slot. It returns the function that gives it back, or "" and the reason it
// could not get one ("" reason means ctx ended first: the client went away).
func (p *pool) acquire(ctx context.Context) (release func(), reason string) {
	if release, ok := p.tryAcquire(); ok {
		return release, ""
	}
	if p.queued.Add(1) > p.maxQueue {
		p.queued.Add(-1)
		p.m.rejected.WithLabelValues(p.name, rejectQueueFull).Inc()
		return nil, rejectQueueFull
	}
	p.m.queued.WithLabelValues(p.name).Inc()
	defer func() {
		p.queued.Add(-1)
		p.m.queued.WithLabelValues(p.name).Dec()
	}()
	start := time.Now()
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return p.taken(time.Since(start)), ""
	case <-timer.C:
		p.waited.Observe(time.Since(start).Seconds())
		p.m.rejected.WithLabelValues(p.name, rejectQueueTimeout).Inc()
		return nil, rejectQueueTimeout
	case <-ctx.Done():
		p.waited.Observe(time.Since(start).Seconds())
		return nil, "canceled"
	}
}

// tryAcquire takes a slot if one is free at once.
func (p *pool) tryAcquire() (release func(), ok bool) {
	select {
	case p.slots <- struct{}{}:
		return p.taken(0), true
	default:
		return nil, false
	}
}

func (p *pool) taken(waited time.Duration) func() {
	p.waited.Observe(waited.Seconds())
	p.inflight.Inc()
	return p.release
}

// bufferPool hands out the fixed-size buffers verified reads copy through. Requests take them
// only while holding a read slot, so at most that many exist; freed buffers are kept for the
// next request instead of being left to the garbage collector, so memory stays flat.
type bufferPool struct {
	size int
	free chan []byte
	m    *metrics
}

func newBufferPool(size, max int, m *metrics) *bufferPool {
	m.bufferMax.Set(float64(max))
	return &bufferPool{size: size, free: make(chan []byte, max), m: m}
}

func (p *bufferPool) get() []byte {
	p.m.buffers.Inc()
	select {
	case b := <-p.free:
		return b
	default:
		p.m.bufAlloc.Add(float64(p.size))
		return make([]byte, p.size)
	}
}

func (p *bufferPool) put(b []byte) {
	p.m.buffers.Dec()
	select {
	case p.free <- b[:p.size]:
	default:
		p.m.bufAlloc.Sub(float64(p.size))
	}
}

package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus collectors, in a registry of its own (so that several
// servers can live in one process, as in tests) that /metrics exposes together with the Go
// runtime and process collectors.
type metrics struct {
	reg *prometheus.Registry

	requests   *prometheus.CounterVec   // route, method, code
	duration   *prometheus.HistogramVec // route, method
	bytes      *prometheus.CounterVec   // direction (in|out), route
	inflight   *prometheus.GaugeVec     // pool
	queued     *prometheus.GaugeVec     // pool
	poolWait   *prometheus.HistogramVec // pool
	rejected   *prometheus.CounterVec   // pool, reason
	buffers    prometheus.Gauge         // buffers in use
	bufferMax  prometheus.Gauge         // the pool's bound
	bufAlloc   prometheus.Gauge         // bytes allocated for buffers
	verified   prometheus.Counter       // bytes hashed while serving
	verifyFail prometheus.Counter       // objects found not to match their cid
	suspects   prometheus.Gauge         // objects refused until repaired
	uploadsBad *prometheus.CounterVec   // reason
	// fastAnswered and fastHandedOver count the requests the fast path answered, and the
	// connections it handed to net/http (see fastpath.go).
	fastAnswered, fastHandedOver prometheus.Counter
}

func newMetrics() *metrics {
	const ns = "hashstore"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route, method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its response.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"route", "method"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "http", Name: "bytes_total",
			Help: "Body bytes received (in) and sent (out), by route."}, []string{"direction", "route"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: "http", Name: "inflight_requests",
			Help: "Requests holding a slot of a pool (read or write)."}, []string{"pool"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: "http", Name: "queued_requests",
			Help: "Requests waiting for a slot of a pool."}, []string{"pool"}),
		poolWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: "http", Name: "pool_wait_seconds",
			Help:    "Time requests waited for a slot, whether they got one or not.",
			Buckets: []float64{.0001, .001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"pool"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "http", Name: "rejected_total",
			Help: "Requests refused before any work: queue_full, queue_timeout (both 503), draining, read_only, auth."}, []string{"pool", "reason"}),
		buffers: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: "buffer_pool", Name: "inuse_buffers",
			Help: "Copy buffers held by requests."}),
		bufferMax: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: "buffer_pool", Name: "max_buffers",
			Help: "The most copy buffers the pool keeps."}),
		bufAlloc: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: "buffer_pool", Name: "allocated_bytes",
			Help: "Bytes of copy buffers allocated and kept."}),
		verified: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "verify_bytes_total",
			Help: "Object bytes hashed to check them against their cid while serving."}),
		verifyFail: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "verify_failures_total",
			Help: "Objects found, while serving, not to match their cid."}),
		suspects: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "suspect_objects",
			Help: "Objects refused because they did not match their cid, until their file changes."}),
		uploadsBad: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upload_rejected_total",
			Help: "Uploads refused after their body was read: checksum, size, duplicate, sysmeta, space, other."}, []string{"reason"}),
	}
	fast := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "http", Name: "fast_path_total",
		Help: "Requests the fast path answered (answered), and connections it handed to net/http (handed_over)."}, []string{"outcome"})
	m.fastAnswered, m.fastHandedOver = fast.WithLabelValues("answered"), fast.WithLabelValues("handed_over")
	m.reg.MustRegister(fast)
	m.reg.MustRegister(m.requests, m.duration, m.bytes, m.inflight, m.queued, m.poolWait, m.rejected,
		m.buffers, m.bufferMax, m.bufAlloc, m.verified, m.verifyFail, m.suspects, m.uploadsBad,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// routeMetrics are a route's labelled metrics, looked up once rather than per request (the
// lookup hashes every label value). ok counts its 200 answers; other codes are looked up.
type routeMetrics struct {
	ok       prometheus.Counter
	duration prometheus.Observer
	in, out  prometheus.Counter
}

func (m *metrics) forRoute(route, method string) *routeMetrics {
	return &routeMetrics{
		ok:       m.requests.WithLabelValues(route, method, "200"),
		duration: m.duration.WithLabelValues(route, method),
		in:       m.bytes.WithLabelValues("in", route),
		out:      m.bytes.WithLabelValues("out", route),
	}
}

// forRequest returns the metrics of a request's route (match only gives a route whose method
// is the request's), or looks them up for one that matched none.
func (m *metrics) forRequest(rt *route, method string) *routeMetrics {
	if rt != nil {
		return rt.m
	}
	return m.forRoute("other", method)
}

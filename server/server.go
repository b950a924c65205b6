// Package server serves a HashStore over HTTP: DataONE's Member Node read API (get, describe,
// getSystemMetadata, getChecksum, ping) and create, plus native routes for every HashStore
// verb (see docs/CLI.md, "serve", for the route table). It is a thin layer over the
// hashstore.Store interface; the library knows nothing of HTTP.
//
// Objects stream in both directions and are never held in memory whole: a read holds one
// buffer from a bounded pool (none at all when the bytes go straight from the file to the
// socket); an upload flows from the socket into the store's hashing pipeline. The exception
// is small objects the fast path (fastpath.go) has found to match their cid, whose bytes it
// keeps within Config.ContentCache. With Config.Verify
// VerifyFull (the default) every object read is hashed as it is sent and its final piece is
// held back until the digest equals the cid; on a mismatch the connection is cut, so a
// client always sees a short response rather than a complete wrong one, and the object is
// refused until its file changes.
//
// Reads and writes have separate bounded pools; a request that finds its pool full waits a
// little, then gets 503 with Retry-After. Transfers are dropped when they stop making
// progress, never for being long. Serve shuts down gracefully when its context ends.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Server is the HTTP face of a store. Create it with New; it is an http.Handler, and Serve
// runs it on a listener.
type Server struct {
	store     hashstore.Store
	root      string              // the store's root, to give paths relative to it; "" if unknown
	rootDir   *safeopen.Root      // the root held open for the resolution cache's fast path; nil without
	alg       hashstore.Algorithm // the store algorithm, which makes cids
	cfg       Config
	log       *slog.Logger
	metrics   *metrics
	reads     *pool
	writes    *pool
	bufs      *bufferPool
	integ     *integrity
	sysmeta   sysmetaCache
	resolved  resolutions
	hashers   sync.Pool // *hasher, for reuse
	holdFiles bool      // the caches hold the store's files open (see resolve.go)
	corked    sync.Map  // connections whose response is corked (see cork.go)
	// contentBytes is what the resolutions' kept contents take (keepContent), at most
	// Config.ContentCache.
	contentBytes atomic.Int64
	routes       []*route
	tokenHash    [sha256.Size]byte
	hasToken     bool
	draining     atomic.Bool
	handlers     sync.WaitGroup // requests being served, for the end of a shutdown
}

// New makes a server for store. If store has Root() and Config() methods (as
// *hashstore.FileHashStore has), paths are reported relative to the root and objects are
// verified with the store's algorithm; otherwise SHA-256 is assumed.
func New(store hashstore.Store, cfg Config) (*Server, error) {
	if store == nil {
		return nil, errors.New("server: no store")
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{store: store, cfg: cfg, log: cfg.Logger, alg: hashstore.SHA256, metrics: newMetrics()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if r, ok := store.(interface{ Root() string }); ok {
		s.root = r.Root()
		// The resolution cache's fast path opens objects below the root as the store does:
		// no link followed, nothing but a regular file (a store on another filesystem than
		// the OS's has no such path, and no fast path).
		if dir, err := safeopen.OpenRoot(s.root); err == nil {
			s.rootDir = dir
			runtime.AddCleanup(s, func(d *safeopen.Root) { d.Close() }, dir)
		}
	}
	if c, ok := store.(interface{ Config() hashstore.Config }); ok {
		alg, err := c.Config().StoreAlgorithm()
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		s.alg = alg
	}
	if cfg.WriteToken != "" {
		s.tokenHash, s.hasToken = sha256.Sum256([]byte(cfg.WriteToken)), true
	}
	s.reads = newPool("read", cfg.MaxReads, cfg.MaxQueue, cfg.QueueTimeout, s.metrics)
	s.writes = newPool("write", cfg.MaxWrites, cfg.MaxQueue, cfg.QueueTimeout, s.metrics)
	s.bufs = newBufferPool(cfg.BufferSize, cfg.MaxReads, s.metrics)
	s.integ = newIntegrity(cfg.VerifiedTTL, s.metrics)
	s.holdFiles = s.rootDir != nil && canHoldFiles(s.root)
	resLimit, docLimit := maxResolutions, maxSysmetaEntries
	if s.holdFiles {
		// Held files take at most half of the process's open files: three quarters of that
		// for resolutions (three files each), a quarter for documents (one each).
		budget := int(min(fileLimit()/2, 1<<20))
		resLimit, docLimit = min(resLimit, budget/4), min(docLimit, budget/4)
		if resLimit < 64 {
			s.holdFiles, resLimit, docLimit = false, maxResolutions, maxSysmetaEntries
		}
	}
	s.sysmeta = newHeldCache[sysmetaEntry](docLimit)
	s.resolved = resolutions{heldCache: newHeldCache[*resolution](resLimit), seen: map[string]struct{}{}}
	s.routes = s.routeTable()
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "hashstore", Name: "content_cache_bytes",
		Help: "Bytes of small verified objects the fast path keeps in memory."}, func() float64 { return float64(s.contentBytes.Load()) }))
	return s, nil
}

// Registry returns the registry of the server's metrics (served on /metrics).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Drain marks the server as going away: /readyz answers 503 and DataONE's ping 500, so that a
// load balancer stops sending requests, while requests are still served. Serve calls it when
// its context ends.
func (s *Server) Drain() { s.draining.Store(true) }

// writable reports whether writes can ever be authorised.
func (s *Server) writable() bool { return s.hasToken && !s.cfg.ReadOnly }

// authorised reports whether the request carries the write token. The comparison takes the
// same time whatever the token sent (both sides are hashed first, so even the length does not
// leak); the token itself is never logged.
func (s *Server) authorised(r *http.Request) bool {
	if !s.hasToken {
		return false
	}
	tok, ok := bearer(r)
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) == 1
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// relative makes a path from the store relative to its root (slash-separated), or returns
// it unchanged when it is not under the root.
func (s *Server) relative(p string) string {
	if s.root == "" || p == "" {
		return p
	}
	rel, err := filepath.Rel(s.root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return filepath.ToSlash(rel)
}

// ServeHTTP answers one request: it finds the route from the escaped path (no cleaning, no
// redirect: a pid such as "http://x/../y" is a pid, not a path to tidy), and around it keeps
// the access log, the metrics and the transfer deadlines.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	start := time.Now()
	rw := newResponseWriter(w, s.cfg.IdleTimeout)
	id := requestID(r)
	rw.Header().Set("X-Request-Id", id)
	rt, pid, status := s.match(r)
	var body *progressBody
	if r.Body != nil && r.Body != http.NoBody {
		// The handlers get a shallow copy with the wrapped body: net/http looks at the
		// original's Body after the handler to decide whether to drain it, and must still see
		// its own reader there (or it would answer "100 Continue" to a refused upload and
		// read it).
		body = &progressBody{body: r.Body, rc: rw.rc, next: deadlineMover{idle: s.cfg.IdleTimeout}}
		r = r.WithContext(r.Context())
		r.Body = body
	}
	defer func() {
		rec := recover()
		s.logRequest(r, rw, body, rt, id, start, rec)
		if rec != nil {
			panic(rec)
		}
	}()
	switch {
	case rt != nil:
		rt.serve(s, rw, r, pid)
	case status == http.StatusMethodNotAllowed:
		s.notAllowed(rw, r)
	default:
		s.notFound(rw, r)
	}
}

// logRequest writes the access log line and the request metrics. A handler that panicked
// with http.ErrAbortHandler cut the response short on purpose (see streamVerified); the line
// says so.
func (s *Server) logRequest(r *http.Request, rw *responseWriter, body *progressBody, rt *route, id string, start time.Time, rec any) {
	a := access{id: id, remote: r.RemoteAddr, method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
		rt: rt, status: rw.status, out: rw.written, start: start, aborted: rec != nil}
	if body != nil {
		a.in = body.read
	}
	s.record(r.Context(), &a)
}

// access is what the access log and the metrics record of one request.
type access struct {
	id, remote, method, path, query string
	rt                              *route // nil: no route matched
	status                          int    // 0: 200
	in, out                         int64  // body bytes
	start                           time.Time
	aborted                         bool // the response was cut short on purpose
}

// record writes the access log line and the request metrics of a.
func (s *Server) record(ctx context.Context, a *access) {
	d := time.Since(a.start)
	route := "other"
	if a.rt != nil {
		route = a.rt.name
	}
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	m := s.metrics.forRequest(a.rt, a.method)
	switch {
	case a.aborted:
		s.metrics.requests.WithLabelValues(route, a.method, "aborted").Inc()
	case status == http.StatusOK:
		m.ok.Inc()
	default:
		s.metrics.requests.WithLabelValues(route, a.method, strconv.Itoa(status)).Inc()
	}
	m.duration.Observe(d.Seconds())
	m.out.Add(float64(a.out))
	if a.in > 0 {
		m.in.Add(float64(a.in))
	}
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("id", a.id), slog.String("remote", a.remote), slog.String("method", a.method),
		slog.String("path", a.path), slog.String("route", route), slog.Int("status", status),
		slog.Int64("bytes_out", a.out), slog.Int64("bytes_in", a.in), slog.Duration("duration", d),
	}
	if a.query != "" {
		attrs = append(attrs, slog.String("query", a.query))
	}
	if a.aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// requestID returns the client's X-Request-Id when it is a short printable token, or a new
// random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && isToken(id) {
		return id
	}
	return newRequestID()
}

// newRequestID returns a new random request id: 16 hexadecimal digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully: it stops
// accepting, marks itself draining, lets in-flight requests finish for up to
// Config.ShutdownGrace, then closes what is left and waits for the handlers to return (an
// interrupted upload removes its temp file as it returns). With certFile and keyFile it
// serves TLS (HTTP/2 included); without, plain HTTP/1.1, where objects go out with sendfile
// and, with Config.FastPath, small objects through the fast path (fastpath.go).
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.keepAliveIdle(),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext:       withConn,
		ConnState:         s.connState,
	}
	var fast *fastPath
	if certFile == "" && s.cfg.FastPath {
		fast = s.newFastPath(ln)
		ln = fast
	}
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- srv.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Drain()
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	fastDone := make(chan struct{})
	go func() {
		defer close(fastDone)
		if fast != nil {
			fast.shutdown(shutCtx)
		}
	}()
	err := srv.Shutdown(shutCtx)
	if err != nil {
		s.log.Warn("grace period over: closing the remaining connections", "err", err)
		srv.Close()
	}
	<-fastDone
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.log.Error("handlers still running after the connections were closed")
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// keepAliveIdle is how long a keep-alive connection may wait for its next request: twice the
// transfer idle timeout, so that a client between two requests is not dropped sooner than a
// stalled transfer would be. net/http and the fast path both use it.
func (s *Server) keepAliveIdle() time.Duration { return 2 * s.cfg.IdleTimeout }

// metricsHandler serves the registry in Prometheus' text format.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// route is one entry of the route table.
type route struct {
	name   string // the route label of the metrics and the access log
	method string
	path   string // the escaped path, or with pid the escaped prefix before the pid
	pid    bool
	api    api   // how errors are written: DataONE XML or native JSON
	pool   *pool // the pool the request needs a slot of, or nil
	write  bool  // needs the write token
	fast   bool  // the fast path may answer it (fastpath.go)
	h      func(w http.ResponseWriter, r *http.Request, pid string)
	m      *routeMetrics
}

// routeTable lists every route (docs/CLI.md, "serve").
func (s *Server) routeTable() []*route {
	b := s.cfg.Base + "/v2"
	n := native{s}
	d1 := func(c d1Call) api { return dataone{s, c} }
	routes := []*route{
		{name: "ping", method: http.MethodGet, path: b + "/monitor/ping", api: d1(callPing), h: s.ping},
		{name: "get", method: http.MethodGet, path: b + "/object/", pid: true, api: d1(callGet), pool: s.reads, h: s.d1Get, fast: true},
		{name: "describe", method: http.MethodHead, path: b + "/object/", pid: true, api: d1(callDescribe), h: s.d1Describe},
		{name: "meta", method: http.MethodGet, path: b + "/meta/", pid: true, api: d1(callMeta), pool: s.reads, h: s.d1Meta},
		{name: "checksum", method: http.MethodGet, path: b + "/checksum/", pid: true, api: d1(callChecksum), pool: s.reads, h: s.d1Checksum},
		{name: "list", method: http.MethodGet, path: b + "/object", api: d1(callList), h: s.d1List},
		{name: "create", method: http.MethodPost, path: b + "/object", api: d1(callCreate), pool: s.writes, write: true, h: s.d1Create},

		{name: "hs.get", method: http.MethodGet, path: wire.Object + "/", pid: true, api: n, pool: s.reads, h: s.nativeGet, fast: true},
		{name: "hs.head", method: http.MethodHead, path: wire.Object + "/", pid: true, api: n, h: s.nativeGet},
		{name: "hs.store", method: http.MethodPut, path: wire.Object + "/", pid: true, api: n, pool: s.writes, write: true, h: s.nativeStore},
		{name: "hs.store", method: http.MethodPost, path: wire.Object, api: n, pool: s.writes, write: true, h: s.nativeStore},
		{name: "hs.delete", method: http.MethodDelete, path: wire.Object + "/", pid: true, api: n, write: true, h: s.nativeDelete},
		{name: "hs.find", method: http.MethodGet, path: wire.Find + "/", pid: true, api: n, h: s.nativeFind},
		{name: "hs.digest", method: http.MethodGet, path: wire.Digest + "/", pid: true, api: n, pool: s.writes, h: s.nativeDigest},
		{name: "hs.tag", method: http.MethodPost, path: wire.Tag + "/", pid: true, api: n, write: true, h: s.nativeTag},
		{name: "hs.metadata.get", method: http.MethodGet, path: wire.Metadata + "/", pid: true, api: n, pool: s.reads, h: s.nativeMetadataGet},
		{name: "hs.metadata.put", method: http.MethodPut, path: wire.Metadata + "/", pid: true, api: n, pool: s.writes, write: true, h: s.nativeMetadataPut},
		{name: "hs.metadata.delete", method: http.MethodDelete, path: wire.Metadata + "/", pid: true, api: n, write: true, h: s.nativeMetadataDelete},
		{name: "hs.delete_if_invalid", method: http.MethodPost, path: wire.DeleteIfInvalid, api: n, write: true, h: s.nativeDeleteIfInvalid},

		{name: "healthz", method: http.MethodGet, path: "/healthz", h: s.healthz},
		{name: "readyz", method: http.MethodGet, path: "/readyz", h: s.readyz},
		{name: "metrics", method: http.MethodGet, path: "/metrics", h: s.serveMetrics},
	}
	for _, rt := range routes {
		rt.m = s.metrics.forRoute(rt.name, rt.method)
	}
	return routes
}

// match finds the route of a request from its escaped path. A path that routes exist for,
// but not with this method, gives 405; no route at all, 404.
func (s *Server) match(r *http.Request) (*route, string, int) {
	return s.matchPath(r.Method, r.URL.EscapedPath())
}

// matchPath is match for a method and an escaped path.
func (s *Server) matchPath(method, p string) (*route, string, int) {
	found := false
	for _, rt := range s.routes {
		rest, ok := rt.matches(p)
		if !ok {
			continue
		}
		found = true
		if rt.method != method {
			continue
		}
		if !rt.pid {
			return rt, "", http.StatusOK
		}
		// The pid is the rest of the escaped path, decoded exactly once. PathUnescape keeps
		// "+" a plus, as DataONE requires; "%2F" and a raw "/" both stand for "/".
		pid, err := url.PathUnescape(rest)
		if err != nil {
			pid = rest // not valid percent-encoding: let the store refuse it by name
		}
		return rt, pid, http.StatusOK
	}
	if found {
		return nil, "", http.StatusMethodNotAllowed
	}
	return nil, "", http.StatusNotFound
}

func (rt *route) matches(p string) (string, bool) {
	if !rt.pid {
		return "", p == rt.path
	}
	rest, ok := strings.CutPrefix(p, rt.path)
	return rest, ok
}

// allowed lists the methods routes accept for a path, for the Allow header of a 405.
func (s *Server) allowed(p string) string {
	var ms []string
	for _, rt := range s.routes {
		if _, ok := rt.matches(p); ok && !slices.Contains(ms, rt.method) {
			ms = append(ms, rt.method)
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// serve runs the route's checks (write access, a pool slot) and then its handler.
func (rt *route) serve(s *Server, w http.ResponseWriter, r *http.Request, pid string) {
	if rt.write {
		if p := s.checkWrite(r, pid); p != nil {
			rt.api.fail(w, r, p)
			return
		}
	}
	if rt.pool != nil {
		release, reason := rt.pool.acquire(r.Context())
		if release == nil {
			w.Header().Set("Retry-After", "1")
			rt.api.fail(w, r, &problem{status: http.StatusServiceUnavailable, d1: exServiceFailure, kind: "busy", pid: pid,
				msg: "the server is busy (" + reason + "); retry later"})
			return
		}
		defer release()
	}
	rt.h(w, r, pid)
}

// checkWrite refuses a write the server does not allow, before any of the body is read (so
// that a client sending "Expect: 100-continue" never sends it).
func (s *Server) checkWrite(r *http.Request, pid string) *problem {
	switch {
	case !s.writable():
		s.metrics.rejected.WithLabelValues("write", "read_only").Inc()
		return &problem{d1: exNotImplemented, kind: "read_only", pid: pid, msg: "this server is read-only"}
	case s.authorised(r):
		return nil
	}
	s.metrics.rejected.WithLabelValues("write", "auth").Inc()
	if _, sent := bearer(r); sent {
		return &problem{d1: exInvalidToken, kind: "unauthorized", pid: pid, msg: "the bearer token is not valid for writing"}
	}
	return &problem{d1: exNotAuthorized, kind: "unauthorized", pid: pid, msg: "writing needs a bearer token (Authorization: Bearer ...)"}
}

// notFound answers a path no route has.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, wire.Prefix+"/"):
		native{s}.fail(w, r, &problem{kind: "no_route", msg: "no such route: " + p})
	case strings.HasPrefix(p, s.cfg.Base+"/"):
		dataone{s, d1Call{exNotFound: "0"}}.fail(w, r, &problem{d1: exNotFound, msg: "no such route: " + p})
	default:
		http.Error(w, "404 no such route", http.StatusNotFound)
	}
}

// notAllowed answers a method the path's routes do not take.
func (s *Server) notAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", s.allowed(r.URL.EscapedPath()))
	msg := r.Method + " is not allowed here"
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, wire.Prefix+"/"):
		native{s}.fail(w, r, &problem{kind: "method_not_allowed", msg: msg})
	case strings.HasPrefix(p, s.cfg.Base+"/"):
		dataone{s, d1Call{exNotImplemented: "0"}}.fail(w, r, &problem{d1: exNotImplemented, status: http.StatusMethodNotAllowed, msg: msg})
	default:
		http.Error(w, "405 "+msg, http.StatusMethodNotAllowed)
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request, _ string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("draining\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ string) {
	s.metricsHandler().ServeHTTP(w, r)
}

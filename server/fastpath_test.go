package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// served runs another server over the fixture's store, through Serve on a loopback port,
// with the fixture's configuration changed by mutate; it stops with the test.
func (f *fixture) served(mutate func(*Config)) (*Server, string) {
	f.t.Helper()
	srv, addr, stop := f.serving(mutate)
	f.t.Cleanup(func() { require.NoError(f.t, stop()) })
	return srv, addr
}

// serving is served for a test that stops the server itself: stop ends Serve's context and
// returns what Serve returned.
func (f *fixture) serving(mutate func(*Config)) (srv *Server, addr string, stop func() error) {
	f.t.Helper()
	srv, err := New(f.store, testConfig(f.logs, mutate))
	require.NoError(f.t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(f.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, "", "") }()
	return srv, ln.Addr().String(), func() error {
		cancel()
		return <-done
	}
}

// rawConn is a client connection that writes requests byte for byte.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(raw string) {
	rc.t.Helper()
	_, err := io.WriteString(rc.c, raw)
	require.NoError(rc.t, err)
}

// read reads one response to a request of method.
func (rc *rawConn) read(method string) (*http.Response, []byte) {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	require.NoError(rc.t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(rc.t, err)
	resp.Body.Close()
	return resp, body
}

// roundTrip sends one request and reads its response.
func (rc *rawConn) roundTrip(raw string) (*http.Response, []byte) {
	rc.t.Helper()
	rc.send(raw)
	method, _, _ := strings.Cut(raw, " ")
	return rc.read(method)
}

// sameAnswer asserts two responses are the same but for the headers that differ per request.
func sameAnswer(t *testing.T, want, got *http.Response, wantBody, gotBody []byte, what string) {
	t.Helper()
	assert.Equal(t, want.StatusCode, got.StatusCode, what)
	assert.Equal(t, wantBody, gotBody, what)
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("Date")
		h.Del("X-Request-Id")
		return h
	}
	assert.Equal(t, strip(want.Header), strip(got.Header), what)
	assert.Len(t, got.Header.Values("X-Request-Id"), len(want.Header.Values("X-Request-Id")), what)
	assert.Len(t, got.Header.Values("Date"), len(want.Header.Values("Date")), what)
}

func fastAnswered(s *Server) float64   { return value(s.metrics.fastAnswered) }
func fastHandedOver(s *Server) float64 { return value(s.metrics.fastHandedOver) }

// TestFastPathAnswersAsNetHTTPDoes: plain GETs of small objects (every pid of the test data
// and the awkward ones, public and not, with and without system metadata, verified and not)
// are answered by the fast path, on one keep-alive connection, with the status, headers and
// bytes net/http gives the same request; the objects come back whole.
func TestFastPathAnswersAsNetHTTPDoes(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"public read, verified", nil},
		{"read all, verified", func(c *Config) { c.ReadAccess = ReadAll }},
		{"read all, unverified", func(c *Config) { c.ReadAccess, c.Verify = ReadAll, VerifyOff }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			type obj struct {
				pid  string
				data []byte
			}
			var objs []obj
			add := func(pid string, data []byte, public, sysmeta bool) {
				if sysmeta {
					f.put(pid, data, public)
				} else {
					f.putBare(pid, data)
				}
				if public || c.mutate != nil {
					objs = append(objs, obj{pid, data})
				}
			}
			for _, v := range hashstoretest.Vectors() {
				if v.Size < 256<<10 {
					add(v.PID, v.Data(), true, true)
				}
			}
			for i, pid := range awkwardPIDs {
				if !strings.Contains(pid, " ") {
					add(pid, fmt.Appendf(nil, "object %d of %q", i, pid), true, true)
				}
			}
			add("private.1", []byte("not for everyone"), false, true)
			add("bare.1", []byte("no system metadata"), false, false)
			add("empty.1", []byte{}, true, true)
			require.NotEmpty(t, objs)

			fast, fastAddr := f.served(c.mutate)
			slow, slowAddr := f.served(func(cfg *Config) {
				if c.mutate != nil {
					c.mutate(cfg)
				}
				cfg.FastPath = false
			})
			fc, sc := dialRaw(t, fastAddr), dialRaw(t, slowAddr)
			requests := 0
			for _, o := range objs {
				requests += 2
				if rawSafe(o.pid) {
					requests++
				}
			}
			for round := range 3 { // the first reads open through the store, later ones through the caches
				for _, o := range objs {
					targets := []string{"/mn/v2/object/" + escape(o.pid), "/hs/v1/object/" + escape(o.pid)}
					if rawSafe(o.pid) {
						// Sent as it is: net/http's parsing and the fast path's must find the same pid.
						targets = append(targets, "/mn/v2/object/"+o.pid)
					}
					for _, target := range targets {
						req := "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n"
						want, wantBody := sc.roundTrip(req)
						got, gotBody := fc.roundTrip(req)
						require.Equal(t, http.StatusOK, want.StatusCode, target)
						assert.Equal(t, o.data, gotBody, target)
						sameAnswer(t, want, got, wantBody, gotBody, fmt.Sprintf("round %d, %s", round, target))
					}
				}
			}
			assert.Equal(t, float64(3*requests), fastAnswered(fast), "every request on the fast path")
			assert.Zero(t, fastHandedOver(fast))
			assert.Zero(t, fastAnswered(slow))
		})
	}
}

// rawSafe reports whether a pid can go in a request target unescaped: visible ASCII, and
// nothing that ends the path or starts an escape.
func rawSafe(pid string) bool {
	for _, c := range []byte(pid) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("?#%", c) >= 0 {
			return false
		}
	}
	return true
}

// TestFastPathHandsOver: a request the fast path does not answer goes to net/http, with what
// was read of it, and gets net/http's answer (errors included); the connection then stays with
// net/http and keeps working.
func TestFastPathHandsOver(t *testing.T) {
	f := newFixture(t, nil)
	small := []byte("a small public object")
	f.put("small.1", small, true)
	f.put("private.1", []byte("a private object"), false)
	big := pseudoRandom(7, 3<<20) // more than one read buffer
	f.put("big.1", big, true)
	fast, fastAddr := f.served(nil)
	slow, slowAddr := f.served(func(c *Config) { c.FastPath = false })
	plain := "GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\n\r\n"
	long := "GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nUser-Agent: " + strings.Repeat("u", fastHeadMax) + "\r\n\r\n"
	for _, req := range []string{
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nRange: bytes=2-5\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"" + sha256Hex(small) + "\"\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: mine\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testToken + "\r\n\r\n",
		"GET /mn/v2/object/small.1?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\nHost: x\n\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\nAccept: */*\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\n Host: x\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"HEAD /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/missing.1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/private.1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/big.1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/meta/small.1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /mn/v2/monitor/ping HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /hs/v1/tag/small.2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		long,
	} {
		what := strings.ReplaceAll(req[:min(len(req), 90)], "\r\n", " | ")
		before := fastHandedOver(fast)
		answered := fastAnswered(fast)
		sc, fc := dialRaw(t, slowAddr), dialRaw(t, fastAddr)
		want, wantBody := sc.roundTrip(req)
		got, gotBody := fc.roundTrip(req)
		sameAnswer(t, want, got, wantBody, gotBody, what)
		assert.Equal(t, before+1, fastHandedOver(fast), what)
		if want.Close {
			continue // net/http closes the connection after a request it refuses to read
		}
		// The connection is net/http's now: a plain GET is answered there.
		want, wantBody = sc.roundTrip(plain)
		got, gotBody = fc.roundTrip(plain)
		sameAnswer(t, want, got, wantBody, gotBody, what+", then a plain GET")
		assert.Equal(t, answered, fastAnswered(fast), what)
	}
	assert.Zero(t, fastAnswered(slow))

	// HTTP/1.0 and Connection: close are net/http's too: it closes the connection after them.
	for _, req := range []string{
		"GET /mn/v2/object/small.1 HTTP/1.0\r\nHost: x\r\n\r\n",
		"GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	} {
		fc := dialRaw(t, fastAddr)
		got, body := fc.roundTrip(req)
		assert.Equal(t, http.StatusOK, got.StatusCode, req)
		assert.Equal(t, small, body, req)
		_, err := fc.br.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "%q: the connection closes", req)
	}
}

// TestFastPathPipelined: requests sent together are answered in order, and one the fast path
// does not answer, in the middle, goes to net/http with the ones after it.
func TestFastPathPipelined(t *testing.T) {
	f := newFixture(t, nil)
	a, b := []byte("object a"), bytes.Repeat([]byte("b"), 5000)
	f.put("a.1", a, true)
	f.put("b.1", b, true)
	fast, addr := f.served(nil)
	rc := dialRaw(t, addr)
	get := func(pid string) string { return "GET /mn/v2/object/" + pid + " HTTP/1.1\r\nHost: x\r\n\r\n" }
	rc.send(get("a.1") + get("b.1") + get("a.1") + "HEAD /mn/v2/object/b.1 HTTP/1.1\r\nHost: x\r\n\r\n" + get("b.1"))
	for i, want := range []struct {
		method string
		body   []byte
	}{{"GET", a}, {"GET", b}, {"GET", a}, {"HEAD", []byte{}}, {"GET", b}} {
		resp, body := rc.read(want.method)
		require.Equal(t, http.StatusOK, resp.StatusCode, "response %d", i)
		assert.Equal(t, want.body, body, "response %d", i)
	}
	assert.Equal(t, 3.0, fastAnswered(fast))
	assert.Equal(t, 1.0, fastHandedOver(fast))
}

// TestFastPathNeverSendsACorruptObject: an object whose file no longer matches its cid (changed
// in place, or replaced, after it was served, remembered and its bytes kept) is not answered
// by the fast path: the change to the file drops what was kept, and net/http reads the file,
// reports it and refuses it; no client gets its bytes.
func TestFastPathNeverSendsACorruptObject(t *testing.T) {
	for _, how := range []string{"in place", "replaced"} {
		t.Run(how, func(t *testing.T) {
			f := newFixture(t, nil)
			data := []byte("the content that matches the cid")
			cid := f.put("obj.1", data, true)
			fast, addr := f.served(nil)
			rc := dialRaw(t, addr)
			req := "GET /mn/v2/object/obj.1 HTTP/1.1\r\nHost: x\r\n\r\n"
			for range 4 { // opened, remembered, kept, answered from what was kept
				resp, body := rc.roundTrip(req)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, data, body)
			}
			require.Equal(t, 4.0, fastAnswered(fast))
			require.EqualValues(t, len(data), fast.contentBytes.Load())
			bad := bytes.ToUpper(data) // same size
			if how == "in place" {
				p := f.objectFile(cid)
				require.NoError(t, os.Chmod(p, 0o644))
				require.NoError(t, os.WriteFile(p, bad, 0o644))
			} else {
				f.overwrite(cid, bad)
			}
			for range 2 {
				rc := dialRaw(t, addr)
				resp, body := rc.roundTrip(req)
				assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				assert.NotContains(t, string(body), string(bad))
			}
			assert.Equal(t, 4.0, fastAnswered(fast))
			assert.Equal(t, 2.0, fastHandedOver(fast))
			assert.Equal(t, 1.0, value(fast.metrics.verifyFail), "reported once, refused after")
		})
	}
}

// TestFastPathConcurrentWithChanges: many connections read objects while one of them is
// deleted and stored again: every answer is the whole object, or for that one net/http's
// refusal of what it finds at that moment (no object, or an object without its system
// metadata yet), never a mix.
func TestFastPathConcurrentWithChanges(t *testing.T) {
	f := newFixture(t, nil)
	objs := map[string][]byte{}
	for i := range 8 {
		pid := fmt.Sprintf("c.%d", i)
		objs[pid] = bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
		f.put(pid, objs[pid], true)
	}
	_, addr := f.served(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			assert.NoError(t, f.store.DeleteObject(context.Background(), "c.0"))
			f.put("c.0", objs["c.0"], true)
		}
	})
	for range 6 {
		wg.Go(func() {
			rc := dialRaw(t, addr)
			for i := 0; ctx.Err() == nil; i++ {
				pid := fmt.Sprintf("c.%d", i%8)
				resp, body := rc.roundTrip("GET /mn/v2/object/" + pid + " HTTP/1.1\r\nHost: x\r\n\r\n")
				if resp.StatusCode == http.StatusOK {
					assert.Equal(t, objs[pid], body, pid)
				} else {
					assert.Equal(t, "c.0", pid, "status %d", resp.StatusCode)
					rc = dialRaw(t, addr) // back to the fast path
				}
			}
		})
	}
	wg.Wait()
}

// TestFastPathTimeoutsAndShutdown: a connection idle for net/http's idle timeout, or stalled in
// the middle of a request head, or sending one so slowly that it takes longer than the header
// timeout, is closed; at shutdown, an idle connection is closed at once and Serve returns.
func TestFastPathTimeoutsAndShutdown(t *testing.T) {
	f := newFixture(t, nil)
	f.put("a.1", []byte("a"), true)
	const timeout = 150 * time.Millisecond
	srv, addr, stop := f.serving(func(c *Config) { c.IdleTimeout, c.ReadHeaderTimeout = timeout, timeout })

	closedWithin := func(rc *rawConn, d time.Duration) time.Duration {
		start := time.Now()
		rc.c.SetReadDeadline(start.Add(d))
		_, err := rc.br.ReadByte()
		require.ErrorIs(t, err, io.EOF)
		return time.Since(start)
	}
	idle := dialRaw(t, addr)
	resp, _ := idle.roundTrip("GET /mn/v2/object/a.1 HTTP/1.1\r\nHost: x\r\n\r\n")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	took := closedWithin(idle, 5*time.Second)
	assert.GreaterOrEqual(t, took, timeout, "not before the idle timeout")

	stalled := dialRaw(t, addr)
	stalled.send("GET /mn/v2/object/a.1 HTTP/1.1\r\nHo")
	closedWithin(stalled, 5*time.Second)

	// A head that trickles in, a byte at a time, has the header timeout from its first byte.
	trickle := dialRaw(t, addr)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for _, b := range []byte("GET /mn/v2/object/a.1 HTTP/1.1\r\nHost: x\r\nUser-Agent: " + strings.Repeat("u", 200)) {
			select {
			case <-quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := trickle.c.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	assert.Less(t, closedWithin(trickle, 3*time.Second), time.Second, "closed while still trickling")
	assert.Equal(t, 1.0, fastAnswered(srv))
	assert.Zero(t, fastHandedOver(srv), "the fast path closed them, not net/http")

	waiting := dialRaw(t, addr)
	resp, _ = waiting.roundTrip("GET /mn/v2/object/a.1 HTTP/1.1\r\nHost: x\r\n\r\n")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	start := time.Now()
	require.NoError(t, stop())
	assert.Less(t, time.Since(start), time.Second, "Serve returns without waiting for idle connections")
	closedWithin(waiting, time.Second)
}

// TestFastPathKeepsVerifiedContent: once a remembered small object has been read and found to
// match its cid, the fast path answers from the bytes it kept, without reading and hashing the
// file again, within Config.ContentCache; what an entry kept is given back when the entry
// goes (here: the objects are deleted, and the next reads find their refs gone).
func TestFastPathKeepsVerifiedContent(t *testing.T) {
	f := newFixture(t, nil)
	const n, size = 5, 4096
	objs := map[string][]byte{}
	for i := range n {
		pid := fmt.Sprintf("k.%d", i)
		objs[pid] = bytes.Repeat([]byte{byte('0' + i)}, size)
		f.put(pid, objs[pid], true)
	}
	srv, addr := f.served(func(c *Config) { c.ContentCache = 2*size + size/2 }) // room for two
	rc := dialRaw(t, addr)
	get := func(pid string) {
		resp, body := rc.roundTrip("GET /mn/v2/object/" + pid + " HTTP/1.1\r\nHost: x\r\n\r\n")
		require.Equal(t, http.StatusOK, resp.StatusCode, pid)
		require.Equal(t, objs[pid], body, pid)
	}
	// The first read opens through the store, the second remembers the resolution, the
	// third reads the remembered file, hashes it and keeps the bytes.
	for range 3 {
		for pid := range objs {
			get(pid)
		}
	}
	assert.EqualValues(t, 2*size, srv.contentBytes.Load(), "two objects kept, within the cache")
	hashed := value(srv.metrics.verified)
	for range 3 {
		for pid := range objs {
			get(pid)
		}
	}
	assert.EqualValues(t, 3*(n-2)*size, value(srv.metrics.verified)-hashed, "only the objects not kept are hashed again")
	assert.EqualValues(t, 6*n, fastAnswered(srv))

	for pid := range objs {
		require.NoError(t, f.store.DeleteObject(context.Background(), pid))
		resp, _ := rc.roundTrip("GET /mn/v2/object/" + pid + " HTTP/1.1\r\nHost: x\r\n\r\n")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		rc = dialRaw(t, addr)
	}
	assert.Zero(t, srv.contentBytes.Load(), "the deleted objects' entries gave their content back")
}

package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
)

// The fast path. For a small object, net/http costs more than everything else a request does:
// parsing into a Request, a header map per response, writing it sorted with every value
// scrubbed, and buffered writes cost about 18 us of one core here per 4 KiB GET, against
// about 8 us for the whole of an nginx request on the same files. So on plain HTTP the server
// reads each new connection itself first, and answers the request that small-object traffic is
// made of, a bare GET of an object, when it can answer it completely: the route is a GET of
// an object (DataONE's or the native one), the request carries no header beyond Host,
// User-Agent, Accept, Accept-Encoding and "Connection: keep-alive", and the object is
// readable by anyone, not suspect, fits one read buffer, and (with verification on) hashes to
// its cid. The answer is the one net/http would have given, headers included, written with
// one system call.
//
// Anything else is handed to net/http, with the bytes already read, and the connection stays
// with net/http from then on: a Range or conditional request, a HEAD, any other route or
// header, a query, a request line or header the fast path does not read exactly (bare LF
// line ends, HTTP/1.0, more than fastHeadMax bytes of head), and every error, which net/http
// then answers as if the fast path did not exist (an object that does not match its cid is
// reported and refused there). Only plain HTTP over TCP takes the fast path; TLS does not.
//
// The fast path keeps what net/http keeps: a read slot and a pooled buffer per request, the
// idle and header timeouts, the write deadline, the access log, the metrics, and its share of
// a graceful shutdown.

// fastHeadMax is the most bytes of request head the fast path reads; a longer head is handed
// over (net/http takes up to 64 KiB).
const fastHeadMax = 4 << 10

// fastPath is the listener net/http serves: it accepts the connections, serves them on the
// fast path, and passes net/http those it hands over.
type fastPath struct {
	s       *Server
	ln      net.Listener
	handoff chan net.Conn
	closed  chan struct{} // closed with the listener
	once    sync.Once
	err     error // why accepting ended, when closed is closed
	mu      sync.Mutex
	conns   map[*fastConn]struct{} // connections on the fast path
	wg      sync.WaitGroup         // the accept loop and the connections on the fast path
	drain   atomic.Bool
	date    atomic.Pointer[fastDate]
}

// newFastPath starts accepting on ln.
func (s *Server) newFastPath(ln net.Listener) *fastPath {
	f := &fastPath{s: s, ln: ln, handoff: make(chan net.Conn), closed: make(chan struct{}), conns: map[*fastConn]struct{}{}}
	f.wg.Add(1)
	go f.acceptLoop()
	return f
}

// Accept returns the next connection handed over to net/http.
func (f *fastPath) Accept() (net.Conn, error) {
	select {
	case c := <-f.handoff:
		return c, nil
	case <-f.closed:
		return nil, f.err
	}
}

// Close stops accepting; connections on the fast path stay until shutdown ends them.
func (f *fastPath) Close() error {
	err := f.ln.Close()
	f.end(net.ErrClosed)
	return err
}

// Addr is the listener's address.
func (f *fastPath) Addr() net.Addr { return f.ln.Addr() }

// end marks the listener closed, for err.
func (f *fastPath) end(err error) {
	f.once.Do(func() {
		f.err = err
		close(f.closed)
	})
}

// acceptLoop accepts connections until the listener fails for good; temporary failures (out
// of file descriptors, say) are retried after a pause that doubles up to a second, as
// net/http does.
func (f *fastPath) acceptLoop() {
	defer f.wg.Done()
	var pause time.Duration
	for {
		c, err := f.ln.Accept()
		if err != nil {
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				f.s.log.Warn("accepting a connection", "err", err, "retry_in", pause)
				select {
				case <-time.After(pause):
					continue
				case <-f.closed:
				}
			}
			f.end(err)
			return
		}
		pause = 0
		tc, ok := c.(*net.TCPConn)
		if !ok {
			f.handOver(c)
			continue
		}
		fc := &fastConn{f: f, c: tc, readDL: deadlineMover{idle: f.s.keepAliveIdle()}, writeDL: deadlineMover{idle: f.s.cfg.IdleTimeout}}
		if !f.track(fc) {
			tc.Close()
			continue
		}
		go fc.serve()
	}
}

// track adds a connection to the fast path's, unless a shutdown has begun.
func (f *fastPath) track(fc *fastConn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drain.Load() {
		return false
	}
	f.conns[fc] = struct{}{}
	f.wg.Add(1)
	return true
}

func (f *fastPath) untrack(fc *fastConn) {
	f.mu.Lock()
	delete(f.conns, fc)
	f.mu.Unlock()
	f.wg.Done()
}

// handOver gives a connection to net/http; after the listener closed, it closes it.
func (f *fastPath) handOver(c net.Conn) {
	select {
	case f.handoff <- c:
	case <-f.closed:
		c.Close()
	}
}

// shutdown ends the fast path's connections: those waiting for a request at once, those
// answering one once the answer is written. It returns when all are gone, or when ctx ends,
// after closing those that are left.
func (f *fastPath) shutdown(ctx context.Context) {
	f.mu.Lock()
	f.drain.Store(true)
	for fc := range f.conns {
		fc.c.SetReadDeadline(time.Now()) // wakes a connection waiting for its next request
	}
	f.mu.Unlock()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	f.mu.Lock()
	for fc := range f.conns {
		fc.c.Close()
	}
	f.mu.Unlock()
	<-done
}

// fastDate is the Date header of the current second.
type fastDate struct {
	unix  int64
	value string
}

// dateNow returns the Date header value for now, made once a second.
func (f *fastPath) dateNow(now time.Time) string {
	sec := now.Unix()
	if d := f.date.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &fastDate{unix: sec, value: now.UTC().Format(http.TimeFormat)}
	f.date.Store(d)
	return d.value
}

// fastConn is a connection on the fast path. buf[r:w] are the bytes read and not yet
// answered.
type fastConn struct {
	f       *fastPath
	c       *net.TCPConn
	buf     [fastHeadMax]byte
	r, w    int
	remote  string        // the client's address, for the access log; "" until needed
	inHead  bool          // part of a head has come, and its deadline is set
	readDL  deadlineMover // waiting for a request: net/http's idle timeout
	writeDL deadlineMover
}

// serve answers requests until one is to be handed over, the connection ends, or a shutdown
// begins.
func (fc *fastConn) serve() {
	defer fc.f.untrack(fc)
	for {
		head, ok := fc.nextHead()
		if !ok {
			return
		}
		if head == nil || !fc.answer(head) {
			fc.r -= len(head)             // the head goes with the connection
			fc.c.SetDeadline(time.Time{}) // net/http sets its own
			fc.f.s.metrics.fastHandedOver.Inc()
			// A copy, so that the connection's buffer goes with it.
			fc.f.handOver(&handedOver{TCPConn: fc.c, pending: bytes.Clone(fc.buf[fc.r:fc.w])})
			return
		}
	}
}

// nextHead reads until buf holds a whole request head (the request line and headers up to the
// empty line, each line ending in CRLF), and returns it. It returns nil and true for a head to
// hand over (a line ending in a bare LF, or more than fastHeadMax bytes), and false when the
// connection is done with: closed, timed out, or shutting down (it is then closed).
func (fc *fastConn) nextHead() ([]byte, bool) {
	for {
		// A head is at most fastHeadMax bytes: looking at all of it again after each read
		// costs less than keeping track of what was looked at.
		pending := fc.buf[fc.r:fc.w]
		head := pending
		end := bytes.Index(pending, []byte("\r\n\r\n"))
		if end >= 0 {
			head = pending[:end+4]
		}
		if bareLF(head) {
			return nil, true
		}
		if end >= 0 {
			fc.r += len(head)
			fc.inHead = false
			return head, true
		}
		if fc.r == fc.w {
			fc.r, fc.w = 0, 0
		} else if fc.w == len(fc.buf) {
			if fc.r == 0 {
				return nil, true // a head longer than the buffer
			}
			fc.w = copy(fc.buf[:], pending)
			fc.r = 0
		}
		switch {
		case fc.r == fc.w:
			if dl, ok := fc.readDL.due(); ok {
				fc.c.SetReadDeadline(dl)
			}
		case !fc.inHead && fc.f.s.cfg.ReadHeaderTimeout > 0:
			// Part of a head has come: the whole head has net/http's header timeout from now
			// (once, so that a trickle of bytes does not keep it open).
			fc.inHead = true
			fc.c.SetReadDeadline(time.Now().Add(fc.f.s.cfg.ReadHeaderTimeout))
			fc.readDL.last = time.Time{}
		}
		if fc.f.drain.Load() {
			fc.c.Close()
			return nil, false
		}
		n, err := fc.c.Read(fc.buf[fc.w:])
		fc.w += n
		if err != nil && n == 0 {
			if fc.r < fc.w && !fc.f.drain.Load() && !isTimeout(err) {
				return nil, true // what came before the end goes to net/http, which answers it
			}
			fc.c.Close()
			return nil, false
		}
	}
}

// isTimeout reports a read that ended at its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// bareLF reports whether p holds a line feed without a carriage return before it.
func bareLF(p []byte) bool {
	for i := bytes.IndexByte(p, '\n'); i >= 0; {
		if i == 0 || p[i-1] != '\r' {
			return true
		}
		j := bytes.IndexByte(p[i+1:], '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// answer answers the request whose head is given, if the fast path can; false: hand it over
// (nothing was written).
func (fc *fastConn) answer(head []byte) bool {
	s := fc.f.s
	rt, pid, target, ok := s.fastRoute(head)
	if !ok {
		return false
	}
	release, ok := rt.pool.tryAcquire()
	if !ok {
		return false // net/http waits for a slot, or refuses with 503
	}
	defer release()
	s.handlers.Add(1)
	defer s.handlers.Done()
	start := time.Now()
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	id := newRequestID()
	resp, size, ok := s.fastResponse(pid, id, fc.f.dateNow(start), buf)
	if !ok {
		return false
	}
	s.metrics.fastAnswered.Inc() // before the client can see the answer
	if dl, ok := fc.writeDL.due(); ok {
		fc.c.SetWriteDeadline(dl)
	}
	n, err := fc.c.Write(resp)
	a := access{id: id, method: http.MethodGet, rt: rt, out: max(int64(n)-int64(len(resp))+size, 0), start: start, aborted: err != nil}
	if s.log.Enabled(context.Background(), slog.LevelInfo) {
		if fc.remote == "" {
			fc.remote = fc.c.RemoteAddr().String()
		}
		a.remote, a.path = fc.remote, string(target)
	}
	s.record(context.Background(), &a)
	if err != nil {
		fc.c.Close() // the next read ends the connection
		fc.r = fc.w
	}
	return true
}

// fastRoute reads a request head, and returns its route, pid and target when the fast path
// may answer it: "GET target HTTP/1.1" with a target that is a path alone (no query, only visible ASCII),
// routed to an object GET; one Host header; otherwise only User-Agent, Accept,
// Accept-Encoding and "Connection: keep-alive".
func (s *Server) fastRoute(head []byte) (rt *route, pid string, target []byte, ok bool) {
	lines := head[:len(head)-4] // without the final CRLF CRLF
	line, rest, _ := bytes.Cut(lines, []byte("\r\n"))
	target, ok = bytes.CutPrefix(line, []byte("GET "))
	if !ok {
		return nil, "", nil, false
	}
	target, ok = bytes.CutSuffix(target, []byte(" HTTP/1.1"))
	if !ok || len(target) == 0 || target[0] != '/' {
		return nil, "", nil, false
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f || c == '?' || c == '#' {
			return nil, "", nil, false
		}
	}
	hosts := 0
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !plainValue(value) {
			return nil, "", nil, false
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, "host"):
			hosts++
			if !plainHost(value) {
				return nil, "", nil, false
			}
		case asciiEqualFold(name, "connection"):
			if !asciiEqualFold(value, "keep-alive") {
				return nil, "", nil, false
			}
		case asciiEqualFold(name, "user-agent"), asciiEqualFold(name, "accept"), asciiEqualFold(name, "accept-encoding"):
		default:
			return nil, "", nil, false
		}
	}
	if hosts != 1 {
		return nil, "", nil, false
	}
	rt, pid, _ = s.matchPath(http.MethodGet, string(target))
	if rt == nil || !rt.fast || pid == "" {
		return nil, "", nil, false
	}
	return rt, pid, target, true
}

// plainValue reports whether a header value has only visible ASCII, spaces and tabs.
func plainValue(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// plainHost reports whether a Host value is a name or address and a port, in the characters
// those use.
func plainHost(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// asciiEqualFold compares b with a lower-case ASCII word, ignoring case.
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fastResponse makes the whole response to a GET of pid in buf, when the fast path can give
// it: the object opens, is readable by anyone, is not suspect, matches its system metadata's
// size, fits buf with its headers and (verifying) hashes to its cid. It returns the response
// and the object's size.
func (s *Server) fastResponse(pid, id, date string, buf []byte) ([]byte, int64, bool) {
	if hashstore.CheckIdentifier("pid", pid) != nil {
		return nil, 0, false
	}
	ctx := context.Background()
	o, err := s.open(ctx, pid)
	if err != nil {
		return nil, 0, false
	}
	defer o.f.Close()
	if o.size > int64(len(buf)) {
		return nil, 0, false
	}
	// As authorizeRead decides for a request without the token, without its logs and
	// metrics: net/http answers (and counts) a refusal.
	meta, err := s.sysmetaOf(ctx, pid)
	if err != nil || !s.readable(meta, false) || !sizeAgrees(meta, o) || s.integ.suspected(o.cid, o.fp) != nil {
		return nil, 0, false
	}
	resp := append(buf[:0], "HTTP/1.1 200 OK\r\n"...)
	resp = append(resp, s.fastHeaders(o, meta)...)
	resp = append(resp, "X-Request-Id: "...)
	resp = append(resp, id...)
	resp = append(resp, "\r\nDate: "...)
	resp = append(resp, date...)
	resp = append(resp, "\r\n\r\n"...)
	if int64(len(buf)-len(resp)) < o.size {
		return nil, 0, false
	}
	body := buf[len(resp) : len(resp)+int(o.size)]
	if o.res != nil && s.cfg.Verify != VerifyOff {
		if kept := o.res.content.Load(); kept != nil {
			copy(body, *kept)
			return buf[:len(resp)+len(body)], o.size, true
		}
	}
	if _, err := io.ReadFull(o.f, body); err != nil {
		return nil, 0, false
	}
	if s.cfg.Verify != VerifyOff {
		h := s.newHasher(o.cid)
		h.write(body)
		ce := h.check()
		s.putHasher(h)
		if ce != nil {
			return nil, 0, false // net/http reads it again, and reports it
		}
		s.integ.markVerified(o.cid, o.fp)
		if o.res != nil {
			s.keepContent(o.res, body)
		}
	}
	return buf[:len(resp)+len(body)], o.size, true
}

// fastHeader is the header lines of an object's 200 response, as made for its system
// metadata, size and modification time.
type fastHeader struct {
	meta    *objectMeta
	size    int64
	modTime time.Time
	lines   []byte
}

// fastHeaders returns the header lines (each ending in CRLF) of an object's 200 response
// without X-Request-Id and Date: those objectHeaders sets, and Content-Length. They are kept
// with the cid's header values of a remembered resolution, and made again when the system
// metadata, the size or the modification time differ.
func (s *Server) fastHeaders(o *openObject, meta *objectMeta) []byte {
	if o.hdr != nil {
		if fh := o.hdr.fast.Load(); fh != nil && fh.meta == meta && fh.size == o.size && fh.modTime.Equal(o.modTime) {
			return fh.lines
		}
	}
	h := http.Header{}
	s.objectHeaders(h, o, meta)
	h["Content-Length"] = []string{strconv.FormatInt(o.size, 10)}
	var b bytes.Buffer
	h.Write(&b)
	fh := &fastHeader{meta: meta, size: o.size, modTime: o.modTime, lines: b.Bytes()}
	if o.hdr != nil {
		o.hdr.fast.Store(fh)
	}
	return fh.lines
}

// handedOver is a connection handed to net/http: it reads the bytes the fast path had read
// first. The TCP connection's other methods stay (sendfile through ReadFrom, corking through
// SyscallConn).
type handedOver struct {
	*net.TCPConn
	pending []byte
}

// Read reads the pending bytes first, then the connection.
func (c *handedOver) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	return c.TCPConn.Read(p)
}

// WriteTo copies what is read, pending bytes first (the TCP connection's own WriteTo would
// skip them).
func (c *handedOver) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, struct{ io.Reader }{c})
}

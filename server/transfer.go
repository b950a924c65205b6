package server

import (
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Progress deadlines. A transfer is dropped when it makes no progress for Config.IdleTimeout,
// never merely because it is long: every piece written or read pushes the connection's
// deadline forward. Pieces are at most sendChunk bytes, so a client that takes longer than the
// idle timeout to accept sendChunk bytes counts as stalled.

// sendChunk is the most handed to the kernel (sendfile) or written in one call.
const sendChunk = 512 << 10

// maxExtendEvery limits how often a deadline is pushed forward: it costs a timer update, and
// a body is read in pieces as small as the client sends, a small response written right after
// its request's own extension; a quarter of the idle timeout when that is shorter. A piece
// thus has the idle timeout to go through, less at most this.
const maxExtendEvery = time.Second

// deadlineMover says when a deadline idle into the future is due to be set again.
type deadlineMover struct {
	idle time.Duration
	last time.Time // when it was last set; zero: never
}

// due returns the new deadline and true when the last one was set at least
// min(maxExtendEvery, idle/4) ago (or never).
func (d *deadlineMover) due() (time.Time, bool) {
	now := time.Now()
	if !d.last.IsZero() && now.Sub(d.last) < min(maxExtendEvery, d.idle/4) {
		return time.Time{}, false
	}
	d.last = now
	return now.Add(d.idle), true
}

// responseWriter is the http.ResponseWriter handlers see. It records the status and the bytes
// sent for the access log and the metrics, and pushes the write deadline forward as bytes go
// out. It keeps sendfile: ReadFrom hands the file to the connection's ReadFrom, in chunks.
type responseWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	write   deadlineMover
	status  int
	written int64
}

func newResponseWriter(w http.ResponseWriter, idle time.Duration) *responseWriter {
	rw := &responseWriter{ResponseWriter: w, write: deadlineMover{idle: idle}}
	rw.rc = http.NewResponseController(rw.ResponseWriter)
	rw.extend()
	return rw
}

// extend pushes the write deadline forward when it is due (deadlineMover). It is called when
// the request starts and before every piece written. The deadline stays set until net/http
// has flushed the response after the handler returned, so it bounds that flush too.
func (w *responseWriter) extend() {
	if dl, ok := w.write.due(); ok {
		w.rc.SetWriteDeadline(dl)
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var total int
	for len(p) > 0 {
		w.extend()
		piece := p[:min(len(p), sendChunk)]
		n, err := w.ResponseWriter.Write(piece)
		total += n
		w.written += int64(n)
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}

// ReadFrom sends src, which http.ServeContent passes as the file or an io.LimitedReader over
// it, in sendChunk pieces through the underlying writer's ReadFrom (sendfile for a plain
// HTTP/1.1 response), pushing the deadline forward before each.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return copyThroughPool(w, src)
	}
	base, left := src, int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		base, left = lr.R, lr.N
		defer func() { lr.N = left }()
	}
	if _, isFile := base.(*os.File); !isFile {
		// Not a file (a held small object, a store on another filesystem): no sendfile to
		// keep; chunking still bounds each deadline.
		if left < 0 {
			return copyThroughPool(w, base)
		}
		n, err := copyThroughPool(w, &io.LimitedReader{R: base, N: left})
		left -= n
		return n, err
	}
	var total int64
	for left != 0 {
		w.extend()
		want := int64(sendChunk)
		if left > 0 {
			want = min(want, left)
		}
		n, err := rf.ReadFrom(&io.LimitedReader{R: base, N: want})
		total += n
		w.written += n
		if left > 0 {
			left -= n
		}
		if err != nil || n < want {
			return total, err
		}
	}
	return total, nil
}

// copyBuffers are the buffers of copyThroughPool: a response copied without sendfile (small
// objects, mostly) would otherwise allocate io.Copy's 32 KiB each time.
var copyBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// copyThroughPool copies src to w through a pooled buffer, with w's Write.
func copyThroughPool(w io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[32 << 10]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(writerOnly{w}, src, buf[:])
}

// writerOnly hides ReadFrom, so that io.Copy uses Write.
type writerOnly struct{ io.Writer }

// progressBody is a request body that pushes the read deadline forward as bytes arrive, and
// clears it at the end of the body (the server then reads the connection in the background to
// notice a client that goes away, and a deadline there would end the request).
type progressBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	next deadlineMover
	read int64
	done bool
}

func (b *progressBody) Read(p []byte) (int, error) {
	if !b.done {
		if dl, ok := b.next.due(); ok {
			b.rc.SetReadDeadline(dl)
		}
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	if err != nil && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

func (b *progressBody) Close() error { return b.body.Close() }

package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"

	"github.com/hashstore-go/hashstore/hashstore"
)

// streamVerified sends the whole object while hashing it, holding the last piece back until
// the digest is known. If the content does not match the cid, an object that fit in the
// buffer gets an error response (nothing was sent yet); a larger one has its connection cut,
// so the client receives fewer bytes than Content-Length announced and cannot take what it
// got for the object. Either way the object is then refused.
//
// Each piece is read into one pooled buffer and hashed before any of it is sent. A large
// object on a plain HTTP/1.1 connection is sent from the file with sendfile, by the request's
// goroutine, while another goroutine hashes ahead (pipelined): the kernel then moves the bytes
// without another copy through this process, and the hashing can use a second core. Both read
// the same pages of the page cache, an instant apart; objects are never rewritten in place, so
// only a process writing into the object file in that instant could make them differ.
// Otherwise (TLS, HTTP/2, small objects, a store not on the OS filesystem) each piece is
// written from the buffer once hashed.
func (s *Server) streamVerified(w http.ResponseWriter, r *http.Request, a api, o *openObject) {
	if etagMatches(r.Header.Get("If-None-Match"), o.cid) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	v := &verifiedStream{s: s, w: w, r: r, a: a, o: o, h: s.newHasher(o.cid)}
	defer s.putHasher(v.h)
	file, isFile := o.f.(*os.File)
	rf, canSendfile := w.(io.ReaderFrom)
	if isFile && canSendfile && r.TLS == nil && r.ProtoMajor == 1 && o.size > int64(len(buf)) {
		v.pipelined(file, rf, buf)
		return
	}
	v.sequential(buf)
}

// verifiedStream is one verified GET in progress.
type verifiedStream struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	a       api
	o       *openObject
	h       *hasher
	started bool  // the status line and headers are out
	sent    int64 // body bytes sent
}

// begin sends the status line and headers, once.
func (v *verifiedStream) begin() {
	if v.started {
		return
	}
	v.started = true
	v.w.Header()["Content-Length"] = []string{strconv.FormatInt(v.o.size, 10)}
	v.w.WriteHeader(http.StatusOK)
}

// fail ends the response for err: an error response if nothing was sent yet, otherwise a cut
// connection (it panics with http.ErrAbortHandler). A mismatch is recorded and logged. A
// request whose client went away just ends.
func (v *verifiedStream) fail(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	var ce *hashstore.CorruptObjectError
	if errors.As(err, &ce) {
		v.s.reportCorrupt(v.o, ce, v.sent)
	} else {
		v.s.log.Error("reading an object", "pid", v.o.pid, "cid", v.o.cid, "offset", v.h.n, "err", err)
	}
	if v.started {
		panic(http.ErrAbortHandler) // the body stays short
	}
	if ce != nil {
		v.a.fail(v.w, v.r, v.s.corruptProblem(v.o, ce))
		return
	}
	v.a.fail(v.w, v.r, storeProblem(v.o.pid, &hashstore.OpError{Op: "retrieve object", ID: v.o.pid, Err: err}))
}

// sequential hashes and writes each piece from the buffer, in turn.
func (v *verifiedStream) sequential(buf []byte) {
	err := v.s.hashPieces(v.r.Context(), v.o.f, v.o, v.h, buf, func(piece []byte, final bool) bool {
		v.begin()
		n, err := v.w.Write(piece)
		v.sent += int64(n)
		if err == nil && final {
			v.s.integ.markVerified(v.o.cid, v.o.fp)
		}
		return err == nil
	})
	if err != nil {
		v.fail(err)
	}
}

// pipelined hashes in a goroutine of its own, which reads the file at offsets, and sends with
// sendfile from the file's own offset, up to what has been hashed (and the last piece only
// once the whole matches).
func (v *verifiedStream) pipelined(file *os.File, rf io.ReaderFrom, buf []byte) {
	type piece struct {
		n     int64
		final bool
	}
	pieces := make(chan piece, 8)
	stop := make(chan struct{})
	done := make(chan struct{})
	var herr error
	go func() {
		// The hashing keeps one OS thread for the whole object. Left to the Go scheduler it
		// hopped between threads, and so between cores, at every hand-off to the sender,
		// often onto the core of the sender or of the client; on a thread of its own the
		// kernel keeps it on one core (bench/README.md: 15-24% faster on two cores, 9% on one).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(done)
		defer close(pieces)
		herr = v.s.hashPieces(v.r.Context(), io.NewSectionReader(file, 0, 1<<62), v.o, v.h, buf, func(p []byte, final bool) bool {
			select {
			case pieces <- piece{int64(len(p)), final}:
				return true
			case <-stop:
				return false
			}
		})
	}()
	// The hasher must be gone before the buffer goes back to the pool, whatever happens here.
	defer func() {
		close(stop)
		<-done
	}()
	for p := range pieces {
		// Pieces hashed meanwhile go out in the same call.
	more:
		for !p.final {
			select {
			case q, ok := <-pieces:
				if !ok {
					break more
				}
				p.n, p.final = p.n+q.n, q.final
			default:
				break more
			}
		}
		v.begin()
		n, err := rf.ReadFrom(&io.LimitedReader{R: file, N: p.n})
		v.sent += n
		if err != nil || n < p.n {
			return // the client went away
		}
		if p.final {
			v.s.integ.markVerified(v.o.cid, v.o.fp)
			return
		}
	}
	if herr != nil {
		v.fail(herr)
	}
}

// hashPieces reads src through buf and hashes it, passing each piece to emit once it is
// hashed, until emit returns false. The last piece (the one that reaches the object's size,
// or the end of the file) is passed, with final set, only after the whole content has been
// found to match the cid; otherwise hashPieces returns the *hashstore.CorruptObjectError (or
// errChanged, or the read error) and never passes it.
func (s *Server) hashPieces(ctx context.Context, src io.Reader, o *openObject, h *hasher, buf []byte, emit func(piece []byte, final bool) bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(src, buf)
		h.write(buf[:n])
		atEnd := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !atEnd {
			return err
		}
		if atEnd || h.n >= o.size {
			if err := s.finish(ctx, src, o, h, buf, atEnd); err != nil {
				return err
			}
			emit(buf[:n], true)
			return nil
		}
		if !emit(buf[:n], false) {
			return nil
		}
	}
}

// errChanged reports a file whose size changed while it was served, though its content
// matches the cid.
var errChanged = errors.New("the object's file changed while it was read")

// finish completes the hashing of an object whose last expected piece has been read from src
// (atEnd: the file ended there): anything beyond the expected size is hashed too, through buf
// (the last piece is then not sent, so buf is free), and the digest and size are checked.
func (s *Server) finish(ctx context.Context, src io.Reader, o *openObject, h *hasher, buf []byte, atEnd bool) error {
	if !atEnd {
		var probe [1]byte
		k, err := src.Read(probe[:])
		if k > 0 {
			h.write(probe[:k])
			if err := hashAll(ctx, src, buf, h); err != nil {
				return err
			}
		} else if err != nil && err != io.EOF {
			return err
		}
	}
	if ce := h.check(); ce != nil {
		return ce
	}
	if h.n != o.size {
		return errChanged
	}
	return nil
}

package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// RetrieveObject implements hashstore.ObjectReader. The reader streams the object and seeks
// by asking for a range. With WithVerify it hashes what it serves, fetching any part skipped
// by seeking at end of file, and returns a *hashstore.CorruptObjectError there instead of
// io.EOF if the content does not match the cid, as the library's reader does. A server that
// cuts a corrupt object short is asked why, and its *hashstore.CorruptObjectError returned.
// The digest is the store algorithm the server reports (SHA-256 if it reports none).
func (c *Client) RetrieveObject(ctx context.Context, pid string, opts ...hashstore.RetrieveOption) (io.ReadSeekCloser, error) {
	r := &objectReader{c: c, ctx: ctx, pid: pid}
	resp, err := r.get(0)
	if err != nil {
		return nil, opErr("retrieve object", pid, err)
	}
	r.body = resp.Body
	r.cid = resp.Header.Get(wire.HeaderCID)
	r.size = resp.ContentLength
	if hashstore.NewRetrieveRequest(opts...).Verify {
		alg := hashstore.SHA256
		if a, err := hashstore.ParseAlgorithm(resp.Header.Get(wire.HeaderAlgorithm)); err == nil {
			alg = a
		}
		r.v = &verifier{h: alg.New()}
	}
	return r, nil
}

// objectReader reads an object from the server; see RetrieveObject. It is not safe for
// concurrent use.
type objectReader struct {
	c    *Client
	ctx  context.Context
	pid  string
	cid  string
	size int64
	body io.ReadCloser // the response being read, from offset pos; nil after a seek
	pos  int64
	v    *verifier
}

// verifier tracks the hashed prefix of the object, as the library's verifying reader does.
type verifier struct {
	h      hash.Hash
	hashed int64
	result error
}

// get asks for the object from offset off on.
func (r *objectReader) get(off int64) (*http.Response, error) {
	req, err := r.c.request(r.ctx, http.MethodGet, r.c.url(wire.Object+"/", r.pid, nil), nil)
	if err != nil {
		return nil, err
	}
	if r.c.token != "" {
		req.Header.Set(wire.HeaderVerify, "off")
	}
	want := http.StatusOK
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
		want = http.StatusPartialContent
	}
	resp, _, err := r.c.do(req, want)
	return resp, err
}

// Read implements io.Reader.
func (r *objectReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, r.atEOF()
	}
	if r.body == nil {
		resp, err := r.get(r.pos)
		if err != nil {
			return 0, opErr("retrieve object", r.pid, err)
		}
		r.body = resp.Body
	}
	n, err := r.body.Read(p)
	if v := r.v; v != nil && r.pos <= v.hashed && r.pos+int64(n) > v.hashed {
		v.h.Write(p[v.hashed-r.pos : n])
		v.hashed = r.pos + int64(n)
	}
	r.pos += int64(n)
	switch {
	case errors.Is(err, io.EOF) && r.pos >= r.size:
		return n, r.atEOF()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The server ended the body early: on purpose when what it read did not match the
		// cid. Ask it why.
		return n, opErr("retrieve object", r.pid, r.whyShort(err))
	}
	return n, err
}

// atEOF is the error at end of file: io.EOF, or without a match the corruption error.
func (r *objectReader) atEOF() error {
	v := r.v
	if v == nil {
		return io.EOF
	}
	if v.result != nil {
		return v.result
	}
	if v.hashed < r.size {
		// Hash what seeks skipped, to the end of what the server has.
		resp, err := r.get(v.hashed)
		if err != nil {
			return opErr("retrieve object", r.pid, err)
		}
		n, err := io.Copy(v.h, resp.Body)
		resp.Body.Close()
		if err != nil {
			return opErr("retrieve object", r.pid, r.whyShort(err))
		}
		v.hashed += n
	}
	sum := hex.EncodeToString(v.h.Sum(nil))
	if sum == r.cid {
		v.result = io.EOF
	} else {
		v.result = opErr("retrieve object", r.pid, &hashstore.CorruptObjectError{CID: r.cid, Actual: sum, Size: v.hashed})
	}
	return v.result
}

// whyShort asks the server about an object whose body ended early: a server that found it
// corrupt now refuses it with the details. Otherwise the original error stands.
func (r *objectReader) whyShort(orig error) error {
	req, err := r.c.request(context.WithoutCancel(r.ctx), http.MethodGet, r.c.url(wire.Object+"/", r.pid, nil), nil)
	if err != nil {
		return orig
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := r.c.hc.Do(req)
	if err != nil {
		return orig
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return fmt.Errorf("the server ended the object early at byte %d of %d: %w", r.pos, r.size, orig)
	}
	_, err = readError(resp)
	if errors.Is(err, hashstore.ErrCorrupt) {
		return err
	}
	return orig
}

// Seek implements io.Seeker. The next Read asks for the object from the new offset.
func (r *objectReader) Seek(offset int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = r.pos + offset
	case io.SeekEnd:
		pos = r.size + offset
	default:
		return r.pos, fmt.Errorf("client: seek: invalid whence %d", whence)
	}
	if pos < 0 {
		return r.pos, fmt.Errorf("client: seek: negative position %d", pos)
	}
	if pos != r.pos && r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.pos = pos
	return pos, nil
}

// Close implements io.Closer.
func (r *objectReader) Close() error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	return nil
}

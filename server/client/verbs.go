package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// StoreObject implements hashstore.ObjectWriter. The options are validated here as the
// library validates them, then the data is streamed to the server (never held in memory)
// with the expectations in headers. If r fails, the error says so as the library's does.
func (c *Client) StoreObject(ctx context.Context, r io.Reader, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
	req, err := hashstore.NewStoreRequest(opts...)
	if err == nil && r == nil {
		err = invalid("data reader is nil")
	}
	if err != nil {
		return hashstore.ObjectMetadata{}, opErr("store object", req.PID, err)
	}
	var src io.Reader = r
	if req.ExpectedSize >= 0 {
		src = io.LimitReader(r, req.ExpectedSize+1) // as the library: one byte past, no more
	}
	method, u := http.MethodPost, c.url(wire.Object, "", nil)
	if req.PID != "" {
		method, u = http.MethodPut, c.url(wire.Object+"/", req.PID, nil)
	}
	hr, body, done, err := c.upload(ctx, method, u, src)
	if err != nil {
		return hashstore.ObjectMetadata{}, opErr("store object", req.PID, err)
	}
	defer done()
	for _, ck := range req.Checksums {
		hr.Header.Add(wire.HeaderChecksum, wire.FormatChecksum(ck))
	}
	if req.ExpectedSize >= 0 {
		hr.Header.Set(wire.HeaderSize, strconv.FormatInt(req.ExpectedSize, 10))
	}
	for _, a := range req.AdditionalAlgorithms {
		hr.Header.Add(wire.HeaderAdditionalAlgorithm, string(a))
	}
	resp, eb, err := c.do(hr, http.StatusCreated)
	if body.err != nil {
		return hashstore.ObjectMetadata{}, opErr("store object", req.PID, fmt.Errorf("reading the data: %w", body.err))
	}
	if err != nil {
		var meta hashstore.ObjectMetadata
		if eb != nil && eb.Object != nil {
			meta = *eb.Object
		}
		return meta, opErr("store object", req.PID, err)
	}
	var meta hashstore.ObjectMetadata
	if err := decode(resp, &meta); err != nil {
		return hashstore.ObjectMetadata{}, opErr("store object", req.PID, err)
	}
	return meta, nil
}

// upload builds a streaming upload request. Its body is r, read by the transport; if r fails,
// or ctx ends, the body ends with the wire.TrailerAbort trailer, so that the server discards
// what it received and answers only once nothing is left, and the request is not cut. The
// request itself is cancelled only abortGrace after ctx ends (for a server that does not
// answer). Call done when the response has been read.
func (c *Client) upload(ctx context.Context, method, u string, r io.Reader) (*http.Request, *uploadBody, func(), error) {
	reqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(abortGrace, cancel) })
	done := func() { stop(); cancel() }
	hr, err := c.request(reqCtx, method, u, nil)
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	body := &uploadBody{r: r, ctx: ctx, trailer: http.Header{wire.TrailerAbort: nil}}
	hr.Body = io.NopCloser(body)
	hr.ContentLength = -1
	hr.Trailer = body.trailer
	return hr, body, done, nil
}

// abortGrace is how long an abandoned upload waits for the server's answer.
const abortGrace = 10 * time.Second

// uploadBody is the caller's reader as a request body; see upload. err is the reader's error
// (or ctx's), which the caller reports as the library would, whatever the server answered.
type uploadBody struct {
	r       io.Reader
	ctx     context.Context
	trailer http.Header
	err     error
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, io.EOF
	}
	if err := b.ctx.Err(); err != nil {
		return 0, b.abort(err)
	}
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		return n, b.abort(err)
	}
	return n, err
}

func (b *uploadBody) abort(err error) error {
	b.err = err
	b.trailer.Set(wire.TrailerAbort, strconv.Quote(err.Error()))
	return io.EOF
}

// DeleteIfInvalidObject implements hashstore.ObjectWriter.
func (c *Client) DeleteIfInvalidObject(ctx context.Context, meta hashstore.ObjectMetadata, checksum string, algorithm hashstore.Algorithm, size int64) error {
	data, err := json.Marshal(wire.DeleteIfInvalidRequest{Object: meta, Checksum: checksum, Algorithm: algorithm, Size: size})
	if err != nil {
		return opErr("delete invalid object", meta.CID, err)
	}
	return c.noContent(ctx, http.MethodPost, c.url(wire.DeleteIfInvalid, "", nil), bytes.NewReader(data), "delete invalid object", meta.CID)
}

// DeleteObject implements hashstore.ObjectWriter.
func (c *Client) DeleteObject(ctx context.Context, pid string) error {
	return c.noContent(ctx, http.MethodDelete, c.url(wire.Object+"/", pid, nil), nil, "delete object", pid)
}

// TagObject implements hashstore.Tagger.
func (c *Client) TagObject(ctx context.Context, pid, cid string) error {
	return c.noContent(ctx, http.MethodPost, c.url(wire.Tag+"/", pid, url.Values{wire.QueryCID: {cid}}), nil, "tag object", pid)
}

// noContent sends a request whose success is 204.
func (c *Client) noContent(ctx context.Context, method, u string, body io.Reader, op, id string) error {
	req, err := c.request(ctx, method, u, body)
	if err != nil {
		return opErr(op, id, err)
	}
	resp, _, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return opErr(op, id, err)
	}
	resp.Body.Close()
	return nil
}

// GetHexDigest implements hashstore.ObjectReader.
func (c *Client) GetHexDigest(ctx context.Context, pid string, algorithm hashstore.Algorithm, opts ...hashstore.DigestOption) (string, error) {
	q := url.Values{wire.QueryAlgorithm: {string(algorithm)}}
	if hashstore.NewDigestRequest(opts...).Reread {
		q.Set(wire.QueryReread, "true")
	}
	var out wire.DigestResponse
	if err := c.getJSON(ctx, c.url(wire.Digest+"/", pid, q), &out, nil); err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	return out.HexDigest, nil
}

// FindObject implements hashstore.ObjectReader. For broken references it returns what the
// server could determine together with the error, as the library does.
func (c *Client) FindObject(ctx context.Context, pid string) (hashstore.ObjectInfo, error) {
	var info hashstore.ObjectInfo
	var eb *wire.ErrorResponse
	if err := c.getJSON(ctx, c.url(wire.Find+"/", pid, nil), &info, &eb); err != nil {
		info = hashstore.ObjectInfo{PID: pid}
		if eb != nil && eb.Info != nil {
			info = c.joinInfo(*eb.Info)
		}
		return info, opErr("find object", pid, err)
	}
	return c.joinInfo(info), nil
}

// getJSON GETs u and decodes the 200 body into v; on failure it sets *eb (if not nil) to the
// error response.
func (c *Client) getJSON(ctx context.Context, u string, v any, eb **wire.ErrorResponse) error {
	req, err := c.request(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, body, err := c.do(req, http.StatusOK)
	if err != nil {
		if eb != nil {
			*eb = body
		}
		return err
	}
	return decode(resp, v)
}

// metadataQuery is the formatId parameter of a metadata request, if the options give one.
func metadataQuery(opts []hashstore.MetadataOption) (url.Values, error) {
	req, err := hashstore.NewMetadataRequest(opts...)
	if err != nil || req.FormatID == "" {
		return nil, err
	}
	return url.Values{wire.QueryFormatID: {req.FormatID}}, nil
}

// StoreMetadata implements hashstore.MetadataStore. The document is streamed to the server.
func (c *Client) StoreMetadata(ctx context.Context, pid string, r io.Reader, opts ...hashstore.MetadataOption) (string, error) {
	if err := hashstore.CheckIdentifier("pid", pid); err != nil {
		return "", opErr("store metadata", pid, err)
	}
	q, err := metadataQuery(opts)
	if err == nil && r == nil {
		err = invalid("metadata reader is nil")
	}
	if err != nil {
		return "", opErr("store metadata", pid, err)
	}
	req, body, done, err := c.upload(ctx, http.MethodPut, c.url(wire.Metadata+"/", pid, q), r)
	if err != nil {
		return "", opErr("store metadata", pid, err)
	}
	defer done()
	resp, _, err := c.do(req, http.StatusCreated)
	if body.err != nil {
		return "", opErr("store metadata", pid, fmt.Errorf("reading the document: %w", body.err))
	}
	if err != nil {
		return "", opErr("store metadata", pid, err)
	}
	var out wire.MetadataResponse
	if err := decode(resp, &out); err != nil {
		return "", opErr("store metadata", pid, err)
	}
	return c.join(out.Path), nil
}

// RetrieveMetadata implements hashstore.MetadataStore. The document is read whole (metadata
// documents are small) and returned as a seekable reader.
func (c *Client) RetrieveMetadata(ctx context.Context, pid string, opts ...hashstore.MetadataOption) (io.ReadSeekCloser, error) {
	q, err := metadataQuery(opts)
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	req, err := c.request(ctx, http.MethodGet, c.url(wire.Metadata+"/", pid, q), nil)
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	resp, _, err := c.do(req, http.StatusOK)
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// DeleteMetadata implements hashstore.MetadataStore.
func (c *Client) DeleteMetadata(ctx context.Context, pid, formatID string) error {
	u := c.url(wire.Metadata+"/", pid, url.Values{wire.QueryFormatID: {formatID}})
	return c.noContent(ctx, http.MethodDelete, u, nil, "delete metadata", pid)
}

// DeleteAllMetadata implements hashstore.MetadataStore.
func (c *Client) DeleteAllMetadata(ctx context.Context, pid string) error {
	return c.noContent(ctx, http.MethodDelete, c.url(wire.Metadata+"/", pid, nil), nil, "delete metadata", pid)
}

package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// The native routes: one per HashStore verb, with JSON results and errors (package wire).
// Reads follow the read policy; writes need the write token. Paths in results are relative to
// the store's root.

// nativeGet is RetrieveObject (GET and HEAD). A client holding the write token may ask for
// the bytes on disk without the server's verification (wire.HeaderVerify), to see what a
// corrupt object holds or to verify end to end itself.
func (s *Server) nativeGet(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	o, meta := s.readObject(w, r, a, pid)
	if o == nil {
		return
	}
	defer o.f.Close()
	raw := r.Header.Get(wire.HeaderVerify) == "off" && s.authorised(r)
	s.sendObject(w, r, a, o, meta, raw)
}

// nativeStore is StoreObject: PUT with a pid, POST without. The body is the object; the
// expectations come in headers (wire.HeaderChecksum, HeaderSize, HeaderAdditionalAlgorithm).
// 201 with the ObjectMetadata.
func (s *Server) nativeStore(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	var opts []hashstore.StoreOption
	if r.Method == http.MethodPut {
		opts = append(opts, hashstore.WithPID(pid))
	}
	for _, v := range r.Header.Values(wire.HeaderChecksum) {
		c, err := wire.ParseChecksum(v)
		if err != nil {
			a.fail(w, r, storeProblem(pid, &hashstore.OpError{Op: "store object", ID: pid, Err: err}))
			return
		}
		opts = append(opts, hashstore.WithChecksum(c.Value, c.Algorithm))
	}
	if v := r.Header.Get(wire.HeaderSize); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			a.fail(w, r, storeProblem(pid, &hashstore.OpError{Op: "store object", ID: pid,
				Err: fmt.Errorf("%w: %s %q is not a number", hashstore.ErrInvalidArgument, wire.HeaderSize, v)}))
			return
		}
		opts = append(opts, hashstore.WithExpectedSize(n))
	}
	for _, v := range r.Header.Values(wire.HeaderAdditionalAlgorithm) {
		opts = append(opts, hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(v)))
	}
	meta, err := s.store.StoreObject(r.Context(), &abortableBody{r: r}, opts...)
	if err != nil {
		p := storeProblem(pid, err)
		if meta.CID != "" {
			p.object = &meta
		}
		a.fail(w, r, p)
		return
	}
	writeJSON(w, r, http.StatusCreated, meta)
}

// nativeDelete is DeleteObject. 204.
func (s *Server) nativeDelete(w http.ResponseWriter, r *http.Request, pid string) {
	if err := s.store.DeleteObject(r.Context(), pid); err != nil {
		native{s}.fail(w, r, storeProblem(pid, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nativeFind is FindObject, with paths relative to the store's root. For broken references
// the error response carries what could be determined.
func (s *Server) nativeFind(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	info, err := s.store.FindObject(r.Context(), pid)
	if err == nil || errors.Is(err, hashstore.ErrOrphanRefs) {
		if _, p := s.authorizeRead(r, pid); p != nil {
			a.fail(w, r, p)
			return
		}
	}
	rel := s.relativeInfo(info)
	if err != nil {
		p := storeProblem(pid, err)
		if info.PIDRefsPath != "" {
			p.info = &rel
		}
		a.fail(w, r, p)
		return
	}
	writeJSON(w, r, http.StatusOK, rel)
}

// relativeInfo makes the paths of info relative to the store's root.
func (s *Server) relativeInfo(info hashstore.ObjectInfo) hashstore.ObjectInfo {
	info.ObjectPath = s.relative(info.ObjectPath)
	info.CIDRefsPath = s.relative(info.CIDRefsPath)
	info.PIDRefsPath = s.relative(info.PIDRefsPath)
	info.SysmetaPath = s.relative(info.SysmetaPath)
	return info
}

// nativeDigest is GetHexDigest (?algorithm=ALG, &reread=true). It runs in the write pool:
// the store hashes with its parallel pipeline, which holds more memory than a read buffer.
func (s *Server) nativeDigest(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	q := r.URL.Query()
	if _, p := s.authorizeRead(r, pid); p != nil {
		a.fail(w, r, p)
		return
	}
	alg := hashstore.Algorithm(q.Get(wire.QueryAlgorithm))
	var opts []hashstore.DigestOption
	if reread, _ := strconv.ParseBool(q.Get(wire.QueryReread)); reread {
		opts = append(opts, hashstore.WithReread())
	}
	d, err := s.store.GetHexDigest(r.Context(), pid, alg, opts...)
	if err != nil {
		a.fail(w, r, storeProblem(pid, err))
		return
	}
	canon, _ := hashstore.ParseAlgorithm(string(alg))
	writeJSON(w, r, http.StatusOK, wire.DigestResponse{PID: pid, Algorithm: canon, HexDigest: d})
}

// nativeTag is TagObject (?cid=CID). 204.
func (s *Server) nativeTag(w http.ResponseWriter, r *http.Request, pid string) {
	if err := s.store.TagObject(r.Context(), pid, r.URL.Query().Get(wire.QueryCID)); err != nil {
		native{s}.fail(w, r, storeProblem(pid, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// metadataOptions reads the formatId parameter: absent means the store's default namespace.
func metadataOptions(r *http.Request) []hashstore.MetadataOption {
	if q := r.URL.Query(); q.Has(wire.QueryFormatID) {
		return []hashstore.MetadataOption{hashstore.WithFormatID(q.Get(wire.QueryFormatID))}
	}
	return nil
}

// nativeMetadataGet is RetrieveMetadata. The read policy is the pid's system metadata's.
func (s *Server) nativeMetadataGet(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	rc, err := s.store.RetrieveMetadata(r.Context(), pid, metadataOptions(r)...)
	if err != nil {
		a.fail(w, r, storeProblem(pid, err))
		return
	}
	defer rc.Close()
	if _, p := s.authorizeRead(r, pid); p != nil {
		a.fail(w, r, p)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", modTime(rc), rc)
}

// maxMetadataBytes bounds a metadata document stored through the native route (it is
// streamed to disk, not held in memory; the bound is against filling the disk by mistake).
const maxMetadataBytes = 64 << 20

// errTooLarge stops a metadata upload beyond maxMetadataBytes.
var errTooLarge = fmt.Errorf("%w: the document is larger than %d bytes", hashstore.ErrInvalidArgument, maxMetadataBytes)

// nativeMetadataPut is StoreMetadata. 201 with the document's path.
func (s *Server) nativeMetadataPut(w http.ResponseWriter, r *http.Request, pid string) {
	a := native{s}
	body := &cappedReader{r: &abortableBody{r: r}, left: maxMetadataBytes}
	path, err := s.store.StoreMetadata(r.Context(), pid, body, metadataOptions(r)...)
	if err != nil {
		a.fail(w, r, storeProblem(pid, err))
		return
	}
	req, _ := hashstore.NewMetadataRequest(metadataOptions(r)...)
	writeJSON(w, r, http.StatusCreated, wire.MetadataResponse{PID: pid, FormatID: req.FormatID, Path: s.relative(path)})
}

// nativeMetadataDelete is DeleteMetadata with ?formatId=, DeleteAllMetadata without. 204.
func (s *Server) nativeMetadataDelete(w http.ResponseWriter, r *http.Request, pid string) {
	var err error
	if q := r.URL.Query(); q.Has(wire.QueryFormatID) {
		err = s.store.DeleteMetadata(r.Context(), pid, q.Get(wire.QueryFormatID))
	} else {
		err = s.store.DeleteAllMetadata(r.Context(), pid)
	}
	if err != nil {
		native{s}.fail(w, r, storeProblem(pid, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nativeDeleteIfInvalid is DeleteIfInvalidObject, with a wire.DeleteIfInvalidRequest body.
// 204 when the object is valid.
func (s *Server) nativeDeleteIfInvalid(w http.ResponseWriter, r *http.Request, _ string) {
	a := native{s}
	var req wire.DeleteIfInvalidRequest
	data, err := readCapped(r.Body, 1<<20)
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil {
		a.fail(w, r, &problem{status: http.StatusBadRequest, kind: "invalid_argument", msg: "the request body: " + err.Error()})
		return
	}
	if err := s.store.DeleteIfInvalidObject(r.Context(), req.Object, req.Checksum, req.Algorithm, req.Size); err != nil {
		a.fail(w, r, storeProblem(req.Object.CID, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cappedReader fails once more than left bytes have been read.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// abortableBody is a request body that a client can abandon with the wire.TrailerAbort
// trailer: its end is then an error, so that the store discards what it read instead of
// keeping a truncated object, before the response tells the client so.
type abortableBody struct{ r *http.Request }

func (b *abortableBody) Read(p []byte) (int, error) {
	n, err := b.r.Body.Read(p)
	if err == io.EOF {
		if why := b.r.Trailer.Get(wire.TrailerAbort); why != "" {
			return n, fmt.Errorf("the client abandoned the upload: %s", why)
		}
	}
	return n, err
}

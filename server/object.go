package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// openObject is an object opened for reading: the file (as the store returns it without
// verification) and what identifies this version of it.
type openObject struct {
	pid, cid string
	f        io.ReadSeekCloser
	size     int64
	modTime  time.Time
	fp       fingerprint
	hdr      *cidHeaders // made by the resolution cache; nil: made when needed
	res      *resolution // the remembered resolution whose held file f reads; nil if none
}

// open opens the object pid references (through the resolution cache when it can). Errors
// are the store's.
func (s *Server) open(ctx context.Context, pid string) (*openObject, error) {
	if o := s.openCached(pid); o != nil {
		return o, nil
	}
	o, err := s.openFromStore(ctx, pid)
	if err == nil {
		s.remember(ctx, pid, o)
	}
	return o, err
}

// openFromStore asks the store for the object.
func (s *Server) openFromStore(ctx context.Context, pid string) (*openObject, error) {
	f, err := s.store.RetrieveObject(ctx, pid)
	if err != nil {
		return nil, err
	}
	cid := s.cidOf(f)
	if cid == "" {
		info, err := s.store.FindObject(ctx, pid)
		if err != nil {
			f.Close()
			return nil, renameOp(err, "retrieve object")
		}
		cid = info.CID
	}
	o := &openObject{pid: pid, cid: cid, f: f}
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		fi, err := st.Stat()
		if err != nil {
			f.Close()
			return nil, &hashstore.OpError{Op: "retrieve object", ID: pid, Err: err}
		}
		o.size, o.modTime, o.fp = fi.Size(), fi.ModTime(), fingerprintOf(fi)
		return o, nil
	}
	n, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, &hashstore.OpError{Op: "retrieve object", ID: pid, Err: err}
	}
	o.size, o.fp = n, fingerprint{size: n}
	return o, nil
}

// cidOf reads the cid from the name of an object's file, which the layout makes the cid split
// into shard directories under objects/ (docs/FORMAT.md), or returns "" when the reader is not
// such a file. It saves looking the pid up a second time (FindObject) on every read.
func (s *Server) cidOf(f io.Reader) string {
	named, ok := f.(interface{ Name() string })
	if !ok || s.root == "" {
		return ""
	}
	rel, ok := strings.CutPrefix(filepath.ToSlash(named.Name()), filepath.ToSlash(s.root)+"/objects/")
	if !ok {
		return ""
	}
	cid := strings.ReplaceAll(rel, "/", "")
	if len(cid) != s.alg.New().Size()*2 || strings.Trim(cid, "0123456789abcdef") != "" {
		return ""
	}
	return cid
}

// readObject is the shared part of every object read: find the pid, check the read policy,
// open the object and check it against its system metadata. It answers the request itself
// when something is wrong and then returns nil.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request, a api, pid string) (*openObject, *objectMeta) {
	o, err := s.open(r.Context(), pid)
	if err != nil {
		a.fail(w, r, storeProblem(pid, err))
		return nil, nil
	}
	meta, p := s.authorizeRead(r, pid)
	if p != nil {
		o.f.Close()
		a.fail(w, r, p)
		return nil, nil
	}
	if !sizeAgrees(meta, o) {
		o.f.Close()
		s.log.Error("object size differs from its system metadata", "pid", pid, "cid", o.cid, "file_size", o.size, "sysmeta_size", meta.size)
		a.fail(w, r, &problem{d1: exServiceFailure, kind: "io", status: http.StatusInternalServerError, pid: pid,
			msg: fmt.Sprintf("the stored object has %d bytes but its system metadata says %d", o.size, meta.size)})
		return nil, nil
	}
	return o, meta
}

// openToAll reports whether the read policy lets a caller read every object whatever its
// system metadata says: reads are open to all, or the caller holds the write token.
func (s *Server) openToAll(authorised bool) bool {
	return s.cfg.ReadAccess == ReadAll || authorised
}

// readable reports whether a caller may read an object with system metadata meta (nil: none).
func (s *Server) readable(meta *objectMeta, authorised bool) bool {
	return s.openToAll(authorised) || (meta != nil && meta.public)
}

// sizeAgrees reports whether an object's file has the size its system metadata (if any) says.
func sizeAgrees(meta *objectMeta, o *openObject) bool { return meta == nil || meta.size == o.size }

// renameOp gives a store error the name of another operation that failed the same way (the
// server finds a pid before retrieving it; the caller asked to retrieve it).
func renameOp(err error, op string) error {
	var oe *hashstore.OpError
	if errors.As(err, &oe) {
		return &hashstore.OpError{Op: op, ID: oe.ID, Err: oe.Err}
	}
	return err
}

// authorizeRead applies the read policy to pid and returns its system metadata (nil when it
// has none, or when it cannot be read and the policy does not need it). An identifier the
// store cannot hold passes: the store refuses it, in its own words.
func (s *Server) authorizeRead(r *http.Request, pid string) (*objectMeta, *problem) {
	if hashstore.CheckIdentifier("pid", pid) != nil {
		return nil, nil
	}
	meta, err := s.sysmetaOf(r.Context(), pid)
	authorised := s.authorised(r)
	open := s.openToAll(authorised)
	if err != nil {
		if !open || !errors.Is(err, errBadSysmeta) {
			s.log.Error("reading system metadata", "pid", pid, "err", err)
			return nil, &problem{d1: exServiceFailure, kind: "io", status: http.StatusInternalServerError, pid: pid,
				msg: "the system metadata of this object cannot be read"}
		}
		s.log.Warn("serving without system metadata headers", "pid", pid, "err", err)
		return nil, nil
	}
	if !s.readable(meta, authorised) {
		s.metrics.rejected.WithLabelValues("read", "auth").Inc()
		return nil, &problem{d1: exNotAuthorized, kind: "unauthorized", pid: pid,
			msg: "this object's system metadata does not grant read access to the public"}
	}
	return meta, nil
}

// setObjectHeaders sets what describes the object on a GET or HEAD: the system metadata's
// headers, the cid as a strong ETag and as digests (RFC 9530 Repr-Digest, and the older RFC
// 3230 Digest that download tools read), and Last-Modified. It returns the modification time
// it announced. Values are assigned, not Set: they are made once per object (cidHeaders,
// objectMeta) and shared, read-only, by its responses.
func (s *Server) setObjectHeaders(w http.ResponseWriter, o *openObject, meta *objectMeta) time.Time {
	return s.objectHeaders(w.Header(), o, meta)
}

// objectHeaders is setObjectHeaders into h.
func (s *Server) objectHeaders(h http.Header, o *openObject, meta *objectMeta) time.Time {
	c := o.hdr
	if c == nil {
		c = s.cidHeadersOf(o.cid)
	}
	mod := o.modTime
	var lastModified []string
	if meta != nil {
		for k, v := range meta.header {
			h[k] = v
		}
		if !meta.modified.IsZero() {
			mod, lastModified = meta.modified, meta.lastModified
		}
		if !meta.public {
			h["Cache-Control"] = privateNoCache
		}
	} else {
		h["Content-Type"] = octetStream
		h["DataONE-Checksum"] = c.checksum
	}
	if lastModified == nil && !mod.IsZero() {
		lastModified = []string{mod.UTC().Format(http.TimeFormat)}
	}
	if lastModified != nil {
		h["Last-Modified"] = lastModified
	}
	h["Etag"] = c.etag
	h[headerCID] = c.cid
	h[headerAlgorithm] = c.alg
	h["Accept-Ranges"] = acceptBytes
	if c.reprDigest != nil {
		h["Repr-Digest"] = c.reprDigest
		h["Digest"] = c.digest
	}
	return mod
}

// Header values and keys (canonical, as net/http looks them up) shared by responses.
var (
	headerCID       = http.CanonicalHeaderKey(wire.HeaderCID)
	headerAlgorithm = http.CanonicalHeaderKey(wire.HeaderAlgorithm)
	privateNoCache  = []string{"private, no-cache"}
	octetStream     = []string{"application/octet-stream"}
	acceptBytes     = []string{"bytes"}
)

// cidHeaders are the header values an object's cid gives its responses.
type cidHeaders struct {
	etag, cid, alg, checksum []string
	reprDigest, digest       []string // nil for an algorithm without an HTTP digest name
	fast                     atomic.Pointer[fastHeader]
}

func (s *Server) cidHeadersOf(cid string) *cidHeaders {
	c := &cidHeaders{etag: []string{`"` + cid + `"`}, cid: []string{cid}, alg: []string{string(s.alg)},
		checksum: []string{string(s.alg) + "," + cid}}
	if name, ok := httpDigestNames[s.alg]; ok {
		if raw, err := hex.DecodeString(cid); err == nil {
			b64 := base64.StdEncoding.EncodeToString(raw)
			c.reprDigest = []string{name + "=:" + b64 + ":"}
			c.digest = []string{strings.ToUpper(name) + "=" + b64}
		}
	}
	return c
}

// httpDigestNames are the HTTP digest names of the store algorithms that have one.
var httpDigestNames = map[hashstore.Algorithm]string{hashstore.SHA256: "sha-256", hashstore.SHA512: "sha-512"}

// sendObject sends an opened object, honouring Range and conditional headers. Without
// verification (raw, or VerifyOff) the file goes to http.ServeContent, which uses sendfile.
// With it, a full GET streams through streamVerified; a Range request is sent from the file
// once the whole object has been verified (see integrity), since a range alone cannot be.
func (s *Server) sendObject(w http.ResponseWriter, r *http.Request, a api, o *openObject, meta *objectMeta, raw bool) {
	if !raw {
		if ce := s.integ.suspected(o.cid, o.fp); ce != nil {
			a.fail(w, r, s.corruptProblem(o, ce))
			return
		}
	}
	mod := s.setObjectHeaders(w, o, meta)
	if o.size <= int64(s.cfg.BufferSize) {
		s.corkResponse(r)
	}
	switch {
	case raw || s.cfg.Verify == VerifyOff || r.Method == http.MethodHead:
		http.ServeContent(w, r, "", mod, o.f)
	case r.Header.Get("Range") != "":
		err := s.integ.verifyWhole(r.Context(), o.cid, o.fp, func() error { return s.hashWhole(r.Context(), o) })
		var ce *hashstore.CorruptObjectError
		switch {
		case errors.As(err, &ce):
			a.fail(w, r, s.corruptProblem(o, ce))
		case err != nil:
			a.fail(w, r, storeProblem(o.pid, &hashstore.OpError{Op: "retrieve object", ID: o.pid, Err: err}))
		default:
			http.ServeContent(w, r, "", mod, o.f)
		}
	default:
		s.streamVerified(w, r, a, o)
	}
}

// corruptProblem is the answer for an object that does not match its cid.
func (s *Server) corruptProblem(o *openObject, ce *hashstore.CorruptObjectError) *problem {
	p := storeProblem(o.pid, &hashstore.OpError{Op: "retrieve object", ID: o.pid, Err: ce})
	p.msg = "the stored object does not match its checksum (cid " + o.cid + "); it is refused until it is repaired"
	p.d1 = exServiceFailure
	return p
}

// reportCorrupt records and logs an object found not to match its cid.
func (s *Server) reportCorrupt(o *openObject, ce *hashstore.CorruptObjectError, sent int64) {
	s.integ.corrupt(o.cid, o.fp, ce)
	s.log.Error("object does not match its cid: refused until its file changes",
		"pid", o.pid, "cid", o.cid, "actual", ce.Actual, "size", ce.Size, "bytes_sent", sent)
}

// hashWhole hashes the whole object, recording the outcome in the integrity state.
func (s *Server) hashWhole(ctx context.Context, o *openObject) error {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	h := s.newHasher(o.cid)
	defer s.putHasher(h)
	var src io.Reader
	if ra, ok := o.f.(io.ReaderAt); ok {
		src = io.NewSectionReader(ra, 0, 1<<62)
	} else {
		if _, err := o.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		src = o.f
		defer o.f.Seek(0, io.SeekStart)
	}
	if err := hashAll(ctx, src, buf, h); err != nil {
		return err
	}
	if ce := h.check(); ce != nil {
		s.reportCorrupt(o, ce, 0)
		return ce
	}
	s.integ.markVerified(o.cid, o.fp)
	return nil
}

// etagMatches reports whether an If-None-Match header names the cid's ETag (or is "*").
func etagMatches(header, cid string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == "*" || t == `"`+cid+`"` {
			return true
		}
	}
	return false
}

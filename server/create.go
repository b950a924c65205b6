package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// d1Create is MNStorage.create: a multipart body (form-data or mixed) with the parts pid,
// object and sysmeta, in any order. The object part is streamed into the store, never held
// in memory; the system metadata document is (it must be parsed), within MaxSysmetaBytes.
//
//   - sysmeta before object: the object is stored under the pid with the checksum and size
//     the document declares, so a mismatch is found while it streams and nothing is kept.
//   - object before sysmeta (DataONE's Python client sends pid, object, sysmeta): the object
//     is stored untagged, then checked against the document with DeleteIfInvalidObject
//     (which removes it on a mismatch) and only then tagged.
//
// Either way the document is stored last, and any failure removes what this request stored,
// so a failed create leaves nothing behind: no object, no tag, no document.
func (s *Server) d1Create(w http.ResponseWriter, r *http.Request, _ string) {
	a := dataone{s, callCreate}
	c := &creation{s: s, ctx: r.Context()}
	if p := c.run(r); p != nil {
		c.rollback()
		if p.pid == "" {
			p.pid = c.pid
		}
		a.fail(w, r, p)
		return
	}
	type identifier struct {
		XMLName xml.Name `xml:"d1:identifier"`
		NS      string   `xml:"xmlns:d1,attr"`
		Value   string   `xml:",chardata"`
	}
	writeXML(w, identifier{NS: typesV1, Value: c.pid})
}

// creation is the state of one create.
type creation struct {
	s        *Server
	ctx      context.Context
	pid      string // from the pid part, or the document's identifier
	pidPart  bool
	doc      *sysmeta.Document
	docBytes []byte
	sawObj   bool
	untagged *hashstore.ObjectMetadata // stored by this request, not yet tagged
	tagged   bool                      // the pid was tagged by this request
}

// maxPIDPart bounds the pid part: DataONE pids have at most 800 characters.
const maxPIDPart = 4 << 10

func (c *creation) run(r *http.Request) *problem {
	mr, err := r.MultipartReader()
	if err != nil {
		return &problem{d1: exInvalidRequest, msg: "the body must be multipart/form-data (or multipart/mixed) with the parts pid, object and sysmeta: " + err.Error()}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &problem{d1: exInvalidRequest, msg: "reading the multipart body: " + err.Error()}
		}
		p := c.part(part)
		part.Close()
		if p != nil {
			return p
		}
	}
	switch {
	case c.doc == nil:
		return &problem{d1: exInvalidRequest, msg: "the sysmeta part is missing"}
	case !c.sawObj:
		return &problem{d1: exInvalidRequest, msg: "the object part is missing"}
	}
	if c.untagged != nil {
		if p := c.validateAndTag(); p != nil {
			return p
		}
	}
	if _, err := c.s.store.StoreMetadata(c.ctx, c.pid, bytes.NewReader(c.docBytes)); err != nil {
		return storeProblem(c.pid, err)
	}
	return nil
}

// part handles one part of the body.
func (c *creation) part(part *multipart.Part) *problem {
	switch name := partName(part); name {
	case "pid":
		if c.pidPart {
			return &problem{d1: exInvalidRequest, msg: "more than one pid part"}
		}
		data, err := readCapped(part, maxPIDPart)
		if err != nil {
			return &problem{d1: exInvalidRequest, msg: "the pid part: " + err.Error()}
		}
		c.pidPart = true
		return c.setPID(string(data), "the pid part")
	case "sysmeta":
		if c.doc != nil {
			return &problem{d1: exInvalidRequest, msg: "more than one sysmeta part"}
		}
		data, err := readCapped(part, c.s.cfg.MaxSysmetaBytes)
		if err != nil {
			c.s.metrics.uploadsBad.WithLabelValues("sysmeta").Inc()
			return &problem{d1: exInvalidSystemMetadata, msg: "the sysmeta part: " + err.Error()}
		}
		doc, err := sysmeta.DecodeDocument(data)
		if err != nil {
			c.s.metrics.uploadsBad.WithLabelValues("sysmeta").Inc()
			return &problem{d1: exInvalidSystemMetadata, msg: err.Error()}
		}
		if _, err := hashstore.ParseAlgorithm(doc.Checksum.Algorithm); err != nil {
			c.s.metrics.uploadsBad.WithLabelValues("sysmeta").Inc()
			return &problem{d1: exInvalidSystemMetadata, msg: "the system metadata's checksum algorithm: " + err.Error()}
		}
		c.doc, c.docBytes = doc, data
		return c.setPID(doc.Identifier, "the system metadata's identifier")
	case "object":
		if c.sawObj {
			return &problem{d1: exInvalidRequest, msg: "more than one object part"}
		}
		c.sawObj = true
		return c.object(part)
	default:
		return &problem{d1: exInvalidRequest, msg: fmt.Sprintf("unexpected part %q (expected pid, object, sysmeta)", name)}
	}
}

// setPID records the pid from one source, refusing a second source that disagrees, and
// refuses a pid that is already in the store before any object byte is read.
func (c *creation) setPID(pid, source string) *problem {
	if c.pid != "" && pid != c.pid {
		c.s.metrics.uploadsBad.WithLabelValues("sysmeta").Inc()
		return &problem{d1: exInvalidSystemMetadata, msg: fmt.Sprintf("%s %q differs from the pid %q", source, pid, c.pid)}
	}
	if c.pid != "" {
		return nil
	}
	if err := hashstore.CheckIdentifier("pid", pid); err != nil {
		return &problem{d1: exInvalidRequest, pid: pid, msg: err.Error()}
	}
	c.pid = pid
	if !c.sawObj {
		return c.unused()
	}
	return nil
}

// unused refuses a pid the store already has (IdentifierNotUnique), so that a large object is
// not transferred for nothing. The store checks again when it tags.
func (c *creation) unused() *problem {
	_, err := c.s.store.FindObject(c.ctx, c.pid)
	if errors.Is(err, hashstore.ErrNotFound) {
		return nil
	}
	if err == nil || errors.Is(err, hashstore.ErrOrphanRefs) {
		c.s.metrics.uploadsBad.WithLabelValues("duplicate").Inc()
		return &problem{d1: exIdentifierNotUnique, pid: c.pid, msg: "the pid is already in use"}
	}
	return storeProblem(c.pid, err)
}

// object stores the object part: under the pid, checked as it streams, when the document
// came first; untagged otherwise.
func (c *creation) object(part io.Reader) *problem {
	if c.doc == nil {
		meta, err := c.s.store.StoreObject(c.ctx, part)
		if err != nil {
			return c.storeFailed(err)
		}
		c.untagged = &meta
		return nil
	}
	alg, _ := hashstore.ParseAlgorithm(c.doc.Checksum.Algorithm)
	_, err := c.s.store.StoreObject(c.ctx, part, hashstore.WithPID(c.pid),
		hashstore.WithChecksum(c.doc.Checksum.Value, alg), hashstore.WithExpectedSize(int64(c.doc.Size)))
	if err != nil {
		return c.storeFailed(err)
	}
	c.tagged = true
	return nil
}

// validateAndTag checks an untagged object against the document and tags it.
func (c *creation) validateAndTag() *problem {
	meta := *c.untagged
	alg, _ := hashstore.ParseAlgorithm(c.doc.Checksum.Algorithm)
	if err := c.s.store.DeleteIfInvalidObject(c.ctx, meta, c.doc.Checksum.Value, alg, int64(c.doc.Size)); err != nil {
		if errors.Is(err, hashstore.ErrSizeMismatch) || errors.Is(err, hashstore.ErrChecksumMismatch) {
			c.untagged = nil // DeleteIfInvalidObject removed it (unless some pid uses it)
		}
		return c.storeFailed(err)
	}
	if err := c.s.store.TagObject(c.ctx, c.pid, meta.CID); err != nil {
		return c.storeFailed(err)
	}
	c.untagged, c.tagged = nil, true
	return nil
}

// storeFailed turns a store error into the create's problem and counts the rejection.
func (c *creation) storeFailed(err error) *problem {
	reason := "other"
	switch kind := hashstore.ErrorKind(err); {
	case isNoSpace(err):
		reason = "space"
	case kind == "checksum_mismatch", kind == "size_mismatch":
		reason = kind[:len(kind)-len("_mismatch")]
	case kind == "already_tagged", kind == "pid_tagged_elsewhere", kind == "in_progress":
		reason = "duplicate"
	}
	c.s.metrics.uploadsBad.WithLabelValues(reason).Inc()
	return storeProblem(c.pid, err)
}

// rollback removes what a failed create stored. It runs even when the client has gone, with
// a context that is not cancelled.
func (c *creation) rollback() {
	ctx := context.WithoutCancel(c.ctx)
	if c.tagged {
		if err := c.s.store.DeleteObject(ctx, c.pid); err != nil {
			c.s.log.Error("create failed and its object could not be removed", "pid", c.pid, "err", err)
		}
	}
	if c.untagged != nil {
		c.s.discardUntagged(ctx, *c.untagged)
	}
}

// discardUntagged removes an object stored untagged by a request that failed, unless a pid
// references it (it was in the store already). DeleteIfInvalidObject is the store's way to
// remove an unreferenced object; the expectation given (one byte more than the object has)
// is one it cannot meet.
func (s *Server) discardUntagged(ctx context.Context, meta hashstore.ObjectMetadata) {
	err := s.store.DeleteIfInvalidObject(ctx, meta, meta.CID, s.alg, meta.Size+1)
	if err != nil && !errors.Is(err, hashstore.ErrSizeMismatch) {
		s.log.Error("an untagged object of a failed upload could not be removed", "cid", meta.CID, "err", err)
	}
}

// partName is a part's name: FormName for multipart/form-data, and the name parameter of
// any other Content-Disposition (multipart/mixed bodies may say "attachment").
func partName(part *multipart.Part) string {
	if name := part.FormName(); name != "" {
		return name
	}
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["name"]
}

// readCapped reads r to its end, refusing more than max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// objectMeta is what the server takes from a pid's system metadata: whether the public may
// read the object, and the headers that describe it.
type objectMeta struct {
	public       bool
	size         int64
	modified     time.Time
	lastModified []string // modified as Last-Modified says it, when set
	// header holds Content-Type, Content-Disposition and the DataONE-* headers of describe,
	// the latter spelled as DataONE writes them (header names are case-insensitive, but
	// people read them).
	header http.Header
}

// errBadSysmeta marks a stored system metadata document the server cannot read.
var errBadSysmeta = errors.New("the stored system metadata cannot be read")

// sysmetaCache keeps the objectMeta of recently served pids, keyed by pid and checked against
// the document file's fingerprint, so that a busy object's document is parsed once and not on
// every request, and a replaced document is read again. When the server holds files (see
// resolve.go), an entry keeps the document's file open, and checking it costs one fstat.
type sysmetaCache = heldCache[sysmetaEntry]

type sysmetaEntry struct {
	// file is the document's file when the store gave an *os.File: a check of it then tells
	// whether the entry still holds, without asking the store to open the document.
	file  fileState
	files *heldFiles // the document's file held open, or nil
	meta  *objectMeta
}

func (e sysmetaEntry) held() *heldFiles { return e.files }

// maxSysmetaEntries bounds the cache (each entry is about a kilobyte, and a held file).
const maxSysmetaEntries = 2048

// sysmetaOf returns the pid's objectMeta, or nil if the pid has no system metadata document.
func (s *Server) sysmetaOf(ctx context.Context, pid string) (*objectMeta, error) {
	cached, ok := s.sysmeta.get(pid)
	if ok {
		fresh := cached.file.path != "" && cached.file.unchanged()
		cached.files.release()
		if fresh {
			return cached.meta, nil
		}
	}
	rc, err := s.store.RetrieveMetadata(ctx, pid)
	if errors.Is(err, hashstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	keep := false // whether rc stays open, held by the cache entry
	defer func() {
		if !keep {
			rc.Close()
		}
	}()
	file := fileState{fd: -1}
	cacheable := false
	if st, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			file.fp, cacheable = fingerprintOf(fi), true
		}
	}
	f, isFile := rc.(*os.File)
	if isFile {
		file.path = f.Name()
	}
	if cacheable && ok && cached.file.fp == file.fp {
		return cached.meta, nil
	}
	data, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxSysmetaBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > s.cfg.MaxSysmetaBytes {
		return nil, fmt.Errorf("%w: it is larger than %d bytes", errBadSysmeta, s.cfg.MaxSysmetaBytes)
	}
	doc, err := sysmeta.DecodeDocument(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadSysmeta, err)
	}
	meta := describe(doc, pid)
	if cacheable {
		e := sysmetaEntry{file: file, meta: meta}
		if isFile && s.holdFiles {
			e.files = newHeldFiles()
			e.file, keep = e.files.adopt(f, file.fp), true
		}
		s.sysmeta.put(pid, e)
	}
	return meta, nil
}

// describe derives the objectMeta of a document.
func describe(doc *sysmeta.Document, pid string) *objectMeta {
	m := &objectMeta{public: grantsPublicRead(doc), size: int64(doc.Size), header: http.Header{}}
	h := m.header
	set := func(k, v string) { h[k] = []string{headerValue(v)} }
	set("DataONE-FormatId", doc.FormatID)
	set("DataONE-ObjectFormat", doc.FormatID)
	set("DataONE-Checksum", doc.Checksum.Algorithm+","+doc.Checksum.Value)
	if doc.SerialVersion != nil {
		set("DataONE-SerialVersion", strconv.FormatUint(*doc.SerialVersion, 10))
	}
	for k, v := range map[string]*string{"DataONE-SeriesId": doc.SeriesID, "DataONE-Obsoletes": doc.Obsoletes, "DataONE-ObsoletedBy": doc.ObsoletedBy} {
		if v != nil {
			set(k, *v)
		}
	}
	if doc.DateSysMetadataModified != nil && !doc.DateSysMetadataModified.IsZero() {
		m.modified = *doc.DateSysMetadataModified
		m.lastModified = []string{m.modified.UTC().Format(http.TimeFormat)}
	}
	set("Content-Type", contentType(doc.MediaType))
	name := pid
	if doc.FileName != nil && *doc.FileName != "" {
		name = *doc.FileName
	}
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": name}); cd != "" {
		set("Content-Disposition", cd)
	}
	return m
}

// contentType is the media type the system metadata gives, with its charset, or
// application/octet-stream.
func contentType(mt *sysmeta.MediaType) string {
	if mt == nil || mt.Name == "" {
		return "application/octet-stream"
	}
	params := map[string]string{}
	for _, p := range mt.Properties {
		if p.Name == "charset" && p.Value != nil {
			params["charset"] = *p.Value
		}
	}
	if ct := mime.FormatMediaType(mt.Name, params); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// grantsPublicRead reports whether an allow rule gives the subject "public" a permission;
// DataONE's permissions are nested (changePermission includes write, which includes read).
func grantsPublicRead(doc *sysmeta.Document) bool {
	for _, rule := range doc.AccessPolicy {
		for _, sub := range rule.Subjects {
			if sub == "public" && len(rule.Permissions) > 0 {
				return true
			}
		}
	}
	return false
}

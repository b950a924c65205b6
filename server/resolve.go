package server

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The resolution cache. Reading an object by pid means reading its pid refs file and its cid
// refs file and checking the object, which on Linux is some twenty system calls (os.Open
// registers every file with the poller), against nginx's five for a whole request: for small
// objects that was most of a request's cost. The cache remembers, per pid, the cid and the
// refs files the store's answer rested on, with their fingerprints. A later request checks
// those two files: if neither changed (every change to a refs file replaces it or rewrites
// it, so its inode, link count or change time differ), the store would give the same answer,
// and the object is opened directly. Anything else (a changed or missing file, an object that
// cannot be opened) falls back to the store. A pid is remembered the second time it is read
// (remembering costs two lookups, which objects read once would pay for nothing). Only stores
// on the OS filesystem take part: the store's answer must be an *os.File.
//
// Holding files. A stat by path walks every directory of the path, which costs a few times
// what a stat of an open file does; three of them (pid refs, cid refs, system metadata) were
// most of what a small object's request cost. So on a local filesystem (canHoldFiles) the
// caches keep the files they rest on open and check them with fstat: the fingerprint's link
// count and change time tell that a held file was removed or replaced at its path, and every
// store change to a refs or metadata file is one of those. An object that fits one read
// buffer is held open too and read with pread, so that such a request opens no file at all.
// The number of entries is bounded by the process's limit on open files.

// fileState is a file an answer rested on and the fingerprint it had: held open (fd, kept
// open by its entry's heldFiles) when the server holds files, otherwise looked up by path.
type fileState struct {
	path string
	fd   int // -1 when not held
	fp   fingerprint
}

// unchanged reports whether the file is still the one fingerprinted. A held file is only
// looked at while its entry's heldFiles are acquired, so fd is still its file.
func (f fileState) unchanged() bool {
	if f.fd >= 0 {
		fp, err := fstatFingerprint(f.fd)
		return err == nil && fp == f.fp
	}
	fi, err := os.Stat(f.path)
	return err == nil && fingerprintOf(fi) == f.fp
}

// heldFiles are the files a cache entry holds open. They are closed once the cache has let
// go of the entry and no request is using them: a request acquires them (under the cache's
// lock, while the entry is in the cache) before it looks at them. All methods accept nil,
// for an entry that holds nothing.
type heldFiles struct {
	files []*os.File
	users atomic.Int64 // the cache's reference and one per request
	// charged is what the entry's content takes of the content cache (budget), given back
	// with the files.
	charged int64
	budget  *atomic.Int64
}

// newHeldFiles makes the set, with the cache's reference.
func newHeldFiles() *heldFiles {
	h := &heldFiles{}
	h.users.Store(1)
	return h
}

// hold opens a path under the store's root as the store opens its files (no link followed,
// nothing but a regular file) and keeps it in the set.
func (h *heldFiles) hold(s *Server, path string) (*os.File, fileState, bool) {
	f, fi, ok := s.openBelowRoot(path)
	if !ok {
		return nil, fileState{}, false
	}
	return f, h.adopt(f, fingerprintOf(fi)), true
}

// adopt keeps an open file, whose fingerprint is fp, in the set.
func (h *heldFiles) adopt(f *os.File, fp fingerprint) fileState {
	h.files = append(h.files, f)
	return fileState{path: f.Name(), fd: int(f.Fd()), fp: fp}
}

func (h *heldFiles) acquire() {
	if h != nil {
		h.users.Add(1)
	}
}

func (h *heldFiles) release() {
	if h != nil && h.users.Add(-1) == 0 {
		for _, f := range h.files {
			f.Close()
		}
		if h.budget != nil {
			h.budget.Add(-h.charged)
		}
	}
}

// stateOf fingerprints the file at path (a path the store gave, under its root), holding it
// open in h when the server holds files.
func (s *Server) stateOf(h *heldFiles, path string) (fileState, bool) {
	if h != nil {
		_, st, ok := h.hold(s, path)
		return st, ok
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{}, false
	}
	return fileState{path: path, fd: -1, fp: fingerprintOf(fi)}, true
}

// openBelowRoot opens a path under the store's root as the store opens its files, and stats
// it.
func (s *Server) openBelowRoot(path string) (*os.File, fs.FileInfo, bool) {
	if s.rootDir == nil {
		return nil, nil, false
	}
	rel, ok := strings.CutPrefix(path, s.root+string(filepath.Separator))
	if !ok {
		return nil, nil, false
	}
	f, err := s.rootDir.Open(rel)
	if err != nil {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, false
	}
	return f, fi, true
}

// resolution is what a pid resolved to.
type resolution struct {
	cid        string
	objectPath string
	pidRefs    fileState
	cidRefs    fileState
	// object is the object's file, held open, when it fits one read buffer (objectState is
	// its state); nil otherwise.
	object      *os.File
	objectState fileState
	// content is the held object's bytes, once they have been read and found to match the
	// cid (the fast path keeps them, within Config.ContentCache); nil until then.
	content atomic.Pointer[[]byte]
	hdr     *cidHeaders
	files   *heldFiles
}

// keepContent keeps a copy of the held object's verified bytes, if the content cache has room
// and no other request kept them first. The caller holds the entry's files (acquired), so
// they are not released meanwhile.
func (s *Server) keepContent(r *resolution, verified []byte) {
	n := int64(len(verified))
	if r.files == nil || r.content.Load() != nil || n > maxKeptObject {
		return
	}
	if s.contentBytes.Add(n) > s.cfg.ContentCache {
		s.contentBytes.Add(-n)
		return
	}
	c := bytes.Clone(verified)
	if !r.content.CompareAndSwap(nil, &c) {
		s.contentBytes.Add(-n)
		return
	}
	r.files.charged, r.files.budget = n, &s.contentBytes
}

// maxKeptObject is the largest object the content cache keeps: beyond it, reading and hashing
// costs little beside sending.
const maxKeptObject = 64 << 10

func (r *resolution) held() *heldFiles { return r.files }

// heldReader is one request's reader of a held object (with pread, so that requests do not
// share an offset). Closing it lets go of the entry's files.
type heldReader struct {
	io.SectionReader
	files  *heldFiles
	closed atomic.Bool
}

func (r *heldReader) Close() error {
	if !r.closed.Swap(true) {
		r.files.release()
	}
	return nil
}

// heldCache maps pids to entries that may hold files open (their heldFiles): bounded to limit
// entries, and the files of an entry it lets go of (evicted, replaced, dropped) are released.
type heldCache[V interface {
	comparable
	held() *heldFiles
}] struct {
	mu    sync.Mutex
	m     map[string]V
	limit int
}

func newHeldCache[V interface {
	comparable
	held() *heldFiles
}](limit int) heldCache[V] {
	return heldCache[V]{m: map[string]V{}, limit: limit}
}

// get returns pid's entry, its held files acquired for the caller (who releases them).
func (c *heldCache[V]) get(pid string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[pid]
	if ok {
		e.held().acquire()
	}
	return e, ok
}

func (c *heldCache[V]) put(pid string, e V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[pid]; ok {
		old.held().release()
	} else if dropped, ok := evictOne(c.m, c.limit); ok {
		dropped.held().release()
	}
	c.m[pid] = e
}

// drop forgets pid's entry if it is still e (a newer one, put meanwhile by another request,
// stays).
func (c *heldCache[V]) drop(pid string, e V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.m[pid]; ok && cur == e {
		delete(c.m, pid)
		e.held().release()
	}
}

// resolutions maps pids to their resolution, and remembers which pids were read once.
type resolutions struct {
	heldCache[*resolution]
	seen map[string]struct{}
}

// maxResolutions bounds the cache (an entry is a few hundred bytes, and up to three held
// files).
const maxResolutions = 4096

// again reports whether pid was read before (and notes that it has been now).
func (c *resolutions) again(pid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[pid]; ok {
		return true
	}
	evictOne(c.seen, maxResolutions)
	c.seen[pid] = struct{}{}
	return false
}

// openCached opens the object of a remembered pid whose refs files have not changed, or
// returns nil.
func (s *Server) openCached(pid string) *openObject {
	r, ok := s.resolved.get(pid)
	if !ok {
		return nil
	}
	stale := func() *openObject {
		r.files.release()
		s.resolved.drop(pid, r)
		return nil
	}
	if !r.pidRefs.unchanged() || !r.cidRefs.unchanged() {
		return stale()
	}
	if r.object != nil {
		if !r.objectState.unchanged() {
			return stale()
		}
		// The reader ends at the size just checked, so that one pread reads the whole object.
		fp := r.objectState.fp
		o := &openObject{pid: pid, cid: r.cid, size: fp.size, modTime: time.Unix(0, fp.mtime), fp: fp, hdr: r.hdr, res: r}
		rd := &heldReader{files: r.files}
		rd.SectionReader = *io.NewSectionReader(r.object, 0, fp.size)
		o.f = rd
		return o
	}
	r.files.release()
	f, fi, ok := s.openBelowRoot(r.objectPath)
	if !ok {
		s.resolved.drop(pid, r)
		return nil
	}
	return &openObject{pid: pid, cid: r.cid, f: f, size: fi.Size(), modTime: fi.ModTime(), fp: fingerprintOf(fi), hdr: r.hdr}
}

// remember records how the store resolved pid to o (an object it opened as an *os.File), if
// pid was read before. The refs files are fingerprinted before and after FindObject reads
// them; only a resolution whose files did not change meanwhile is kept.
func (s *Server) remember(ctx context.Context, pid string, o *openObject) {
	if _, isFile := o.f.(*os.File); !isFile || s.rootDir == nil || !s.resolved.again(pid) {
		return
	}
	info, err := s.store.FindObject(ctx, pid)
	if err != nil || info.CID != o.cid {
		return
	}
	r := &resolution{cid: o.cid, objectPath: info.ObjectPath, hdr: s.cidHeadersOf(o.cid)}
	if s.holdFiles {
		r.files = newHeldFiles()
	}
	kept := false
	defer func() {
		if !kept {
			r.files.release()
		}
	}()
	var ok1, ok2 bool
	r.pidRefs, ok1 = s.stateOf(r.files, info.PIDRefsPath)
	r.cidRefs, ok2 = s.stateOf(r.files, info.CIDRefsPath)
	if !ok1 || !ok2 {
		return
	}
	again, err := s.store.FindObject(ctx, pid)
	if err != nil || again.CID != o.cid || !r.pidRefs.unchanged() || !r.cidRefs.unchanged() {
		return
	}
	if r.files != nil && o.size <= int64(s.cfg.BufferSize) {
		var ok bool
		if r.object, r.objectState, ok = r.files.hold(s, info.ObjectPath); !ok || r.objectState.fp != o.fp {
			return
		}
	}
	kept = true
	s.resolved.put(pid, r)
}

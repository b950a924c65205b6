package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
)

// The resolution cache. Reading an object by pid means reading its pid refs file and its cid
// refs file and checking the object, which on Linux is some twenty system calls (os.Open
// registers every file with the poller), against nginx's five for a whole request: for small
// objects that was most of a request's cost. The cache remembers, per pid, the cid and the
// refs files the store's answer rested on, with their fingerprints. A later request stats
// those two files: if neither changed (every change to a refs file replaces it, so its inode
// and change time differ), the store would give the same answer, and the object is opened
// directly. Anything else (a changed or missing file, an object that cannot be opened) falls
// back to the store. A pid is remembered the second time it is read (remembering costs two
// lookups, which objects read once would pay for nothing). Only stores on the OS filesystem
// take part: the store's answer must be an *os.File.

// resolution is what a pid resolved to.
type resolution struct {
	cid        string
	objectPath string
	pidRefs    fileState
	cidRefs    fileState
}

// fileState is a file and the fingerprint it had.
type fileState struct {
	path string
	fp   fingerprint
}

// unchanged reports whether the file is still the one fingerprinted.
func (f fileState) unchanged() bool {
	fi, err := os.Stat(f.path)
	return err == nil && fingerprintOf(fi) == f.fp
}

func stateOf(path string) (fileState, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{}, false
	}
	return fileState{path: path, fp: fingerprintOf(fi)}, true
}

// resolutions maps pids to their resolution, and remembers which pids were read once.
type resolutions struct {
	mu   sync.Mutex
	m    map[string]resolution
	seen map[string]struct{}
}

// maxResolutions bounds the cache (an entry is a few hundred bytes).
const maxResolutions = 4096

func (c *resolutions) get(pid string) (resolution, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[pid]
	return r, ok
}

func (c *resolutions) put(pid string, r resolution) {
	c.mu.Lock()
	defer c.mu.Unlock()
	evictOne(c.m, maxResolutions)
	c.m[pid] = r
}

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

func (c *resolutions) drop(pid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, pid)
}

// openCached opens the object of a remembered pid whose refs files have not changed, or
// returns nil.
func (s *Server) openCached(pid string) *openObject {
	r, ok := s.resolved.get(pid)
	if !ok {
		return nil
	}
	if !r.pidRefs.unchanged() || !r.cidRefs.unchanged() {
		s.resolved.drop(pid)
		return nil
	}
	if s.rootDir == nil {
		return nil
	}
	rel, err := filepath.Rel(s.root, r.objectPath)
	if err != nil {
		return nil
	}
	f, err := s.rootDir.Open(rel)
	if err != nil {
		s.resolved.drop(pid)
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil
	}
	return &openObject{pid: pid, cid: r.cid, f: f, size: fi.Size(), modTime: fi.ModTime(), fp: fingerprintOf(fi)}
}

// remember records how the store resolved pid to o (an object it opened as an *os.File), if
// pid was read before. The refs files are fingerprinted before and after FindObject reads
// them; only a resolution whose files did not change meanwhile is kept.
func (s *Server) remember(ctx context.Context, pid string, o *openObject) {
	if _, isFile := o.f.(*os.File); !isFile || !s.resolved.again(pid) {
		return
	}
	info, err := s.store.FindObject(ctx, pid)
	if err != nil || info.CID != o.cid {
		return
	}
	pidRefs, ok1 := stateOf(info.PIDRefsPath)
	cidRefs, ok2 := stateOf(info.CIDRefsPath)
	if !ok1 || !ok2 {
		return
	}
	again, err := s.store.FindObject(ctx, pid)
	if err != nil || again.CID != o.cid || !pidRefs.unchanged() || !cidRefs.unchanged() {
		return
	}
	s.resolved.put(pid, resolution{cid: o.cid, objectPath: info.ObjectPath, pidRefs: pidRefs, cidRefs: cidRefs})
}

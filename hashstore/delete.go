package hashstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/refs"
)

// DeleteObject implements Store, following docs/FORMAT.md 7.8 (the Java behaviour where the
// references disagree). Under the pid lock, then the cid lock:
//
//   - fully tagged: the pid leaves the cid refs file; if it was the last pid, the object and the
//     cid refs file go too; then the pid refs file and every metadata document of the pid;
//   - pid refs present but the cid refs file missing or not listing the pid: the pid refs file
//     and the metadata go, the object and cid refs are untouched;
//   - references present but the object missing: as fully tagged;
//   - no pid refs file: ErrNotFound, nothing changes.
//
// Every file is first renamed to its "_delete" name; if any step fails the renames are undone
// and the store is as it was. Then the renamed files are unlinked. The order (metadata, object,
// cid refs, pid refs) means an interrupted delete leaves a state that calling DeleteObject again
// finishes; so that a power cut cannot undo an earlier step while keeping the last, the
// directories of the earlier steps are flushed before the pid refs file is renamed, whenever
// the store flushes at all (with WithSync, and with WithGroupCommit too). With WithSync the
// call is durable when it returns nil: a failure to flush is returned, the renames undone.
func (s *FileHashStore) DeleteObject(ctx context.Context, pid string) error {
	return opErr("delete object", pid, s.deleteObject(ctx, pid))
}

func (s *FileHashStore) deleteObject(ctx context.Context, pid string) error {
	if err := CheckIdentifier("pid", pid); err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return err
	}
	unlockPID, err := s.lockPID(ctx, pid)
	if err != nil {
		return err
	}
	defer unlockPID()
	pidPath := s.pidRefsPath(pid)
	data, err := s.readEntry(pidPath, maxPIDRefsSize)
	if notExist(err) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	rm := &removal{s: s}
	cid, perr := refs.ParsePID(data)
	if perr == nil && s.checkCID(cid) == nil {
		unlockCID, err := s.locks.Lock(ctx, keylock.CID, cid)
		if err != nil {
			return err
		}
		defer unlockCID()
		if err := s.removeMetadata(ctx, pid, rm); err != nil {
			return rm.abort(err)
		}
		if err := s.removeFromCID(pid, cid, rm); err != nil {
			return rm.abort(err)
		}
	} else if err := s.removeMetadata(ctx, pid, rm); err != nil {
		// An unreadable pid refs file names no cid; all that can go is the pid's own files.
		return rm.abort(err)
	}
	if err := rm.flush(); err != nil {
		return rm.abort(err)
	}
	if err := rm.rename(pidPath); err != nil {
		return rm.abort(err)
	}
	return rm.finish()
}

// removeFromCID takes pid out of cid's refs file; if no pid is left, the object and the cid
// refs file are scheduled for removal. A missing cid refs file or one not listing pid is left
// alone (the pid's references were already broken).
func (s *FileHashStore) removeFromCID(pid, cid string, rm *removal) error {
	cidPath := s.cidRefsPath(cid)
	old, err := s.readEntry(cidPath, maxCIDRefsSize)
	if notExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	remaining, changed := refs.Remove(old, pid)
	if !changed {
		return nil
	}
	if len(refs.PIDs(remaining)) == 0 {
		if err := rm.rename(s.objectPath(cid)); err != nil {
			return err
		}
		return rm.rename(cidPath)
	}
	return rm.rewrite(cidPath, old, remaining)
}

// removeMetadata schedules every metadata document of pid for removal, each under its lock.
func (s *FileHashStore) removeMetadata(ctx context.Context, pid string, rm *removal) error {
	docs, err := s.metadataDocs(pid)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		unlock, err := s.lockDoc(ctx, doc)
		if err != nil {
			return err
		}
		err = rm.rename(doc)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// metadataDocs lists the documents in pid's metadata directory (regular files, not ones
// already on their way out). The Java implementation walks recursively; nothing we or the
// references write creates sub-directories there, so direct children are all there is.
func (s *FileHashStore) metadataDocs(pid string) ([]string, error) {
	dir := s.metadataDir(pid)
	entries, err := afero.ReadDir(s.fs, dir)
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var docs []string
	for _, e := range entries {
		if e.Mode().IsRegular() && !strings.HasSuffix(e.Name(), layout.DeleteSuffix) {
			docs = append(docs, filepath.Join(dir, e.Name()))
		}
	}
	return docs, nil
}

// removal is a multi-file deletion that can be undone until it is finished: files are renamed
// to their "_delete" names (and refs files rewritten) first; abort puts everything back, finish
// unlinks.
type removal struct {
	s      *FileHashStore
	undo   []func() error
	doomed []string
	// dirs are the directories the removal changed, in the order of the changes; flush made
	// those before dirs[flushed] durable.
	dirs    []string
	flushed int
}

// changed records that an entry of dir was renamed or replaced.
func (r *removal) changed(dir string) {
	if !slices.Contains(r.dirs[r.flushed:], dir) {
		r.dirs = append(r.dirs, dir)
	}
}

// rename moves path to its deletion name. A path that does not exist is skipped.
func (r *removal) rename(path string) error {
	if err := r.s.files.CheckDir(filepath.Dir(path)); err != nil {
		return err
	}
	doomed := path + layout.DeleteSuffix
	if err := r.s.fs.Rename(path, doomed); err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	r.doomed = append(r.doomed, doomed)
	r.changed(filepath.Dir(path))
	r.undo = append(r.undo, func() error { return r.s.fs.Rename(doomed, path) })
	return nil
}

// rewrite replaces a refs file's content atomically. Its undo writes the old content back; it
// is registered before the write because a failed write may still have replaced the file.
func (r *removal) rewrite(path string, old, updated []byte) error {
	r.undo = append(r.undo, func() error { return r.s.files.WriteFile(r.s.tmpDir(layout.RefsDir), path, old) })
	r.changed(filepath.Dir(path))
	return r.s.files.WriteFile(r.s.tmpDir(layout.RefsDir), path, updated)
}

// flush makes every change so far durable, now, when the store flushes at all (WithSync, or
// WithGroupCommit: a group's Sync would come too late). A power cut keeps or loses unflushed
// changes in any combination, so a delete flushes before its last step (renaming the pid refs
// file, which alone leads to the rest): whenever that step survives, the others have, and a
// state in which the pid refs file is gone but a document or a refs line of the pid is left,
// which DeleteObject could not find again, never arises.
func (r *removal) flush() error {
	if !r.s.files.Sync && r.s.files.Group == nil {
		return nil
	}
	for _, d := range r.dirs[r.flushed:] {
		if err := r.s.files.SyncDir(d); err != nil {
			return err
		}
	}
	r.flushed = len(r.dirs)
	return nil
}

// abort undoes every step in reverse order and returns err (joined with any undo failure).
func (r *removal) abort(err error) error {
	for i := len(r.undo) - 1; i >= 0; i-- {
		if uerr := r.undo[i](); uerr != nil {
			r.s.log.Warn("hashstore: could not undo part of a failed delete; run audit --repair", "err", uerr)
			err = errors.Join(err, uerr)
		}
	}
	return err
}

// finish makes the removal's last changes durable when the store syncs (recorded for the next
// Sync with WithGroupCommit), or undoes it if that fails, so that a delete that returns nil has
// happened for good. Then it unlinks the renamed files: a file that cannot be unlinked is only
// garbage under a name readers ignore, so that is logged (audit --repair removes it), not
// returned, as is a failure to make the unlinks durable.
func (r *removal) finish() error {
	for _, d := range r.dirs[r.flushed:] {
		if err := r.s.syncDir(d); err != nil {
			return r.abort(err)
		}
	}
	for _, p := range r.doomed {
		if err := r.s.fs.Remove(p); err != nil && !notExist(err) {
			r.s.log.Warn("hashstore: could not unlink a deleted file; audit --repair removes it", "path", p, "err", err)
		}
	}
	for _, d := range r.dirs {
		if err := r.s.syncDir(d); err != nil {
			r.s.log.Warn("hashstore: could not sync a directory after delete", "dir", d, "err", err)
		}
	}
	return nil
}

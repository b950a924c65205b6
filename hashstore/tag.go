package hashstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/safeopen"
	"github.com/hashstore-go/hashstore/refs"
)

// TagObject implements Store, following the decision table of docs/FORMAT.md 7.3 under the pid and
// cid locks. The cid need not name an existing object. With no pid refs file, the pid is added
// to the cid refs file (created if needed) and then the pid refs file is written; if that
// fails, the cid refs file is put back as it was. With a pid refs file present nothing changes
// and the error says why: ErrAlreadyTagged (it holds this cid and the cid refs lists the pid),
// ErrPIDTaggedElsewhere (it holds another cid), or a *OrphanRefsError (it holds this cid but
// the cid refs file is missing or does not list the pid; DeleteObject cleans that up).
func (s *FileHashStore) TagObject(ctx context.Context, pid, cid string) error {
	return opErr("tag object", pid, s.tag(ctx, pid, cid))
}

func (s *FileHashStore) tag(ctx context.Context, pid, cid string) error {
	if err := CheckIdentifier("pid", pid); err != nil {
		return err
	}
	if err := s.checkCID(cid); err != nil {
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
	unlockCID, err := s.locks.Lock(ctx, keylock.CID, cid)
	if err != nil {
		return err
	}
	defer unlockCID()
	if err := s.checkUntagged(pid, cid, false); err != nil {
		return err
	}
	if err := s.files.MkdirAllEach(s.refsDirs(pid, cid)...); err != nil {
		return err
	}
	return s.writeTag(pid, cid, false)
}

// refsDirs returns the directories of cid's refs file and of pid's, which writeTag needs to
// exist.
func (s *FileHashStore) refsDirs(pid, cid string) []string {
	return []string{filepath.Dir(s.cidRefsPath(cid)), filepath.Dir(s.pidRefsPath(pid))}
}

// checkUntagged returns nil if pid has no pid refs file, and otherwise the error TagObject
// reports for it. The caller holds the pid lock. recovering (WithRecovery) takes a pid refs
// file that is not the last step of a complete tag (it cannot be read as a cid, or the cid it
// names, this one or another, has no cid refs file listing pid) for an interrupted tag, to be
// completed: nil.
func (s *FileHashStore) checkUntagged(pid, cid string, recovering bool) error {
	data, err := s.readEntry(s.pidRefsPath(pid), maxPIDRefsSize)
	if notExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	existing, err := refs.ParsePID(data)
	if err != nil {
		if recovering {
			return nil // left empty or half written by an interrupted tag: rewritten
		}
		return fmt.Errorf("%w: pid refs file %s: %v", ErrOrphanRefs, s.pidRefsPath(pid), err)
	}
	if existing != cid {
		if recovering {
			listed, err := s.listedIn(pid, existing)
			if err != nil {
				return err
			}
			if !listed {
				// Not a tag but a torn pid refs file (a cid cut short, or zeros where the
				// power cut lost a block): no cid refs file lists the pid under that name.
				return nil
			}
		}
		return &TaggedError{PID: pid, ExistingCID: existing, CID: cid}
	}
	cidRefs, err := s.readEntry(s.cidRefsPath(cid), maxCIDRefsSize)
	var broken error
	switch {
	case notExist(err):
		broken = &OrphanRefsError{PID: pid, CID: cid, Reason: ErrOrphanPIDRefs}
	case err != nil:
		return err
	case !refs.Contains(cidRefs, pid):
		broken = &OrphanRefsError{PID: pid, CID: cid, Reason: ErrPIDNotInCIDRefs}
	}
	switch {
	case broken == nil:
		return &TaggedError{PID: pid, ExistingCID: cid, CID: cid}
	case recovering:
		return nil // an interrupted tag of this very object: completed
	}
	return broken
}

// listedIn reports whether cid's refs file lists pid, so that a pid refs file naming cid
// completes a tag. A name that is not a valid cid is listed nowhere, nor is one whose refs
// path is not a file (a cid cut short can name a shard directory).
func (s *FileHashStore) listedIn(pid, cid string) (bool, error) {
	if s.checkCID(cid) != nil {
		return false, nil
	}
	data, err := s.readEntry(s.cidRefsPath(cid), maxCIDRefsSize)
	if notExist(err) || errors.Is(err, safeopen.ErrNotRegular) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return refs.Contains(data, pid), nil
}

// writeTag writes the references for an untagged pid; the caller holds the pid and cid locks.
// The cid refs file is updated first and the pid refs file last, so an interruption leaves at
// most a pid listed in a cid refs file without a pid refs file: a state a retry of TagObject
// completes and audit detects. On failure both files are put back as they were. A failed write
// may still have renamed its file into place (when only the directory fsync failed), so the
// undo does not depend on where the write stopped.
//
// Both new files are written to temp files before either is renamed into place: putting an
// updated cid refs file back means writing its old content again, which on a full disk
// (ENOSPC) fails too, so a write failure must come before anything is renamed
// (TestFaultMatrix pins it).
//
// The caller has made both refs directories (refsDirs) already: StoreObject makes them together
// with the object's.
func (s *FileHashStore) writeTag(pid, cid string, recovering bool) error {
	cidPath, pidPath := s.cidRefsPath(cid), s.pidRefsPath(pid)
	old, err := s.readEntry(cidPath, maxCIDRefsSize)
	existed := err == nil
	if err != nil && !notExist(err) {
		return err
	}
	refsTmp := s.tmpDir(layout.RefsDir)
	// A call that may redo one a power cut interrupted checks the cid refs file: recovering
	// (WithRecovery), or any tag in a group-commit store, whose new refs files are not
	// flushed until its Sync (TagObject takes no options).
	kept, torn := old, false
	if recovering || s.files.Group != nil {
		kept, torn = s.untorn(cid, old)
	}
	updated, changed := refs.Add(kept, pid)
	changed = changed || torn
	var cidTmp *atomicfile.Temp
	if changed {
		if cidTmp, err = s.writeTemp(refsTmp, updated); err != nil {
			return err
		}
		defer cidTmp.Discard()
	}
	pidTmp, err := s.writeTemp(refsTmp, refs.FormatPID(cid))
	if err != nil {
		return err
	}
	defer pidTmp.Discard()
	if changed {
		if err := cidTmp.CommitPrepared(cidPath); err != nil {
			s.restore(cidPath, old, existed)
			return err
		}
	}
	if err := pidTmp.CommitPrepared(pidPath); err != nil {
		s.restore(pidPath, nil, false) // it did not exist: checkUntagged ran under the pid lock
		if changed {
			s.restore(cidPath, old, existed)
		}
		return err
	}
	return nil
}

// untorn returns a cid refs file's content without what a power cut can leave of a write that
// was never flushed (a new cid refs file written in a group commit): lines that are not pids
// (zeros where a block was lost), and a last line cut short (without its newline) unless its
// pid is tagged to cid (the Java implementation ends its files without a newline). No line a
// tag could use is dropped. torn says whether anything was; if not, data is returned as it is.
func (s *FileHashStore) untorn(cid string, data []byte) (kept []byte, torn bool) {
	pids := refs.PIDs(data)
	cut := len(data) > 0 && data[len(data)-1] != '\n' && data[len(data)-1] != '\r'
	var keep []string
	for i, p := range pids {
		if CheckIdentifier("pid", p) != nil {
			continue
		}
		if i == len(pids)-1 && cut {
			data, err := s.readEntry(s.pidRefsPath(p), maxPIDRefsSize)
			if named, perr := refs.ParsePID(data); err != nil || perr != nil || named != cid {
				continue
			}
		}
		keep = append(keep, p)
	}
	if len(keep) == len(pids) {
		return data, false
	}
	return refs.Format(keep), true
}

// writeTemp writes data to a new temp file in dir, to be committed (or discarded) by the
// caller.
func (s *FileHashStore) writeTemp(dir string, data []byte) (*atomicfile.Temp, error) {
	t, err := s.files.CreateTemp(dir)
	if err != nil {
		return nil, err
	}
	if _, err := t.Write(data); err != nil {
		t.Discard()
		return nil, err
	}
	return t, nil
}

// restore puts a file back to its earlier content (or removes it if it did not exist), logging
// rather than returning a failure: it runs on an error path whose error is already reported.
func (s *FileHashStore) restore(path string, old []byte, existed bool) {
	var err error
	if existed {
		err = s.files.WriteFile(s.tmpDir(layout.RefsDir), path, old)
	} else {
		err = s.fs.Remove(path)
	}
	if err != nil && !notExist(err) {
		s.log.Warn("hashstore: could not roll back a refs file; run audit --repair", "path", path, "err", err)
	}
}

// FindObject implements Store: the checks of docs/FORMAT.md 7.10 in their order. A missing pid refs
// file is ErrNotFound; an inconsistent set of files is a *OrphanRefsError, returned together
// with the paths that could be determined.
func (s *FileHashStore) FindObject(ctx context.Context, pid string) (ObjectInfo, error) {
	info, err := s.find(pid)
	return info, opErr("find object", pid, err)
}

func (s *FileHashStore) find(pid string) (ObjectInfo, error) {
	if err := CheckIdentifier("pid", pid); err != nil {
		return ObjectInfo{}, err
	}
	info := ObjectInfo{PID: pid, PIDRefsPath: s.pidRefsPath(pid)}
	data, err := s.readEntry(info.PIDRefsPath, maxPIDRefsSize)
	if notExist(err) {
		return info, fmt.Errorf("%w: no pid refs file", ErrNotFound)
	}
	if err != nil {
		return info, err
	}
	cid, err := refs.ParsePID(data)
	if err != nil {
		return info, &OrphanRefsError{PID: pid, CID: "", Reason: ErrOrphanPIDRefs}
	}
	if err := s.checkCID(cid); err != nil {
		return info, &OrphanRefsError{PID: pid, CID: cid, Reason: ErrOrphanPIDRefs}
	}
	info.CID = cid
	info.CIDRefsPath = s.cidRefsPath(cid)
	info.ObjectPath = s.objectPath(cid)
	if p := s.metadataPath(pid, s.cfg.MetadataNamespace); s.isEntry(p) {
		info.SysmetaPath = p
	}
	cidRefs, err := s.readEntry(info.CIDRefsPath, maxCIDRefsSize)
	switch {
	case notExist(err):
		return info, &OrphanRefsError{PID: pid, CID: cid, Reason: ErrOrphanPIDRefs}
	case err != nil:
		return info, err
	case !refs.Contains(cidRefs, pid):
		return info, &OrphanRefsError{PID: pid, CID: cid, Reason: ErrPIDNotInCIDRefs}
	}
	if _, err := s.statEntry(info.ObjectPath); notExist(err) {
		return info, &OrphanRefsError{PID: pid, CID: cid, Reason: ErrObjectMissing}
	} else if err != nil {
		return info, err
	}
	return info, nil
}

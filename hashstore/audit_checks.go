package hashstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/safeopen"
	"github.com/hashstore-go/hashstore/refs"
)

// The checks of one file each. Each is done twice: first without locks, and only if that finds
// something, again under the locks of the ids involved (pid by hash, then cid), where the state
// cannot be a writer's intermediate one. Only what the second look confirms is reported, and
// repairs are made while those locks are still held.

// missing reports whether nothing at all (not even a link) stands at p.
func (a *auditor) missing(p string) (bool, error) {
	_, err := safeopen.Lstat(a.s.fs, p)
	if notExist(err) {
		return true, nil
	}
	return false, err
}

// readOptional reads a refs file (as the store reads them: regular files only, bounded); ok
// is false if it does not exist.
func (a *auditor) readOptional(p string) (data []byte, ok bool, err error) {
	data, err = a.s.readEntry(p, maxCIDRefsSize)
	if notExist(err) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// readPIDs reads the pids listed in the cid refs file at rel, with ok false if it does not
// exist (or cannot be read: err says which).
func (a *auditor) readPIDs(rel string) (pids []string, ok bool, err error) {
	data, ok, err := a.readOptional(a.abs(rel))
	return refs.PIDs(data), ok, err
}

// openOptional opens the file at rel as the store opens its files, with ok false if it does
// not exist (or cannot be opened: err says which).
func (a *auditor) openOptional(rel string) (f afero.File, ok bool, err error) {
	f, err = a.s.openEntry(a.abs(rel))
	if notExist(err) {
		return nil, false, nil
	}
	return f, err == nil, err
}

// readable checks that the store's readers could open the file at rel (a mode or an ACL may
// refuse the store's user), so that such a file is a finding even where the audit has no need
// to read it; it asks the system without opening the file. A file that vanished is no error.
func (a *auditor) readable(rel string) error {
	if err := safeopen.Readable(a.s.fs, a.abs(rel)); err != nil && !notExist(err) {
		return err
	}
	return nil
}

// openDir opens the directory at rel for listing, with ok false if it does not exist. What
// stands there, and every directory above it below the root, must be a directory itself, not a
// symbolic link to one: a link would lead the audit (and its repairs) out of the store
// (safeopen.OpenDirBeneath).
func (a *auditor) openDir(rel string) (f afero.File, ok bool, err error) {
	f, err = safeopen.OpenDirBeneath(a.s.fs, a.s.root, filepath.FromSlash(rel))
	if notExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", rel, err)
	}
	return f, true, nil
}

// ---- objects ----

// checkObject checks the object named cid at rel: its content (Rehash) and its cid refs file.
func (a *auditor) checkObject(ctx context.Context, rel, cid string) error {
	if a.opts.Rehash {
		if err := a.rehash(ctx, rel, cid); err != nil {
			return err
		}
	} else if err := a.readable(rel); err != nil {
		return err
	}
	if missing, err := a.missing(a.s.cidRefsPath(cid)); err != nil || !missing {
		return err
	}
	unlock, err := a.lock(ctx, keylock.CID, cid)
	if err != nil {
		return err
	}
	defer unlock()
	fi, err := a.s.fs.Stat(a.abs(rel))
	if notExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if missing, err := a.missing(a.s.cidRefsPath(cid)); err != nil || !missing {
		return err
	}
	f := Finding{Class: FindingUntaggedObject, Path: rel, CID: cid,
		Detail: fmt.Sprintf("no cid refs file; %d bytes, last modified %s", fi.Size(), fi.ModTime().UTC().Format(time.RFC3339))}
	if a.opts.Repair && a.opts.UntaggedOlderThan > 0 && a.opts.Now().Sub(fi.ModTime()) > a.opts.UntaggedOlderThan {
		if gone, err := a.remove(&f, rel); gone {
			return nil
		} else if err == nil {
			f.Repaired = fmt.Sprintf("removed %s (untagged and older than %s)", rel, a.opts.UntaggedOlderThan)
		}
	}
	return a.emit(f)
}

// rehash reads the object at rel through the store algorithm and reports it if the digest is
// not cid. Objects are never rewritten in place, so no lock is needed: a concurrent delete can
// only take the name away, and what was read was still the object.
func (a *auditor) rehash(ctx context.Context, rel, cid string) error {
	f, ok, err := a.openOptional(rel)
	if !ok {
		return err
	}
	defer f.Close()
	if a.buf == nil {
		a.buf = make([]byte, 256<<10)
	}
	h := a.s.alg.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := f.Read(a.buf)
		h.Write(a.buf[:m])
		n += int64(m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got == cid {
		return nil
	}
	return a.emit(Finding{Class: FindingCorruptObject, Path: rel, CID: cid,
		Detail: fmt.Sprintf("its %d bytes hash to %s", n, got)})
}

// ---- pid refs files ----

// pidState is what a look at one pid refs file found.
type pidState struct {
	f             *Finding // nil: consistent as far as this file goes (or it is gone)
	cid           string   // the cid it names, when valid
	objectMissing bool     // for FindingOrphanPIDRefs
	linesOK       bool     // for FindingPIDMissingFromCIDRefs, when looked at deeply
}

// checkPIDRefs checks the pid refs file at rel, whose pid has hash h.
func (a *auditor) checkPIDRefs(ctx context.Context, rel, h string) error {
	st, err := a.inspectPID(rel, h, false)
	if err != nil || st.f == nil {
		return err
	}
	unlock, err := a.lockIDs(ctx, h, st.cid)
	if err != nil {
		return err
	}
	defer unlock()
	st2, err := a.inspectPID(rel, h, a.opts.Repair)
	if err != nil || st2.f == nil || st2.cid != st.cid || st2.f.Class != st.f.Class {
		return err // gone or changed: a writer was at work, and we did not hold its cid's lock
	}
	f := *st2.f
	if a.opts.Repair {
		var why string
		switch {
		case f.Class == FindingOrphanPIDRefs && st2.objectMissing:
			why = "an interrupted delete: its cid refs file and its object are gone"
		case f.Class == FindingOrphanPIDRefs:
			f.Detail = joinDetail(f.Detail, "left alone: the object exists, so this is not an interrupted delete")
		case f.Class == FindingPIDMissingFromCIDRefs && st2.linesOK:
			why = "an interrupted delete of a shared object: its cid refs file no longer lists the pid"
		case f.Class == FindingPIDMissingFromCIDRefs:
			f.Detail = joinDetail(f.Detail, "left alone: the cid refs file has inconsistent lines (perhaps pids glued together, docs/FORMAT.md 4.3), so the pid may be a real one")
		}
		if why != "" {
			if gone, err := a.remove(&f, rel); gone {
				return nil
			} else if err == nil {
				f.Repaired = "removed " + rel + " (" + why + ")"
			}
		}
	}
	return a.emit(f)
}

// inspectPID looks at the pid refs file at rel (pid hash h) and at what it implies. With deep,
// a pid missing from its cid refs file also has linesOK computed.
func (a *auditor) inspectPID(rel, h string, deep bool) (pidState, error) {
	data, ok, err := a.readOptional(a.abs(rel))
	if !ok {
		return pidState{}, err
	}
	cid, perr := refs.ParsePID(data)
	if perr != nil {
		return pidState{f: &Finding{Class: FindingMalformedRefs, Path: rel, Detail: perr.Error()}}, nil
	}
	if cerr := a.s.checkCID(cid); cerr != nil {
		return pidState{f: &Finding{Class: FindingMalformedRefs, Path: rel,
			Detail: fmt.Sprintf("pid refs file holds %q, which cannot be a cid", cid)}}, nil
	}
	st := pidState{cid: cid}
	cidPath := a.s.cidRefsPath(cid)
	cidData, ok, err := a.readOptional(cidPath)
	if err != nil {
		return st, err
	}
	if !ok {
		st.objectMissing, err = a.missing(a.s.objectPath(cid))
		if err != nil {
			return st, err
		}
		detail := fmt.Sprintf("names cid %s, whose cid refs file %s does not exist", cid, a.rel(cidPath))
		if st.objectMissing {
			detail += "; nor does the object"
		} else {
			detail += "; the object does"
		}
		st.f = &Finding{Class: FindingOrphanPIDRefs, Path: rel, CID: cid, Detail: detail}
		return st, nil
	}
	for _, p := range refs.PIDs(cidData) {
		if a.s.hashID(p) == h {
			return st, nil
		}
	}
	st.f = &Finding{Class: FindingPIDMissingFromCIDRefs, Path: rel, CID: cid,
		Detail: fmt.Sprintf("names cid %s, but %s lists no pid with this hash", cid, a.rel(cidPath))}
	if deep {
		st.linesOK, err = a.linesConsistent(cid, cidData)
	}
	return st, err
}

// linesConsistent reports whether every pid listed in cid's refs file (content data) is valid
// and has a pid refs file naming cid. The caller holds the cid lock, under which those pid refs
// files cannot start or stop naming cid.
func (a *auditor) linesConsistent(cid string, data []byte) (bool, error) {
	for _, p := range refs.PIDs(data) {
		if CheckIdentifier("pid", p) != nil {
			return false, nil
		}
		st, _, err := a.entryState(cid, p)
		if err != nil || st != entryOK {
			return false, err
		}
	}
	return true, nil
}

// ---- cid refs files ----

// entry states of a pid listed in a cid refs file.
const (
	entryOK        = iota // its pid refs file names this cid (or is malformed: reported there)
	entryNoPIDRefs        // it has no pid refs file
	entryElsewhere        // its pid refs file names another cid
)

// entryState looks at the pid refs file of pid p, listed in cid's refs file; other is the cid
// it names instead.
func (a *auditor) entryState(cid, p string) (state int, other string, err error) {
	data, ok, err := a.readOptional(a.s.pidRefsPath(p))
	if err != nil {
		return entryOK, "", err
	}
	if !ok {
		return entryNoPIDRefs, "", nil
	}
	got, perr := refs.ParsePID(data)
	if perr != nil || got == cid {
		return entryOK, "", nil
	}
	return entryElsewhere, got, nil
}

// checkCIDRefs checks the cid refs file at rel: its lines, then its object.
func (a *auditor) checkCIDRefs(ctx context.Context, rel, cid string) error {
	pids, ok, err := a.readPIDs(rel)
	if !ok {
		return err
	}
	if len(pids) == 0 {
		return a.confirmEmpty(ctx, rel, cid)
	}
	for i, p := range pids {
		if slices.Contains(pids[:i], p) {
			continue
		}
		if err := a.checkEntry(ctx, rel, cid, p); err != nil {
			return err
		}
	}
	missing, err := a.missing(a.s.objectPath(cid))
	if err != nil || !missing {
		return err
	}
	return a.confirmMissingObject(ctx, rel, cid)
}

// checkEntry checks one pid listed in the cid refs file at rel.
func (a *auditor) checkEntry(ctx context.Context, rel, cid, p string) error {
	if CheckIdentifier("pid", p) != nil {
		unlock, err := a.lock(ctx, keylock.CID, cid)
		if err != nil {
			return err
		}
		defer unlock()
		data, ok, err := a.readOptional(a.abs(rel))
		if !ok || !refs.Contains(data, p) {
			return err
		}
		return a.emit(Finding{Class: FindingMalformedRefs, Path: rel, PID: p, CID: cid,
			Detail: fmt.Sprintf("lists %q, which is not a valid pid", p)})
	}
	state, other, err := a.entryState(cid, p)
	if err != nil || state == entryOK {
		return err
	}
	unlock, err := a.lockIDs(ctx, a.s.hashID(p), cid)
	if err != nil {
		return err
	}
	defer unlock()
	data, ok, err := a.readOptional(a.abs(rel))
	if !ok || !refs.Contains(data, p) {
		return err
	}
	state2, other2, err := a.entryState(cid, p)
	if err != nil || state2 != state || other2 != other {
		return err
	}
	f := Finding{Class: FindingOrphanCIDRefsEntry, Path: rel, PID: p, CID: cid}
	if state == entryElsewhere {
		f.Detail = fmt.Sprintf("lists pid %q, whose pid refs file names cid %s", p, other)
		if a.opts.Repair {
			f.Detail = joinDetail(f.Detail, "left alone: ambiguous, the pid is tagged to another object")
		}
		return a.emit(f)
	}
	f.Detail = fmt.Sprintf("lists pid %q, which has no pid refs file (%s)", p, a.rel(a.s.pidRefsPath(p)))
	glued, err := a.glued(cid, p, data)
	if err != nil {
		return err
	}
	if glued != "" {
		f.Detail = joinDetail(f.Detail, glued)
		if a.opts.Repair {
			f.Detail = joinDetail(f.Detail, "left alone: removing the line would lose a real pid")
		}
		return a.emit(f)
	}
	if a.opts.Repair {
		remaining, _ := refs.Remove(data, p)
		if len(refs.PIDs(remaining)) == 0 {
			if gone, err := a.remove(&f, rel); gone {
				return nil
			} else if err == nil {
				f.Repaired = fmt.Sprintf("removed %s, whose only pid %q had no pid refs file (an interrupted tag)", rel, p)
			}
		} else if err := a.s.files.WriteFile(a.s.tmpDir(layout.RefsDir), a.abs(rel), remaining); err != nil {
			f.Detail = joinDetail(f.Detail, "repair failed: "+err.Error())
		} else {
			f.Repaired = fmt.Sprintf("removed line %q from %s (an interrupted tag)", p, rel)
		}
	}
	return a.emit(f)
}

// confirmEmpty reports (and with Repair removes) a cid refs file listing no pid.
func (a *auditor) confirmEmpty(ctx context.Context, rel, cid string) error {
	unlock, err := a.lock(ctx, keylock.CID, cid)
	if err != nil {
		return err
	}
	defer unlock()
	data, ok, err := a.readOptional(a.abs(rel))
	if !ok || len(refs.PIDs(data)) > 0 {
		return err
	}
	f := Finding{Class: FindingEmptyCIDRefs, Path: rel, CID: cid, Detail: fmt.Sprintf("lists no pid (%d bytes)", len(data))}
	if a.opts.Repair {
		if gone, err := a.remove(&f, rel); gone {
			return nil
		} else if err == nil {
			f.Repaired = "removed " + rel
		}
	}
	return a.emit(f)
}

// confirmMissingObject reports the cid refs file at rel whose object is missing, and with
// Repair removes it and its pid's refs file when it lists exactly one pid whose refs file names
// this cid: the state an interrupted delete of the last pid leaves.
func (a *auditor) confirmMissingObject(ctx context.Context, rel, cid string) error {
	pids, ok, err := a.readPIDs(rel)
	if !ok {
		return err
	}
	if len(pids) == 0 {
		return nil // confirmEmpty's
	}
	single, singleHash := "", ""
	if len(pids) == 1 && CheckIdentifier("pid", pids[0]) == nil {
		single, singleHash = pids[0], a.s.hashID(pids[0])
	}
	unlock, err := a.lockIDs(ctx, singleHash, cid)
	if err != nil {
		return err
	}
	defer unlock()
	pids, ok, err = a.readPIDs(rel)
	if !ok {
		return err
	}
	objectPath := a.s.objectPath(cid)
	missing, err := a.missing(objectPath)
	if err != nil || !missing || len(pids) == 0 {
		return err
	}
	f := Finding{Class: FindingRefsToMissingObject, Path: rel, CID: cid,
		Detail: fmt.Sprintf("the object %s does not exist; %d pid(s) listed", a.rel(objectPath), len(pids))}
	if len(pids) == 1 {
		f.PID = pids[0]
	}
	if !a.opts.Repair {
		return a.emit(f)
	}
	switch {
	case len(pids) > 1:
		f.Detail = joinDetail(f.Detail, "left alone: several pids reference the object, which was lost from outside")
	case single == "" || pids[0] != single:
		f.Detail = joinDetail(f.Detail, "left alone: the cid refs file changed during the audit")
	default:
		pidPath := a.s.pidRefsPath(single)
		pidData, _, err := a.readOptional(pidPath)
		if err != nil {
			return err
		}
		if got, perr := refs.ParsePID(pidData); perr != nil || got != cid {
			f.Detail = joinDetail(f.Detail, "left alone: the pid's refs file does not name this cid")
			break
		}
		if gone, err := a.remove(&f, rel); gone || err != nil {
			if gone {
				return nil
			}
			break
		}
		pidRel := a.rel(pidPath)
		f.Repaired = "removed " + rel
		if _, err := a.remove(&f, pidRel); err == nil {
			f.Repaired = fmt.Sprintf("removed %s and %s (an interrupted delete of the last pid %q)", rel, pidRel, single)
		}
	}
	return a.emit(f)
}

// ---- metadata ----

// checkMetadataDir checks the metadata directory at rel of the pid with hash h: its entries,
// and that a pid with documents has a pid refs file.
func (a *auditor) checkMetadataDir(ctx context.Context, rel, h string) error {
	docs := 0
	err := a.eachEntry(ctx, rel, func(e fs.DirEntry) error {
		name := e.Name()
		p := rel + "/" + name
		if base, ok := strings.CutSuffix(name, layout.DeleteSuffix); ok && (e.IsDir() || e.Type().IsRegular()) {
			a.file()
			return a.keepGoing(p, a.leftoverMetadataDelete(ctx, p, h, path.Join(rel, base)))
		}
		if e.IsDir() {
			return a.keepGoing(p, a.unexpected(p, "a directory inside a pid's metadata directory"))
		}
		a.file()
		if !e.Type().IsRegular() {
			return a.keepGoing(p, a.unexpected(p, "not a regular file"))
		}
		if len(name) == a.hexLen && isLowerHex(name) {
			docs++
			return a.keepGoing(p, a.readable(p))
		}
		return a.keepGoing(p, a.unexpected(p, "its name is not that of a metadata document"))
	})
	if err != nil || docs == 0 {
		return err
	}
	pidRel := layout.PIDRefsDir + strings.TrimPrefix(rel, layout.MetadataDir)
	if missing, err := a.missing(a.abs(pidRel)); err != nil || !missing {
		return err
	}
	unlock, err := a.lockPIDHash(ctx, h)
	if err != nil {
		return err
	}
	defer unlock()
	if missing, err := a.missing(a.abs(pidRel)); err != nil || !missing {
		return err
	}
	docs = 0
	err = a.eachEntry(ctx, rel, func(e fs.DirEntry) error {
		if e.Type().IsRegular() && len(e.Name()) == a.hexLen && isLowerHex(e.Name()) {
			docs++
		}
		return nil
	})
	if err != nil || docs == 0 {
		return err
	}
	return a.emit(Finding{Class: FindingMetadataWithoutPID, Path: rel,
		Detail: fmt.Sprintf("%d metadata document(s), but no pid refs file %s", docs, pidRel)})
}

// leftoverMetadataDelete handles a "_delete" metadata document under the pid lock (DeleteObject
// holds it while it deletes the pid's documents) and the document's lock.
func (a *auditor) leftoverMetadataDelete(ctx context.Context, rel, h, docRel string) error {
	unlockPID, err := a.lockPIDHash(ctx, h)
	if err != nil {
		return err
	}
	defer unlockPID()
	unlockDoc, err := a.lock(ctx, keylock.Metadata, a.abs(docRel))
	if err != nil {
		return err
	}
	defer unlockDoc()
	return a.leftoverDeleteLocked(rel)
}

// glued recognises the Java-then-Python corruption of docs/FORMAT.md 4.3: a line that is two pids
// run together, one of which has a pid refs file naming cid (the Java pid, whose line lacked
// its newline when Python appended). It returns a description of the split, or "". cidRefs is
// the cid refs file's content: a part that also has a line of its own there is not glued (its
// entry survives removing this line). Without that check, an interrupted tag of "x.14" beside
// a tagged "x.1" on the same content would look glued ("x.1" + "4") and never be repaired (the
// test TestCrashRepairInterruptedTagBesidePrefixPID pins it).
func (a *auditor) glued(cid, line string, cidRefs []byte) (string, error) {
	for i := 1; i < len(line); i++ {
		if !utf8.RuneStart(line[i]) {
			continue
		}
		for _, part := range []string{line[:i], line[i:]} {
			if refs.Contains(cidRefs, part) {
				continue
			}
			data, ok, err := a.readOptional(a.s.pidRefsPath(part))
			if err != nil {
				return "", err
			}
			if got, perr := refs.ParsePID(data); ok && perr == nil && got == cid {
				return fmt.Sprintf("it looks like pids %q and %q glued together (docs/FORMAT.md 4.3): %q is tagged to this cid", line[:i], line[i:], part), nil
			}
		}
	}
	return "", nil
}

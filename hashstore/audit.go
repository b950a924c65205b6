package hashstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashstore-go/hashstore/internal/safeopen"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
)

// FindingClass names a kind of inconsistency Audit reports. The values are stable words, used
// as they are by the command line and in JSON.
type FindingClass string

// The classes of finding. Every class is an error (IsError) except FindingUntaggedObject and
// FindingMetadataWithoutPID, which the API creates on purpose and which are only reported.
const (
	// FindingOrphanPIDRefs: a pid refs file names a cid whose cid refs file does not exist
	// (OrphanPidRefsFileFound). Path is the pid refs file.
	FindingOrphanPIDRefs FindingClass = "orphan_pid_refs"
	// FindingPIDMissingFromCIDRefs: a pid refs file names a cid whose cid refs file exists but
	// lists no pid with this pid refs file's hash (PidNotFoundInCidRefsFile). Path is the pid
	// refs file.
	FindingPIDMissingFromCIDRefs FindingClass = "pid_missing_from_cid_refs"
	// FindingOrphanCIDRefsEntry: a pid listed in a cid refs file has no pid refs file, or its
	// pid refs file names another cid. Path is the cid refs file, PID the listed pid.
	FindingOrphanCIDRefsEntry FindingClass = "orphan_cid_refs_entry"
	// FindingEmptyCIDRefs: a cid refs file that lists no pid.
	FindingEmptyCIDRefs FindingClass = "empty_cid_refs"
	// FindingRefsToMissingObject: a cid refs file lists pids but the object does not exist
	// (RefsFileExistsButCidObjMissing). Path is the cid refs file.
	FindingRefsToMissingObject FindingClass = "refs_to_missing_object"
	// FindingMalformedRefs: a pid refs file that is empty, holds several values or a cid that
	// cannot name a file; or a cid refs line that is not a valid pid.
	FindingMalformedRefs FindingClass = "malformed_refs"
	// FindingUnexpectedFile: an entry whose name or place does not fit the layout (wrong
	// depth, not a digest of the store algorithm, not a regular file, ...), or a locks/ at the
	// root that is not a directory (writable opens refuse the store then).
	FindingUnexpectedFile FindingClass = "unexpected_file"
	// FindingAbandonedTemp: a temp file that no writer owns any more (see AuditOptions.TempGrace).
	FindingAbandonedTemp FindingClass = "abandoned_temp"
	// FindingLeftoverDelete: a "_delete" file, the tail of an interrupted deletion.
	FindingLeftoverDelete FindingClass = "leftover_delete"
	// FindingCorruptObject: an object whose content no longer hashes to its cid (found with
	// AuditOptions.Rehash only). Never repaired.
	FindingCorruptObject FindingClass = "corrupt_object"
	// FindingUntaggedObject: an object without a cid refs file. Not an error: StoreObject
	// without a pid makes one on purpose, to be tagged later.
	FindingUntaggedObject FindingClass = "untagged_object"
	// FindingMetadataWithoutPID: a pid's metadata directory holds documents but the pid has
	// no pid refs file. Not an error: StoreMetadata does not require a tagged pid. Never
	// repaired. Path is the directory.
	FindingMetadataWithoutPID FindingClass = "metadata_without_pid"
	// FindingUnreadable: an entry the audit could not read or check, and so could not judge:
	// what stands where a file or directory should be is of another kind (a named pipe, a
	// socket, a device, a symbolic link, a directory), it cannot be opened, or it is larger
	// than the store reads. Path is the entry being checked; Detail the error, which names
	// the path at fault. The audit goes on with the next entry. Never repaired.
	FindingUnreadable FindingClass = "unreadable"
)

var findingClasses = []FindingClass{
	FindingOrphanPIDRefs, FindingPIDMissingFromCIDRefs, FindingOrphanCIDRefsEntry,
	FindingEmptyCIDRefs, FindingRefsToMissingObject, FindingMalformedRefs,
	FindingUnexpectedFile, FindingAbandonedTemp, FindingLeftoverDelete, FindingCorruptObject,
	FindingUnreadable, FindingUntaggedObject, FindingMetadataWithoutPID,
}

// FindingClasses returns every class Audit can report, in a fixed order (errors first).
func FindingClasses() []FindingClass { return append([]FindingClass(nil), findingClasses...) }

// IsError reports whether a finding of this class makes a store unclean. Untagged objects and
// metadata without a pid are the only classes that are not errors; an unknown class is one.
func (c FindingClass) IsError() bool {
	return c != FindingUntaggedObject && c != FindingMetadataWithoutPID
}

// Finding is one inconsistency Audit found, confirmed under the locks of the files involved
// so that the transient states of concurrent writers are not reported.
type Finding struct {
	Class FindingClass `json:"class"`
	// Path is the file (or directory) the finding is about, relative to the store's root,
	// with "/" separators.
	Path string `json:"path"`
	// PID and CID are filled in when known. A pid refs file's pid is known only by its hash.
	PID string `json:"pid,omitempty"`
	CID string `json:"cid,omitempty"`
	// Detail says what is wrong, and with AuditOptions.Repair why a repair was not made.
	Detail string `json:"detail,omitempty"`
	// Repaired is the action taken ("removed ..."), or "" if none.
	Repaired string `json:"repaired,omitempty"`
}

// DefaultTempGrace is the AuditOptions.TempGrace used when none is given.
const DefaultTempGrace = time.Hour

// AuditOptions controls Audit. The zero value audits without rehashing and repairs nothing.
type AuditOptions struct {
	// Rehash reads every object and compares its digest with its cid (FindingCorruptObject).
	Rehash bool
	// Repair fixes what the write ordering of the store makes unambiguous (see Audit) and
	// records each action in Finding.Repaired. It needs a writable store.
	Repair bool
	// UntaggedOlderThan, with Repair, removes untagged objects last modified longer ago than
	// this. Zero never removes one.
	UntaggedOlderThan time.Duration
	// TempGrace protects young files: a temp or "_delete" file modified, renamed or linked
	// less than this long ago may belong to a writer at work and is neither reported nor
	// removed. Zero means DefaultTempGrace. A negative value gives no grace, leaving only the
	// owners' claims (atomicfile.InUse) and the locks: use it only when no writer is at work,
	// because a writer's temp file exists for an instant before its owner can claim it.
	TempGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, if set, is called from the auditing goroutine every few hundred files and at
	// the end.
	Progress func(AuditProgress)
}

// AuditProgress is a snapshot of a running audit.
type AuditProgress struct {
	Files    int64  // files (not directories) examined so far
	Findings int    // findings reported so far
	Repaired int    // of which repaired
	Area     string // the part of the store being walked ("objects", "refs/cids", ...)
}

// AuditSummary is the outcome of Audit.
type AuditSummary struct {
	Files    int64                `json:"files"`    // files examined
	Findings int                  `json:"findings"` // findings reported
	Counts   map[FindingClass]int `json:"counts"`   // findings by class (repaired or not)
	Repaired int                  `json:"repaired"` // findings repaired
	// Errors counts the error findings (FindingClass.IsError) that were not repaired.
	Errors int `json:"errors"`
	// Clean is true when the audit completed and Errors is 0.
	Clean bool `json:"clean"`
}

// Audit walks the whole store once and reports every inconsistency to report, one Finding at a
// time, as it is found (report may be nil; an error it returns stops the audit and is
// returned). report is called from the calling goroutine with no store lock held, so it may
// take its time or call the store. Audit returns a summary, and an error if the walk could not
// complete (I/O failure, ctx done); the summary then covers what was walked.
//
// Memory is bounded whatever the store's size: directories are read a chunk at a time and
// each file is checked by direct lookups of the paths it implies (a cid refs file against the
// pid refs files of its pids and its object; a pid refs file against its cid refs file and
// object; an object against its cid refs file; a metadata directory against its pid refs
// file). Objects are hashed (Rehash) in a fixed buffer; without Rehash each object and metadata
// document is still opened (and closed unread), so that one no reader can open is reported.
// No symbolic link is followed: a directory that is a link, or below one, is reported
// (FindingUnreadable) and not walked.
//
// Audit is safe on a live store. Every finding is confirmed under the locks of the ids involved
// (the pid lock, by hash, then the cid lock) before it is reported, so the intermediate states
// of writers in this process, and with a writable store in other processes using this
// implementation's locks, are not reported. A read-only store has only in-process locks: an
// audit of a store that another process is writing may then report a state that process was
// about to complete.
//
// With opts.Repair, under those same locks and after checking the state again, it removes or
// rewrites exactly these (docs/FORMAT.md's write orderings make them unambiguous):
//
//   - an abandoned temp file (not in use per atomicfile.InUse and older than TempGrace), and
//     every "_delete" file older than TempGrace;
//   - a cid refs line whose pid has no pid refs file (an interrupted tag): the line goes, and
//     the cid refs file goes when no pid is left (the object stays, untagged); unless the
//     line is two pids glued together (docs/FORMAT.md 4.3), one of them tagged to this cid;
//   - a pid refs file whose cid refs file and object are both missing (an interrupted delete);
//   - a pid refs file missing from a cid refs file all of whose lines are consistent (an
//     interrupted delete of a shared object); with an inconsistent line the file may be the
//     Java-then-Python glued-line corruption (docs/FORMAT.md 4.3) and nothing is touched;
//   - a cid refs file whose object is missing and which lists exactly one pid whose pid refs
//     file names this cid (an interrupted delete of the last pid): both refs files go (note
//     that a pid tagged, on purpose, to a cid whose object was never stored looks the same);
//   - an empty cid refs file;
//   - with UntaggedOlderThan, an untagged object last modified longer ago than that.
//
// Everything else is reported only: corrupt objects, metadata, malformed refs, unexpected
// files, pids tagged to another cid, orphan pid refs whose object exists, missing objects of
// several pids.
func (s *FileHashStore) Audit(ctx context.Context, opts AuditOptions, report func(Finding) error) (AuditSummary, error) {
	a := &auditor{s: s, opts: opts, report: report, sum: AuditSummary{Counts: map[FindingClass]int{}}}
	if opts.Repair {
		if err := s.writable(); err != nil {
			return a.sum, opErr("audit", s.root, err)
		}
	}
	if a.opts.Now == nil {
		a.opts.Now = time.Now
	}
	switch {
	case a.opts.TempGrace == 0:
		a.grace = DefaultTempGrace
	case a.opts.TempGrace > 0:
		a.grace = a.opts.TempGrace
	}
	a.hexLen = s.alg.New().Size() * 2
	err := a.run(ctx)
	if ferr := a.flush(); err == nil {
		err = ferr
	}
	var re reportError
	if errors.As(err, &re) {
		err = re.err
	}
	a.area = ""
	a.progress()
	a.sum.Clean = err == nil && a.sum.Errors == 0
	return a.sum, opErr("audit", s.root, err)
}

// auditor is the state of one Audit.
type auditor struct {
	s      *FileHashStore
	opts   AuditOptions
	report func(Finding) error
	sum    AuditSummary
	grace  time.Duration
	hexLen int    // length of a digest in hex: the name of objects, pid refs and metadata
	buf    []byte // for hashing objects
	area   string
	ticks  int
	// pending holds findings made under a lock, reported by flush once held is back to 0.
	pending []Finding
	held    int
}

// dirChunk is how many directory entries are read at a time.
const dirChunk = 256

// progressEvery is how many files pass between two Progress calls.
const progressEvery = 500

func (a *auditor) run(ctx context.Context) error {
	steps := []struct {
		area string
		fn   func(context.Context) error
	}{
		{"objects/tmp", func(ctx context.Context) error { return a.walkTemps(ctx, path.Join(layout.ObjectsDir, layout.TmpDir)) }},
		{"metadata/tmp", func(ctx context.Context) error { return a.walkTemps(ctx, path.Join(layout.MetadataDir, layout.TmpDir)) }},
		{"refs/tmp", func(ctx context.Context) error { return a.walkTemps(ctx, path.Join(layout.RefsDir, layout.TmpDir)) }},
		{".", a.walkRoot},
		{"refs", a.walkRefsDir},
		{layout.CIDRefsDir, func(ctx context.Context) error { return a.walk(ctx, areaCIDRefs, layout.CIDRefsDir, nil) }},
		{layout.PIDRefsDir, func(ctx context.Context) error { return a.walk(ctx, areaPIDRefs, layout.PIDRefsDir, nil) }},
		{layout.ObjectsDir, func(ctx context.Context) error { return a.walk(ctx, areaObjects, layout.ObjectsDir, nil) }},
		{layout.MetadataDir, func(ctx context.Context) error { return a.walk(ctx, areaMetadata, layout.MetadataDir, nil) }},
	}
	for _, st := range steps {
		a.area = st.area
		a.progress()
		if err := a.keepGoing(st.area, st.fn(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// reportError is an error of the report function: it ends the audit.
type reportError struct{ err error }

func (e reportError) Error() string { return e.err.Error() }
func (e reportError) Unwrap() error { return e.err }

// keepGoing turns an error met while checking the entry at rel into a finding of class
// unreadable, so that one odd entry (a pipe, a directory or a link where a file should be, a
// file that cannot be opened) does not stop the audit or hide the findings after it. Only a
// cancelled context and the report function's errors end the audit.
func (a *auditor) keepGoing(rel string, err error) error {
	var re reportError
	switch {
	case err == nil, errors.As(err, &re), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return a.emit(Finding{Class: FindingUnreadable, Path: rel, Detail: err.Error()})
}

func (a *auditor) progress() {
	if a.opts.Progress != nil {
		a.opts.Progress(AuditProgress{Files: a.sum.Files, Findings: a.sum.Findings, Repaired: a.sum.Repaired, Area: a.area})
	}
}

// file counts one file examined.
func (a *auditor) file() {
	a.sum.Files++
	a.ticks++
	if a.ticks >= progressEvery {
		a.ticks = 0
		a.progress()
	}
}

// emit records a confirmed finding. It is reported once no lock is held (see flush), so that
// a report function that is slow, or that calls the store, cannot stall or deadlock writers.
func (a *auditor) emit(f Finding) error {
	a.sum.Findings++
	a.sum.Counts[f.Class]++
	switch {
	case f.Repaired != "":
		a.sum.Repaired++
	case f.Class.IsError():
		a.sum.Errors++
	}
	a.pending = append(a.pending, f)
	return a.flush()
}

// flush hands the recorded findings to the report function, unless a lock is held.
func (a *auditor) flush() error {
	if a.held > 0 {
		return nil
	}
	for len(a.pending) > 0 {
		f := a.pending[0]
		a.pending = a.pending[1:]
		if a.report != nil {
			if err := a.report(f); err != nil {
				a.pending = nil
				return reportError{err}
			}
		}
	}
	a.pending = nil
	return nil
}

// lock takes a store lock for the audit, counting it as held until the returned function
// releases it.
func (a *auditor) lock(ctx context.Context, kind keylock.Kind, key string) (func(), error) {
	var unlock func()
	var err error
	switch kind {
	case keylock.PID:
		unlock, err = a.s.lockPIDHash(ctx, key)
	case keylock.Metadata:
		unlock, err = a.s.lockDoc(ctx, key)
	default:
		unlock, err = a.s.locks.Lock(ctx, kind, key)
	}
	if err != nil {
		return nil, err
	}
	a.held++
	return func() { unlock(); a.held-- }, nil
}

// lockIDs takes, in the store's lock order, the pid lock of the pid whose hash is pidHash and
// then the lock of cid, skipping either when it is empty, and returns one function that
// releases both.
func (a *auditor) lockIDs(ctx context.Context, pidHash, cid string) (func(), error) {
	var unlocks []func()
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for _, l := range []struct {
		kind keylock.Kind
		key  string
	}{{keylock.PID, pidHash}, {keylock.CID, cid}} {
		if l.key == "" {
			continue
		}
		unlock, err := a.lock(ctx, l.kind, l.key)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, unlock)
	}
	return release, nil
}

// lockPIDHash takes the pid lock of the pid whose hash is h.
func (a *auditor) lockPIDHash(ctx context.Context, h string) (func(), error) {
	return a.lock(ctx, keylock.PID, h)
}

// abs turns a store-relative slash path into a path in the store's filesystem.
func (a *auditor) abs(rel string) string { return a.s.path(filepath.FromSlash(rel)) }

// rel turns a path built by the store (ObjectPath, ...) back into a store-relative slash path.
func (a *auditor) rel(p string) string {
	r, err := filepath.Rel(a.s.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(r)
}

// eachEntry calls fn for every entry of the directory rel. An OS directory is read dirChunk
// entries at a time, so that a directory of any size costs bounded memory, and without a
// stat per entry (the type comes from the directory itself). Other filesystems (afero's
// memory filesystem, which holds everything in memory anyway and whose chunked reads do not
// survive entries removed in between) are read in one go. A missing directory is empty.
func (a *auditor) eachEntry(ctx context.Context, rel string, fn func(fs.DirEntry) error) error {
	f, ok, err := a.openDir(rel)
	if !ok {
		return err
	}
	defer f.Close()
	read := func() ([]fs.DirEntry, error) {
		infos, err := f.Readdir(-1)
		entries := make([]fs.DirEntry, len(infos))
		for i, fi := range infos {
			entries[i] = fs.FileInfoToDirEntry(fi)
		}
		return entries, err
	}
	chunk := -1
	if osf, ok := safeopen.OSFile(f); ok {
		chunk = dirChunk
		read = func() ([]fs.DirEntry, error) { return osf.ReadDir(dirChunk) }
	}
	for {
		entries, err := read()
		for _, e := range entries {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if ferr := fn(e); ferr != nil {
				return ferr
			}
			if ferr := a.flush(); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && (chunk < 0 || len(entries) < chunk)) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// area is a sharded part of the store.
type area int

const (
	areaObjects  area = iota // objects/shard(cid)
	areaPIDRefs              // refs/pids/shard(H(pid))
	areaCIDRefs              // refs/cids/shard(cid), for any cid TagObject accepts
	areaMetadata             // metadata/shard(H(pid))/H(pid+formatID)
)

// walk visits the directory rel of area ar, whose path below the area is parts.
func (a *auditor) walk(ctx context.Context, ar area, rel string, parts []string) error {
	return a.eachEntry(ctx, rel, func(e fs.DirEntry) error {
		return a.keepGoing(rel+"/"+e.Name(), a.visit(ctx, ar, rel, parts, e))
	})
}

// visit checks one entry of the directory rel of area ar (see walk).
func (a *auditor) visit(ctx context.Context, ar area, rel string, parts []string, e fs.DirEntry) error {
	name := e.Name()
	p := rel + "/" + name
	if base, ok := strings.CutSuffix(name, layout.DeleteSuffix); ok && e.IsDir() {
		// A directory that stood where a file should be, renamed away by a delete.
		return a.leftoverDelete(ctx, ar, p, strings.Join(parts, "")+base)
	}
	if e.IsDir() {
		if len(parts) == 0 && name == layout.TmpDir && (ar == areaObjects || ar == areaMetadata) {
			return nil // walked on its own
		}
		if ar == areaMetadata && a.isDigestPath(parts, name) {
			return a.checkMetadataDir(ctx, p, strings.Join(parts, "")+name)
		}
		if a.isShardDir(ar, parts, name) {
			return a.walk(ctx, ar, p, append(parts[:len(parts):len(parts)], name))
		}
		return a.unexpected(p, "a directory where the layout has none")
	}
	a.file()
	if !e.Type().IsRegular() {
		return a.unexpected(p, "not a regular file")
	}
	if base, ok := strings.CutSuffix(name, layout.DeleteSuffix); ok {
		return a.leftoverDelete(ctx, ar, p, strings.Join(parts, "")+base)
	}
	id := strings.Join(parts, "") + name
	switch ar {
	case areaObjects:
		if a.isDigestPath(parts, name) {
			return a.checkObject(ctx, p, id)
		}
	case areaPIDRefs:
		if a.isDigestPath(parts, name) {
			return a.checkPIDRefs(ctx, p, id)
		}
	case areaCIDRefs:
		if sameShard(layout.Shard(id, a.s.cfg.Depth, a.s.cfg.Width), parts, name) && a.s.checkCID(id) == nil {
			return a.checkCIDRefs(ctx, p, id)
		}
	}
	return a.unexpected(p, "its name does not fit the layout")
}

// isShardDir reports whether a directory named name, below parts, is one the layout makes:
// every shard directory is exactly Width characters, at most Depth deep, and in the digest
// areas lowercase hex that leaves room for the rest of a digest.
func (a *auditor) isShardDir(ar area, parts []string, name string) bool {
	if len(parts) >= a.s.cfg.Depth || len(name) != a.s.cfg.Width {
		return false
	}
	if ar == areaCIDRefs {
		return true
	}
	used := 0
	for _, p := range parts {
		used += len(p)
	}
	return isLowerHex(name) && used+len(name) < a.hexLen
}

// isDigestPath reports whether parts+name is shard(d) for a digest d of the store algorithm.
func (a *auditor) isDigestPath(parts []string, name string) bool {
	id := strings.Join(parts, "") + name
	return len(id) == a.hexLen && isLowerHex(id) && sameShard(layout.Shard(id, a.s.cfg.Depth, a.s.cfg.Width), parts, name)
}

func sameShard(want, parts []string, name string) bool {
	if len(want) != len(parts)+1 || want[len(parts)] != name {
		return false
	}
	for i, p := range parts {
		if want[i] != p {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// walkRoot looks at the root for temp files of an interrupted store creation (hashstore.yaml
// is written through one), and for a locks/ that is not a directory, which keeps every writable
// open from working. Nothing else at the root is the audit's business.
func (a *auditor) walkRoot(ctx context.Context) error {
	return a.eachEntry(ctx, ".", func(e fs.DirEntry) error {
		if e.Name() == layout.LocksDir && !e.IsDir() {
			a.file()
			return a.keepGoing(e.Name(), a.unexpected(e.Name(), fmt.Sprintf(
				"%s where the lock files' directory should be: writable opens of the store fail until it is one", safeopen.Describe(e.Type()))))
		}
		rest, ok := strings.CutPrefix(e.Name(), atomicfile.TempPrefix)
		if !ok || len(rest) != 16 || !isLowerHex(rest) {
			return nil
		}
		a.file()
		return a.keepGoing(e.Name(), a.checkTemp(e.Name()))
	})
}

// walkRefsDir reports entries of refs/ other than pids/, cids/ and tmp/.
func (a *auditor) walkRefsDir(ctx context.Context) error {
	return a.eachEntry(ctx, layout.RefsDir, func(e fs.DirEntry) error {
		switch e.Name() {
		case "pids", "cids", layout.TmpDir:
			if e.IsDir() {
				return nil
			}
		}
		if !e.IsDir() {
			a.file()
		}
		p := layout.RefsDir + "/" + e.Name()
		return a.keepGoing(p, a.unexpected(p, "refs/ holds only pids/, cids/ and tmp/"))
	})
}

// walkTemps checks every entry of a tmp directory, whatever its kind: only writers' temp files
// belong there, so anything else (a directory, a link, a pipe) is abandoned once it is older
// than the grace period.
func (a *auditor) walkTemps(ctx context.Context, rel string) error {
	return a.eachEntry(ctx, rel, func(e fs.DirEntry) error {
		p := rel + "/" + e.Name()
		a.file()
		return a.keepGoing(p, a.checkTemp(p))
	})
}

// young reports whether a file may belong to a writer at work because it changed less than
// the grace period ago: its modification time, or (where the filesystem says) its status
// change time, which a rename to "_delete" or a new hard link updates.
func (a *auditor) young(fi fs.FileInfo) bool {
	now := a.opts.Now()
	if now.Sub(fi.ModTime()) < a.grace {
		return true
	}
	if ct, ok := changeTime(fi); ok && now.Sub(ct) < a.grace {
		return true
	}
	return false
}

// checkTemp reports (and with Repair removes) a temp entry no writer owns. A temp file is
// owned while its writer holds it (atomicfile.InUse); an entry of another kind has no owner
// and is judged by its age alone. Links are never followed.
func (a *auditor) checkTemp(rel string) error {
	p := a.abs(rel)
	abandoned := func() (fs.FileInfo, bool) {
		fi, err := safeopen.Lstat(a.s.fs, p)
		if err != nil || a.young(fi) {
			return nil, false
		}
		if fi.Mode().IsRegular() && atomicfile.InUse(a.s.fs, p, a.grace, a.opts.Now()) {
			return nil, false
		}
		return fi, true
	}
	fi, ok := abandoned()
	if !ok {
		return nil
	}
	detail := fmt.Sprintf("%d bytes, last modified %s", fi.Size(), fi.ModTime().UTC().Format(time.RFC3339))
	if !fi.Mode().IsRegular() {
		detail = fmt.Sprintf("%s, last modified %s", safeopen.Describe(fi.Mode()), fi.ModTime().UTC().Format(time.RFC3339))
	}
	f := Finding{Class: FindingAbandonedTemp, Path: rel, Detail: detail}
	if a.opts.Repair {
		if _, ok := abandoned(); !ok { // checked again right before acting
			return nil
		}
		if gone, err := a.remove(&f, rel); gone {
			return nil
		} else if err == nil {
			f.Repaired = "removed " + rel
		}
	}
	return a.emit(f)
}

// remove unlinks a file (or a link, or removes a directory with what it holds, never following
// a link) for a repair. gone reports that it had vanished already (someone else acted: no
// finding); a failure is noted in f.Detail and returned.
func (a *auditor) remove(f *Finding, rel string) (gone bool, err error) {
	p := a.abs(rel)
	rm := a.s.fs.Remove
	if fi, err := safeopen.Lstat(a.s.fs, p); err == nil && fi.IsDir() {
		rm = a.s.fs.RemoveAll
	}
	if err := rm(p); err != nil {
		if notExist(err) {
			return true, nil
		}
		f.Detail = joinDetail(f.Detail, "repair failed: "+err.Error())
		return false, err
	}
	if err := a.s.syncDir(filepath.Dir(p)); err != nil {
		a.s.log.Warn("hashstore: audit could not sync a directory after a repair", "dir", filepath.Dir(p), "err", err)
	}
	return false, nil
}

func joinDetail(d, more string) string {
	if d == "" {
		return more
	}
	return d + "; " + more
}

// unexpected reports an entry that does not fit the layout, if it is still there.
func (a *auditor) unexpected(rel, why string) error {
	if _, err := safeopen.Lstat(a.s.fs, a.abs(rel)); err != nil {
		return nil
	}
	return a.emit(Finding{Class: FindingUnexpectedFile, Path: rel, Detail: why})
}

// leftoverDelete reports (and with Repair removes) a "_delete" file, under the lock of the
// id it was renamed from, and only once it is older than the grace period: deletions rename
// and then unlink under their locks, and DeleteAllMetadata unlinks after releasing them.
func (a *auditor) leftoverDelete(ctx context.Context, ar area, rel, id string) error {
	var unlock func()
	var err error
	switch {
	case ar == areaPIDRefs && len(id) == a.hexLen && isLowerHex(id):
		unlock, err = a.lockPIDHash(ctx, id)
	case (ar == areaObjects || ar == areaCIDRefs) && a.s.checkCID(id) == nil:
		unlock, err = a.lock(ctx, keylock.CID, id)
	}
	if err != nil {
		return err
	}
	if unlock != nil {
		defer unlock()
	}
	return a.leftoverDeleteLocked(rel)
}

func (a *auditor) leftoverDeleteLocked(rel string) error {
	fi, err := safeopen.Lstat(a.s.fs, a.abs(rel))
	if err != nil || a.young(fi) {
		return nil
	}
	f := Finding{Class: FindingLeftoverDelete, Path: rel, Detail: "left by an interrupted deletion"}
	if a.opts.Repair {
		if gone, err := a.remove(&f, rel); gone {
			return nil
		} else if err == nil {
			f.Repaired = "removed " + rel
		}
	}
	return a.emit(f)
}

// Package faultfs provides an afero.Fs wrapper that counts file-system calls
// and makes chosen ones fail, so tests can check how code copes with I/O
// errors: a create that fails, a short write on a full disk, a rename that
// does not happen, a file system that turns read-only.
//
// Injected failures have the same shape as the errors the os package
// returns: an *os.PathError (an *os.LinkError for renames and symlinks)
// whose Op names the system call and whose Err field is exactly the error
// the test supplied. So errors.Is, errors.As, os.IsNotExist and a type switch
// on the Err field classify them the same way as real failures. IsInjected
// tells them apart from failures of the base file system.
package faultfs

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/afero"
)

// Op is a kind of call that FS counts and can make fail.
type Op int

// The kinds of call. Each method listed counts as its Op; methods not
// listed are not counted and no FailAt rule can pick them.
const (
	OpCreate  Op = iota // Fs.Create, or Fs.OpenFile with O_CREATE
	OpOpen              // Fs.Open, or Fs.OpenFile without O_CREATE
	OpWrite             // File.Write, WriteAt, WriteString and Truncate
	OpSync              // File.Sync
	OpClose             // File.Close
	OpRename            // Fs.Rename
	OpRemove            // Fs.Remove and RemoveAll
	OpMkdir             // Fs.Mkdir and MkdirAll
	OpChmod             // Fs.Chmod, Chown and Chtimes
	OpStat              // Fs.Stat and LstatIfPossible (not File.Stat)
	OpReadDir           // File.Readdir, Readdirnames and ReadDir

	numOps = iota
)

var opNames = [numOps]string{
	OpCreate:  "create",
	OpOpen:    "open",
	OpWrite:   "write",
	OpSync:    "sync",
	OpClose:   "close",
	OpRename:  "rename",
	OpRemove:  "remove",
	OpMkdir:   "mkdir",
	OpChmod:   "chmod",
	OpStat:    "stat",
	OpReadDir: "readdir",
}

// String returns the lower-case name of o ("create", "open", "write", ...),
// or "Op(N)" when o is not one of the declared constants.
func (o Op) String() string {
	if o.valid() {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

func (o Op) valid() bool { return o >= 0 && o < numOps }

// AllOps returns every declared Op in increasing order, in a new slice that
// the caller may modify.
func AllOps() []Op {
	ops := make([]Op, numOps)
	for i := range ops {
		ops[i] = Op(i)
	}
	return ops
}

// FS is an afero.Fs that hands every call on to a base afero.Fs, counts
// the calls per Op, and makes the calls that an armed rule picks fail
// (FailAt, FailWritesAfter, SetReadOnly). It implements afero.Fs, afero.Lstater and
// afero.Symlinker.
//
// Create, Open and OpenFile return files wrapped so that Write, WriteAt,
// WriteString, Truncate, Sync, Close, Readdir, Readdirnames and ReadDir are
// counted and can fail too. Read, ReadAt, Seek, Stat and Name go straight to
// the base file. The wrapped file implements fs.ReadDirFile even when the
// base file does not. It does not expose the base file's other methods
// (ReadFrom, Fd, ...), so io.Copy into it goes through Write.
//
// A failed call does not reach the base, so it has no effect, as a real
// failing system call mostly has none. Two exceptions copy what real system
// calls do: Close still closes the base file, and the write that crosses the
// FailWritesAfter limit stores the bytes up to the limit.
//
// An FS is safe for concurrent use by multiple goroutines. It has no state
// of its own in the base file system.
type FS struct {
	base afero.Fs

	mu        sync.Mutex
	counts    [numOps]int
	rules     []rule
	injected  int
	readOnly  bool
	limited   bool   // FailWritesAfter is in force
	budget    int64  // bytes writes may still store while limited
	budgetErr error  // what writes fail with once budget is spent
	budgetGen uint64 // bumped whenever the limit is set or lifted
}

// rule is one FailAt: the call of op that brings counts[op] to at fails
// with err.
type rule struct {
	op  Op
	at  int
	err error
}

var (
	_ afero.Fs        = (*FS)(nil)
	_ afero.Lstater   = (*FS)(nil)
	_ afero.Symlinker = (*FS)(nil)
)

// New returns an FS that wraps base, with no calls counted and no failure
// armed. New panics if base is nil.
func New(base afero.Fs) *FS {
	if base == nil {
		panic("faultfs: New with nil base")
	}
	return &FS{base: base}
}

// Base returns the file system f wraps. Calls made on it directly are
// neither counted nor failed.
func (f *FS) Base() afero.Fs { return f.base }

// FailAt arms a rule: the k-th call of kind op made from now on (k = 1 is
// the next one) fails with err. Calls before it and after it are not
// affected by this rule, which is spent once it fires.
//
// The failing call returns err the way the os package wraps a system
// call's error: an *os.PathError whose Op names the call ("open", "write",
// "truncate", "sync", "close", "remove", "mkdir", "chmod", "chown",
// "chtimes", "stat", "lstat", "readdirent"), whose Path is the name the
// caller used, and whose Err is err itself; an *os.LinkError with Op
// "rename" for Rename. So err should be the bare cause, typically a
// syscall.Errno such as syscall.EIO.
//
// Any number of rules may be armed at once, on the same Op or different
// ones. When two rules pick the same call, the one armed first supplies the
// error and both are spent. Calls count whether they succeed or fail. A rule
// takes precedence over read-only mode and over the FailWritesAfter limit
// for the call it picks; that call consumes none of the write limit.
//
// FailAt panics if op is not a declared Op, k < 1 or err is nil.
func (f *FS) FailAt(op Op, k int, err error) {
	if !op.valid() {
		panic(fmt.Sprintf("faultfs: FailAt with undeclared %v", op))
	}
	if k < 1 {
		panic(fmt.Sprintf("faultfs: FailAt(%v, %d): k must be at least 1", op, k))
	}
	if err == nil {
		panic(fmt.Sprintf("faultfs: FailAt(%v, %d) with nil error", op, k))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{op: op, at: f.counts[op] + k, err: err})
}

// FailWritesAfter limits how many more bytes writes may store, counted
// across every file opened through f by Write, WriteAt and WriteString, as
// on a disk that is about to fill up. Once n more bytes have been written,
// every write of at least one byte fails with err. The write that crosses
// the limit stores the bytes up to the limit and returns their count
// together with the error, like a real short write that runs into ENOSPC.
// Later writes store nothing and return 0.
//
// The error is an *os.PathError{Op: "write", Path: name, Err: err}.
// Zero-length writes always go through. Truncate does not count against the
// limit and is never refused by it. Sync and Close are not affected either
// (use FailAt to make them fail). Bytes the base file refuses to store are
// not counted. Removing files does not give space back. A later call replaces
// the limit with a new one counted from then. Reset lifts it.
//
// FailWritesAfter panics if n < 0 or err is nil.
func (f *FS) FailWritesAfter(n int64, err error) {
	if n < 0 {
		panic(fmt.Sprintf("faultfs: FailWritesAfter(%d): n must not be negative", n))
	}
	if err == nil {
		panic("faultfs: FailWritesAfter with nil error")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited = true
	f.budget = n
	f.budgetErr = err
	f.budgetGen++
}

// SetReadOnly switches read-only mode on or off. While it is on, every call
// that would change the file system fails with syscall.EROFS and does not
// reach the base, as on a file system mounted read-only, or remounted
// read-only after an error. These calls are refused:
//
//   - Create, and OpenFile with any of O_CREATE, O_WRONLY, O_RDWR, O_APPEND
//     or O_TRUNC;
//   - Write, WriteAt, WriteString and Truncate, on files opened before the
//     mode was switched on too;
//   - Rename, Remove, RemoveAll, Mkdir, Chmod, Chown, Chtimes and
//     SymlinkIfPossible;
//   - MkdirAll, unless path is already a directory: os.MkdirAll returns nil
//     for an existing directory without trying to change anything, and so
//     does FS.MkdirAll in read-only mode;
//   - Sync on a file opened for writing (by Create, or by OpenFile with
//     O_WRONLY or O_RDWR). Data written to such a file can no longer be
//     made durable, and a caller must not be told that it was.
//
// Everything else still works: Open and OpenFile for reading, Read, ReadAt,
// Seek, Stat, LstatIfPossible, ReadlinkIfPossible, Readdir and its kin,
// Close, and Sync on a file opened for reading only, such as a directory
// opened so its entries can be synced.
//
// Refused calls are counted under their Op and add to Injected. A FailAt rule
// that picks a call takes precedence over read-only mode.
func (f *FS) SetReadOnly(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readOnly = on
}

// Counts returns how many calls of each kind f has seen since New or the
// last Reset, including calls that failed, whether by injection or in the
// base. Kinds with no calls are absent from the map. The map is a new copy
// that the caller may keep and modify.
func (f *FS) Counts() map[Op]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[Op]int)
	for op, n := range f.counts {
		if n > 0 {
			m[Op(op)] = n
		}
	}
	return m
}

// Injected returns how many calls have failed by injection since New or
// the last Reset: calls picked by a FailAt rule, writes refused or cut
// short by the FailWritesAfter limit, and calls refused in read-only mode.
func (f *FS) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// Reset puts f back in the state New left it in: call counts and the
// Injected count go to zero, every FailAt rule is disarmed, the
// FailWritesAfter limit is lifted and read-only mode is switched off. Files
// already open stay open and usable. Errors injected earlier still satisfy
// IsInjected.
func (f *FS) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = [numOps]int{}
	f.rules = nil
	f.injected = 0
	f.readOnly = false
	f.limited = false
	f.budget = 0
	f.budgetErr = nil
	f.budgetGen++
}

// begin records one call of op and decides whether it fails: it returns
// the cause to report, or nil to let the call through. mutating says whether
// the call would change the file system, which read-only mode refuses.
func (f *FS) begin(op Op, mutating bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[op]++
	n := f.counts[op]
	var cause error
	kept := f.rules[:0]
	for _, r := range f.rules {
		if r.op == op && r.at == n {
			if cause == nil {
				cause = r.err
			}
			continue
		}
		kept = append(kept, r)
	}
	clear(f.rules[len(kept):])
	f.rules = kept
	if cause == nil && mutating && f.readOnly {
		cause = syscall.EROFS
	}
	if cause != nil {
		f.injected++
	}
	return cause
}

// refuseIfReadOnly is begin for a mutating call that has no Op: it is not
// counted and no rule can pick it, but read-only mode refuses it.
func (f *FS) refuseIfReadOnly() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.readOnly {
		return nil
	}
	f.injected++
	return syscall.EROFS
}

func (f *FS) isReadOnly() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readOnly
}

// reserve takes up to size bytes from the write limit. It returns how many
// bytes the write may store, the generation of the limit they were taken
// from, and the error to report if that is fewer than size.
func (f *FS) reserve(size int) (allowed int, gen uint64, cause error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.limited {
		return size, f.budgetGen, nil
	}
	if int64(size) <= f.budget {
		f.budget -= int64(size)
		return size, f.budgetGen, nil
	}
	allowed = int(f.budget)
	f.budget = 0
	return allowed, f.budgetGen, f.budgetErr
}

// refund gives back n reserved bytes that the base did not store, unless
// the limit they were taken from has been replaced or lifted since.
func (f *FS) refund(n int, gen uint64) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limited && f.budgetGen == gen {
		f.budget += int64(n)
	}
}

func (f *FS) noteInjected() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injected++
}

// wrap returns what the base returned from opening a file, with the file
// wrapped. A nil file stays an untyped nil.
func (f *FS) wrap(bf afero.File, err error, name string, writable bool) (afero.File, error) {
	if bf == nil {
		return nil, err
	}
	return &file{fs: f, base: bf, name: name, writable: writable}, err
}

// Name returns "faultfs(" + the base's name + ")".
func (f *FS) Name() string { return "faultfs(" + f.base.Name() + ")" }

// Create counts as OpCreate and is refused in read-only mode. Otherwise it
// calls the base's Create and wraps the file it returns.
func (f *FS) Create(name string) (afero.File, error) {
	if cause := f.begin(OpCreate, true); cause != nil {
		return nil, pathError("open", name, cause)
	}
	bf, err := f.base.Create(name)
	return f.wrap(bf, err, name, true)
}

// Open counts as OpOpen. It calls the base's Open and wraps the file it
// returns.
func (f *FS) Open(name string) (afero.File, error) {
	if cause := f.begin(OpOpen, false); cause != nil {
		return nil, pathError("open", name, cause)
	}
	bf, err := f.base.Open(name)
	return f.wrap(bf, err, name, false)
}

// OpenFile counts as OpCreate when flag has O_CREATE and as OpOpen
// otherwise. In read-only mode it is refused when flag has any of O_CREATE,
// O_WRONLY, O_RDWR, O_APPEND or O_TRUNC. Otherwise it calls the base's
// OpenFile and wraps the file it returns.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	op := OpOpen
	if flag&os.O_CREATE != 0 {
		op = OpCreate
	}
	mutating := flag&(os.O_CREATE|os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_TRUNC) != 0
	if cause := f.begin(op, mutating); cause != nil {
		return nil, pathError("open", name, cause)
	}
	bf, err := f.base.OpenFile(name, flag, perm)
	return f.wrap(bf, err, name, flag&(os.O_WRONLY|os.O_RDWR) != 0)
}

// Mkdir counts as OpMkdir, is refused in read-only mode, and otherwise
// calls the base's Mkdir.
func (f *FS) Mkdir(name string, perm os.FileMode) error {
	if cause := f.begin(OpMkdir, true); cause != nil {
		return pathError("mkdir", name, cause)
	}
	return f.base.Mkdir(name, perm)
}

// MkdirAll counts as OpMkdir and otherwise calls the base's MkdirAll. In
// read-only mode it is refused unless path is already a directory. An
// injected failure creates nothing, not even the missing parents.
func (f *FS) MkdirAll(path string, perm os.FileMode) error {
	mutating := true
	if f.isReadOnly() {
		if fi, err := f.base.Stat(path); err == nil && fi.IsDir() {
			mutating = false
		}
	}
	if cause := f.begin(OpMkdir, mutating); cause != nil {
		return pathError("mkdir", path, cause)
	}
	return f.base.MkdirAll(path, perm)
}

// Remove counts as OpRemove, is refused in read-only mode, and otherwise
// calls the base's Remove.
func (f *FS) Remove(name string) error {
	if cause := f.begin(OpRemove, true); cause != nil {
		return pathError("remove", name, cause)
	}
	return f.base.Remove(name)
}

// RemoveAll counts as OpRemove, is refused in read-only mode (even when
// path does not exist), and otherwise calls the base's RemoveAll. An
// injected failure removes nothing.
func (f *FS) RemoveAll(path string) error {
	if cause := f.begin(OpRemove, true); cause != nil {
		return pathError("remove", path, cause)
	}
	return f.base.RemoveAll(path)
}

// Rename counts as OpRename, is refused in read-only mode, and otherwise
// calls the base's Rename. Its injected failures are *os.LinkError values
// with Op "rename", and leave both names as they were.
func (f *FS) Rename(oldname, newname string) error {
	if cause := f.begin(OpRename, true); cause != nil {
		return linkError("rename", oldname, newname, cause)
	}
	return f.base.Rename(oldname, newname)
}

// Stat counts as OpStat and otherwise calls the base's Stat. It works in
// read-only mode.
func (f *FS) Stat(name string) (os.FileInfo, error) {
	if cause := f.begin(OpStat, false); cause != nil {
		return nil, pathError("stat", name, cause)
	}
	return f.base.Stat(name)
}

// LstatIfPossible counts as OpStat. It calls the base's LstatIfPossible
// when the base implements afero.Lstater, and otherwise the base's Stat,
// reporting false. On an injected failure the bool reports whether the base
// implements afero.Lstater. It works in read-only mode.
func (f *FS) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	lst, ok := f.base.(afero.Lstater)
	if cause := f.begin(OpStat, false); cause != nil {
		return nil, ok, pathError("lstat", name, cause)
	}
	if ok {
		return lst.LstatIfPossible(name)
	}
	fi, err := f.base.Stat(name)
	return fi, false, err
}

// Chmod counts as OpChmod, is refused in read-only mode, and otherwise
// calls the base's Chmod.
func (f *FS) Chmod(name string, mode os.FileMode) error {
	if cause := f.begin(OpChmod, true); cause != nil {
		return pathError("chmod", name, cause)
	}
	return f.base.Chmod(name, mode)
}

// Chown counts as OpChmod, is refused in read-only mode, and otherwise
// calls the base's Chown.
func (f *FS) Chown(name string, uid, gid int) error {
	if cause := f.begin(OpChmod, true); cause != nil {
		return pathError("chown", name, cause)
	}
	return f.base.Chown(name, uid, gid)
}

// Chtimes counts as OpChmod, is refused in read-only mode, and otherwise
// calls the base's Chtimes.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	if cause := f.begin(OpChmod, true); cause != nil {
		return pathError("chtimes", name, cause)
	}
	return f.base.Chtimes(name, atime, mtime)
}

// SymlinkIfPossible calls the base's SymlinkIfPossible when the base
// implements afero.Linker, and otherwise returns an *os.LinkError with Op
// "symlink" and Err afero.ErrNoSymlink, as afero's own wrappers do. It is
// not counted and no FailAt rule can pick it, but it is refused in
// read-only mode.
func (f *FS) SymlinkIfPossible(oldname, newname string) error {
	if cause := f.refuseIfReadOnly(); cause != nil {
		return linkError("symlink", oldname, newname, cause)
	}
	if l, ok := f.base.(afero.Linker); ok {
		return l.SymlinkIfPossible(oldname, newname)
	}
	return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: afero.ErrNoSymlink}
}

// ReadlinkIfPossible calls the base's ReadlinkIfPossible when the base
// implements afero.LinkReader, and otherwise returns an *os.PathError with
// Op "readlink" and Err afero.ErrNoReadlink. It is not counted and never
// fails by injection.
func (f *FS) ReadlinkIfPossible(name string) (string, error) {
	if r, ok := f.base.(afero.LinkReader); ok {
		return r.ReadlinkIfPossible(name)
	}
	return "", &os.PathError{Op: "readlink", Path: name, Err: afero.ErrNoReadlink}
}

// RealPath returns the OS path under which the base file system keeps
// name, for code that has to call the os package directly (to make a hard
// link, say). For an afero.OsFs base it returns name unchanged. For an
// *afero.BasePathFs base it returns what that BasePathFs's RealPath returns,
// which is an OS path only if the BasePathFs itself sits on an OsFs. For an
// *FS base it asks that FS. For any other base it returns an *os.PathError
// with Op "realpath" and Err ErrNoRealPath.
//
// RealPath is not counted, never fails by injection, works in read-only
// mode, and does not check that name exists.
func (f *FS) RealPath(name string) (string, error) {
	switch b := f.base.(type) {
	case *afero.OsFs, afero.OsFs:
		return name, nil
	case *afero.BasePathFs:
		return b.RealPath(name)
	case *FS:
		return b.RealPath(name)
	default:
		return "", &os.PathError{Op: "realpath", Path: name, Err: ErrNoRealPath}
	}
}

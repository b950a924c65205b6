// Package linker makes hard links from source files to paths in a store. afero has no hard
// links, so this small interface is the one place where a store's filesystem meets the files
// it links in: OS links for a store on the OS filesystem, and an emulation for afero's memory
// filesystem, where tests run.
package linker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/spf13/afero"
	"github.com/spf13/afero/mem"

	"github.com/hashstore-go/hashstore/internal/realpath"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Linker makes hard links from source files to paths in a store. Sources are named in the
// linker's own namespace (OS paths for OSLinker); targets are paths on the store's afero.Fs.
// Implementations must be safe for concurrent use.
type Linker interface {
	// Stat describes the source file, following symbolic links. A missing source is an error
	// matching fs.ErrNotExist.
	Stat(source string) (fs.FileInfo, error)
	// Open opens the source for reading only, refusing anything but a regular file (an error
	// matching safeopen.ErrNotRegular), and must not block on special files.
	Open(source string) (fs.File, error)
	// Link makes target, which must not exist, a new name for the file source names (after
	// following symbolic links). Its error for source and target on different filesystems
	// must match syscall.EXDEV (as *os.LinkError does).
	Link(source, target string) error
	// SameFile reports whether two descriptions name one file (one inode): one from Stat of a
	// file Open returned, the other from the store's filesystem (Stat or Lstat of a target).
	SameFile(a, b fs.FileInfo) bool
}

// LinkChecker is an optional interface of a Linker. CheckLink returns, before the source has
// been read, an error that Link would certainly return for a target in dir (a path on the
// store's filesystem), so that a source that cannot be linked fails, or is copied instead,
// without being read. OSLinker returns an *os.LinkError wrapping syscall.EXDEV when the
// source and dir are on different devices. A nil result promises nothing: Link may still fail
// (across two mounts of one filesystem, for instance).
type LinkChecker interface {
	CheckLink(source, dir string) error
}

// errNoOSPath is returned by OSLinker.Link for a store whose filesystem has no OS path.
var errNoOSPath = errors.New("the store's filesystem is not backed by the operating system's, so nothing can be hard-linked into it")

// OSLinker links OS files into a store whose afero.Fs is backed by the OS filesystem:
// afero.OsFs, an afero.BasePathFs over it, or a filesystem that names its OS paths (see
// internal/realpath). Sources are OS paths, relative ones to the working directory. Symbolic
// links among sources are followed: the file they name is linked, never the link itself.
type OSLinker struct {
	store afero.Fs
}

// NewOS returns the Linker for a store on fsys.
func NewOS(fsys afero.Fs) *OSLinker { return &OSLinker{store: fsys} }

// Stat implements Linker with os.Stat.
func (l *OSLinker) Stat(source string) (fs.FileInfo, error) { return os.Stat(source) }

// Open implements Linker with safeopen.OpenInput: read-only and non-blocking (a FIFO swapped
// in for the source cannot hang the caller), refusing what is not a regular file.
func (l *OSLinker) Open(source string) (fs.File, error) { return safeopen.OpenInput(source) }

// Link implements Linker: linkat(2) with AT_SYMLINK_FOLLOW from source to the OS path behind
// target. Errors are *os.LinkError.
func (l *OSLinker) Link(source, target string) error {
	real, ok := realpath.Of(l.store, target)
	if !ok {
		return &os.LinkError{Op: "link", Old: source, New: target, Err: errNoOSPath}
	}
	if err := linkFollow(source, real); err != nil {
		return &os.LinkError{Op: "link", Old: source, New: real, Err: err}
	}
	return nil
}

// SameFile implements Linker with os.SameFile.
func (l *OSLinker) SameFile(a, b fs.FileInfo) bool { return os.SameFile(a, b) }

// CheckLink implements LinkChecker by comparing the devices of source and dir.
func (l *OSLinker) CheckLink(source, dir string) error {
	real, ok := realpath.Of(l.store, dir)
	if !ok {
		return &os.LinkError{Op: "link", Old: source, New: dir, Err: errNoOSPath}
	}
	a, err := os.Stat(source)
	if err != nil {
		return err
	}
	b, err := os.Stat(real)
	if err != nil {
		return err
	}
	if da, ok1 := device(a); ok1 {
		if db, ok2 := device(b); ok2 && da != db {
			return &os.LinkError{Op: "link", Old: source, New: real, Err: syscall.EXDEV}
		}
	}
	return nil
}

// MemLinker is a Linker for stores on afero's memory filesystem, and exists for tests: the
// memory filesystem has no hard links, so Link copies the source's bytes, mode and
// modification time to the target and remembers that the two are one file, which is what
// SameFile then answers (the memory follows files across renames). Unlike a real link,
// writing to one of the two later does not change the other. Sources are paths in the same
// filesystem. On another afero.Fs it still copies, but SameFile only knows a file is itself
// on afero.MemMapFs.
type MemLinker struct {
	fs afero.Fs

	mu     sync.Mutex
	groups map[*mem.FileData]int // files made one by Link share a group
	next   int
}

// NewMem returns a MemLinker for sources and a store on fsys (an afero.MemMapFs).
func NewMem(fsys afero.Fs) *MemLinker {
	return &MemLinker{fs: fsys, groups: map[*mem.FileData]int{}}
}

// Stat implements Linker.
func (l *MemLinker) Stat(source string) (fs.FileInfo, error) { return l.fs.Stat(source) }

// Open implements Linker with safeopen.Open on the memory filesystem.
func (l *MemLinker) Open(source string) (fs.File, error) { return safeopen.Open(l.fs, source) }

// Link implements Linker by copying source to a new file target with the source's mode.
func (l *MemLinker) Link(source, target string) error {
	linkErr := func(err error) error { return &os.LinkError{Op: "link", Old: source, New: target, Err: err} }
	fi, err := l.fs.Stat(source)
	if err != nil {
		return linkErr(Cause(err))
	}
	if !fi.Mode().IsRegular() {
		return linkErr(fmt.Errorf("not a regular file"))
	}
	src, err := l.fs.Open(source)
	if err != nil {
		return linkErr(Cause(err))
	}
	defer src.Close()
	dst, err := l.fs.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return linkErr(Cause(err))
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.fs.Chtimes(target, fi.ModTime(), fi.ModTime())
	}
	if err != nil {
		l.fs.Remove(target)
		return linkErr(err)
	}
	ti, err := l.fs.Stat(target)
	if err != nil {
		return linkErr(err)
	}
	a, b := memData(fi), memData(ti)
	if a == nil || b == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.groups[a]
	if !ok {
		l.next++
		g = l.next
		l.groups[a] = g
	}
	l.groups[b] = g
	return nil
}

// SameFile implements Linker: the same in-memory file, or two that Link made one.
func (l *MemLinker) SameFile(a, b fs.FileInfo) bool {
	da, db := memData(a), memData(b)
	if da == nil || db == nil {
		return false
	}
	if da == db {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ga, oka := l.groups[da]
	gb, okb := l.groups[db]
	return oka && okb && ga == gb
}

// memData returns the in-memory file behind a FileInfo from MemMapFs, or nil.
func memData(fi fs.FileInfo) *mem.FileData {
	if m, ok := fi.(*mem.FileInfo); ok {
		return m.FileData
	}
	return nil
}

// Cause strips the *fs.PathError or *os.LinkError around a system error, whose paths the
// caller reports itself.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

package atomicfile

import (
	"os"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Ownership of temp files. A writer claims its temp file for as long as it may still rename
// it: in this process through a registry of live temp names, and across processes with an
// exclusive flock on the file's descriptor (released by the kernel when the writer closes it or
// dies). InUse lets an audit tell an abandoned temp file from one being written right now.

// live holds the names of temp files this process is writing.
var live sync.Map

// claim flocks a new temp file when it has an OS descriptor (CreateTemp has already put its
// name in the registry). A file without one (afero's memory filesystem) is protected by the
// registry alone, which is all there is to protect on a filesystem no other process can see.
func claim(f afero.File) {
	// Failure to lock (flock unsupported) leaves the age rule of InUse to protect it.
	withDescriptor(f, lockFd)
}

func release(name string) { live.Delete(name) }

// withDescriptor runs op on the OS file descriptor behind an afero.File (looking through
// wrappers) and reports whether there was one. It borrows the descriptor through SyscallConn
// rather than os.File.Fd, which would cost two fcntl calls to switch the file to blocking mode.
func withDescriptor(f afero.File, op func(fd int)) bool {
	osf, ok := safeopen.OSFile(f)
	return ok && control(osf, func(fd int) error { op(fd); return nil }) == nil
}

// control runs op on f's descriptor, returning op's error or the runtime's.
func control(f *os.File, op func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = op(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// InUse reports whether the temp file at name may still be in use by a writer: it is in this
// process's registry, or another process holds its flock, or it was modified less than grace
// ago (which covers the instant between a writer creating a file and locking it, and
// filesystems where flock does not work). Only a file for which InUse is false may be removed
// as abandoned.
func InUse(fsys afero.Fs, name string, grace time.Duration, now time.Time) bool {
	if _, ok := live.Load(name); ok {
		return true
	}
	fi, err := fsys.Stat(name)
	if err != nil {
		return false // gone: nothing to protect
	}
	if now.Sub(fi.ModTime()) < grace {
		return true
	}
	f, err := safeopen.Open(fsys, name) // a planted pipe must not block the audit
	if err != nil {
		return false
	}
	defer f.Close()
	locked := false
	withDescriptor(f, func(fd int) { locked = lockedElsewhere(fd) })
	return locked
}

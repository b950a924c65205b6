package keylock

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// DefaultStripes is the number of lock files per kind: enough that unrelated keys rarely share
// one (two writers on different keys share a stripe once in 256, and then only wait for each
// other briefly), few enough that the lock directory stays small and that a fresh store does
// not pay for creating a lock file on most of its first few thousand operations
// (bench/README.md).
//
// Every process writing to one store must use the same count: lock files are named by stripe
// index, so a build with another count would take other files for the same key and not
// exclude this one. Changing it means stopping every process of the older build first.
const DefaultStripes = 256

// Files is a Locker that excludes other processes too, and other hosts that share the
// filesystem, with flock(2) on lock files in one directory. Keys are hashed onto a fixed number
// of stripes per kind, so the number of lock files is bounded whatever the number of keys; two
// keys on one stripe simply exclude each other. The lock files are created on first use, never
// renamed or removed, and live outside the data layout.
//
// Within the process, a stripe is first taken with an in-process lock, so goroutines queue
// without polling and only one file descriptor per stripe is flocked at a time; the flock is
// then taken by polling (flock has no timeout), with a back-off from 1 ms to 50 ms, until the
// context ends.
//
// What holds where: on a local filesystem flock excludes every process on the host. On NFSv4
// (Linux clients emulate flock with POSIX byte-range locks, so lock files need read-write
// access) and on CephFS (kernel and FUSE clients implement flock cluster-wide) it excludes
// processes on every client host. It does not hold on NFSv3 without a lock manager, on
// filesystems mounted with "nolock" or "local_lock=flock", or on SMB/CIFS mounts where flock is
// local only; there, run one writer per store. A lock held by a process that dies is released by
// the kernel (on NFS, when the server notices the client is gone: the lease time, 90 s by
// default).
type Files struct {
	dir     string
	stripes int
	perm    fs.FileMode
	dirPerm fs.FileMode
	local   Local
	made    sync.Map // lock file paths known to exist with the right mode
}

// NewFiles returns a Files locker using lock files in dir, stripes of them per kind, created
// with mode perm. The directory is created (with mode dirPerm) when the first lock is taken,
// so a store that is only opened is not changed.
func NewFiles(dir string, stripes int, perm, dirPerm fs.FileMode) (*Files, error) {
	if stripes < 1 {
		return nil, fmt.Errorf("keylock: stripes must be at least 1, got %d", stripes)
	}
	return &Files{dir: dir, stripes: stripes, perm: perm, dirPerm: dirPerm}, nil
}

// Dir returns the directory holding the lock files.
func (f *Files) Dir() string { return f.dir }

// Lock implements Locker.
func (f *Files) Lock(ctx context.Context, kind Kind, key string) (func(), error) {
	name := f.stripeName(kind, key)
	unlockLocal, err := f.local.Lock(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(f.dir, name)
	if err := f.ensure(path); err != nil {
		unlockLocal()
		return nil, err
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDWR), flock.SetPermissions(f.perm))
	if err := pollLock(ctx, fl); err != nil {
		unlockLocal()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			fl.Unlock() // closing the descriptor releases the lock even if LOCK_UN failed
			unlockLocal()
		})
	}, nil
}

// StripeName returns the lock file name a key maps to, e.g. "cid.03f1".
func (f *Files) stripeName(kind Kind, key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("%s.%04x", kind, h.Sum32()%uint32(f.stripes))
}

// ensure creates a lock file with the configured mode (exactly, whatever the umask) the first
// time this process uses it.
func (f *Files) ensure(path string) error {
	if _, ok := f.made.Load(path); ok {
		return nil
	}
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, f.perm)
	if errors.Is(err, fs.ErrNotExist) {
		if err := f.makeDir(); err != nil {
			return err
		}
		fh, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, f.perm)
	}
	switch {
	case err == nil:
		fh.Close()
		if err := os.Chmod(path, f.perm); err != nil {
			return err
		}
	case errors.Is(err, fs.ErrExist):
	default:
		return err
	}
	f.made.Store(path, struct{}{})
	return nil
}

// makeDir creates the lock directory with its mode applied exactly (someone else may create
// it at the same time; that is fine).
func (f *Files) makeDir() error {
	err := os.Mkdir(f.dir, f.dirPerm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Chmod(f.dir, f.dirPerm)
}

// pollLock takes an exclusive flock, retrying with back-off until ctx ends.
func pollLock(ctx context.Context, fl *flock.Flock) error {
	delay := time.Millisecond
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return fmt.Errorf("keylock: flock %s: %w", fl.Path(), err)
		}
		if ok {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
}

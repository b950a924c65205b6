package safeopen

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// errNoOpenat2: openat2 cannot serve this call; walk the path instead.
var errNoOpenat2 = errors.New("openat2 unavailable")

// openat2Missing is set once the kernel has shown it lacks openat2 or its resolve flags
// (before Linux 5.6), so later calls go straight to the walk.
var openat2Missing atomic.Bool

func openat2Usable() bool { return !openat2Missing.Load() }

// beneathResolve keeps the whole resolution of a path below its starting directory and refuses
// any symbolic link on the way, /proc's magic links included.
const beneathResolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openat2Beneath opens clean below dirFd with fileFlags in one openat2 call. It returns
// errNoOpenat2 when the kernel lacks the call or its flags (remembered), when a seccomp filter
// forbids it (EPERM, not remembered: it may be a one-off denial), and when a concurrent rename
// keeps making the kernel ask for a retry (EAGAIN).
func openat2Beneath(dirFd int, clean string) (int, error) {
	return openat2(dirFd, clean, beneathResolve)
}

// openat2NoLinks opens the absolute path with fileFlags in one openat2 call that follows no
// symbolic link in any of its components (the root's included): for a path made of a root
// free of links and a cleaned relative name, the same file, and the same refusals, as
// openat2Beneath from the root, without opening the root first. It returns errNoOpenat2 as
// openat2Beneath does.
func openat2NoLinks(path string) (int, error) {
	return openat2(unix.AT_FDCWD, path, unix.RESOLVE_NO_SYMLINKS|unix.RESOLVE_NO_MAGICLINKS)
}

// openat2 is one openat2 call with fileFlags and resolve, retried when interrupted or asked
// to retry, with the errors openat2Beneath describes.
func openat2(dirFd int, path string, resolve uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(fileFlags), Resolve: resolve}
	for range 16 {
		fd, err := unix.Openat2(dirFd, path, &how)
		switch err {
		case nil:
			return fd, nil
		case unix.EINTR, unix.EAGAIN:
			continue
		case unix.ENOSYS, unix.EINVAL, unix.E2BIG:
			openat2Missing.Store(true)
			return -1, errNoOpenat2
		case unix.EPERM:
			return -1, errNoOpenat2
		default:
			return -1, err
		}
	}
	return -1, errNoOpenat2
}

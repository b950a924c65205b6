//go:build unix

package linker

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// linkFollow makes newpath a hard link to the file oldpath names, following oldpath if it is a
// symbolic link (link(2) itself would link the symbolic link).
func linkFollow(oldpath, newpath string) error {
	for {
		err := unix.Linkat(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.AT_SYMLINK_FOLLOW)
		if err != unix.EINTR {
			return err
		}
	}
}

// device returns the device a FileInfo from the OS is on.
func device(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true
}

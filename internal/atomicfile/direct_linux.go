package atomicfile

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// directFilesystems are the local block filesystems on which direct writes are used. Network
// and shared filesystems (NFS, CephFS, Lustre) are left out on purpose: there O_DIRECT turns
// every write into a synchronous round trip to the server, and tmpfs has no device to bypass
// the cache for.
var directFilesystems = map[int64]bool{
	unix.EXT4_SUPER_MAGIC:  true, // also ext2 and ext3
	unix.XFS_SUPER_MAGIC:   true,
	unix.BTRFS_SUPER_MAGIC: true,
}

// directSupported reports whether f lives on a filesystem in directFilesystems.
func directSupported(f *os.File) bool {
	var st unix.Statfs_t
	if err := control(f, func(fd int) error { return unix.Fstatfs(fd, &st) }); err != nil {
		return false
	}
	return directFilesystems[int64(st.Type)]
}

// setDirect turns O_DIRECT on or off on f's open file description.
func setDirect(f *os.File, on bool) error {
	return control(f, func(fd int) error {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags)
		return err
	})
}

// isDirectRefusal reports whether a write error means the device or filesystem refused the
// direct write's alignment or size (EINVAL), so the same bytes may be written normally.
func isDirectRefusal(err error) bool { return errors.Is(err, syscall.EINVAL) }

//go:build linux

package server

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// fingerprintOfSys is the fingerprint of an OS file's stat, when sys is one.
func fingerprintOfSys(sys any) (fingerprint, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return fingerprint{}, false
	}
	return fingerprintOfStat(st), true
}

func fingerprintOfStat(st *syscall.Stat_t) fingerprint {
	return fingerprint{size: st.Size, mtime: st.Mtim.Nano(), ino: st.Ino, ctime: st.Ctim.Nano(), nlink: uint64(st.Nlink)}
}

// fstatFingerprint is fingerprintOf for an open file descriptor, without the allocations of
// os.File.Stat (it is on the path of every cached read).
func fstatFingerprint(fd int) (fingerprint, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fingerprint{}, err
	}
	return fingerprintOfStat(&st), nil
}

// localFilesystems are the filesystems on which the caches may hold the store's files open
// (see holdFiles): on these, removing or replacing a file someone holds open leaves nothing
// behind in its directory. An NFS client instead renames such a file to .nfsXXXX until it is
// closed, which would litter the store's directories, so network and FUSE filesystems, and
// any not listed, are checked by path.
var localFilesystems = map[int64]bool{
	unix.EXT4_SUPER_MAGIC:  true, // also ext2 and ext3
	unix.XFS_SUPER_MAGIC:   true,
	unix.BTRFS_SUPER_MAGIC: true,
	unix.TMPFS_MAGIC:       true,
	unix.F2FS_SUPER_MAGIC:  true,
	0x2fc12fc1:             true, // ZFS
}

// canHoldFiles reports whether the filesystem of dir is one of localFilesystems.
func canHoldFiles(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return localFilesystems[int64(st.Type)]
}

// fileLimit is the process's limit on open files.
func fileLimit() uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}

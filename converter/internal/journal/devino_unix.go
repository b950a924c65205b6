//go:build unix

package journal

import (
	"io/fs"
	"syscall"
)

// devIno returns the device and inode numbers of a file described by os.Stat.
func devIno(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

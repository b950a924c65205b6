//go:build linux

package server

import (
	"io/fs"
	"syscall"
)

// inodeAndCtime returns the inode number and status change time of fi, when the file is an
// OS file.
func inodeAndCtime(fi fs.FileInfo) (uint64, int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Ctim.Nano()
	}
	return 0, 0
}

//go:build linux

package hashstore

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime returns a file's status change time (ctime) when the filesystem reports one.
// Renames and new hard links update it, while they leave the modification time alone.
func changeTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec), true
}

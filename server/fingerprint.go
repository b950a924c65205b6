package server

import (
	"io/fs"
	"time"
)

// fingerprint identifies one version of a file: what changes when the file is replaced or
// rewritten (a repair, a restore), and stays the same while nobody touches it. It is what
// the suspect set and the verified cache compare, so that a repaired object is served again
// without a restart and a verification does not outlive the bytes it checked.
type fingerprint struct {
	size  int64
	mtime time.Time
	ino   uint64
	ctime int64 // nanoseconds; changes with any write, rename or link, unlike mtime
}

func fingerprintOf(fi fs.FileInfo) fingerprint {
	fp := fingerprint{size: fi.Size(), mtime: fi.ModTime()}
	fp.ino, fp.ctime = inodeAndCtime(fi)
	return fp
}

package server

import "io/fs"

// fingerprint identifies one version of a file: what changes when the file is replaced or
// rewritten (a repair, a restore), and stays the same while nobody touches it. It is what
// the suspect set and the verified cache compare, so that a repaired object is served again
// without a restart and a verification does not outlive the bytes it checked, and what the
// resolution and system metadata caches compare to know that the store's files still say
// what they said.
//
// The link count is part of it so that a file held open (see holdFiles) tells, by itself,
// that it was removed or replaced at its path: unlinking a file lowers its count, and POSIX
// does not promise a new change time when the count reaches zero.
type fingerprint struct {
	size  int64
	mtime int64 // nanoseconds
	ino   uint64
	ctime int64 // nanoseconds; changes with any write, rename or link, unlike mtime
	nlink uint64
}

func fingerprintOf(fi fs.FileInfo) fingerprint {
	if fp, ok := fingerprintOfSys(fi.Sys()); ok {
		return fp
	}
	return fingerprint{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

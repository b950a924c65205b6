//go:build !unix

package atomicfile

// Without flock, temp files are claimed only in-process; InUse falls back to the age rule for
// files of other processes.
func lockFd(int) {}

func lockedElsewhere(int) bool { return false }

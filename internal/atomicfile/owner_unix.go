//go:build unix

package atomicfile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// lockFd takes a non-blocking exclusive flock on fd; the kernel releases it when fd closes.
func lockFd(fd int) { _ = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) }

// lockedElsewhere reports whether another open file description holds a flock on the file
// behind fd (probing with a non-blocking lock that it releases at once).
func lockedElsewhere(fd int) bool {
	err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true
	}
	if err == nil {
		unix.Flock(fd, unix.LOCK_UN)
	}
	return false
}

//go:build linux

package server

import (
	"os"
	"syscall"
)

// openFile opens a file for reading without registering it with the runtime's poller, which
// os.Open does (and which costs four fcntl and an epoll_ctl for a regular file, where it
// cannot help): two system calls instead of seven on the fast path of every small read.
func openFile(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

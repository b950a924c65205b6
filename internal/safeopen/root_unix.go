//go:build unix

package safeopen

import (
	"os"

	"golang.org/x/sys/unix"
)

// root is the descriptor of a Root's directory.
type root struct{ fd int }

func openRoot(dir string) (*root, error) {
	fd, err := openRootFd(dir, dir)
	if err != nil {
		return nil, err
	}
	return &root{fd: fd}, nil
}

func (r *root) open(name, clean string) (*os.File, error) {
	return openAtRoot(r.fd, name, clean, openat2Usable())
}

func (r *root) close() error { return unix.Close(r.fd) }

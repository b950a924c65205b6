//go:build unix

package safeopen

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

func openInput(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, explain(name, err, func() (fs.FileInfo, error) { return os.Stat(name) })
	}
	if _, err := settle(f, name); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncfsSupported: Linux has syncfs(2).
const syncfsSupported = true

// syncfs flushes the whole filesystem that holds the directory dir.
func syncfs(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	var serr error
	conn, err := d.SyscallConn()
	if err != nil {
		return err
	}
	if err := conn.Control(func(fd uintptr) {
		for {
			serr = unix.Syncfs(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}

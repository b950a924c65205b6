package safeopen

import (
	"errors"
	"io/fs"
	"os"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// openDirNoLinks opens the directory at the OS path with one openat2 that follows no link in
// any component; done is false when that cannot answer (no openat2; a link or something else
// in the way, which the slower checks then name).
func openDirNoLinks(path, name string) (afero.File, bool, error) {
	if !openat2Usable() {
		return nil, false, nil
	}
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	for range 16 {
		fd, err := unix.Openat2(unix.AT_FDCWD, path, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), name), true, nil
		case errors.Is(err, unix.ENOENT):
			return nil, true, &fs.PathError{Op: "open", Path: name, Err: err}
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		}
		return nil, false, nil
	}
	return nil, false, nil
}

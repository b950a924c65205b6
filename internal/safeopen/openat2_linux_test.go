package safeopen

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The kernel itself, not only the walk that names what it refused, keeps openat2 beneath the
// root and off links.
func TestOpenat2ResolvesBeneathWithoutLinks(t *testing.T) {
	root, _ := tree(t)
	rootFd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(rootFd)

	fd, err := openat2Beneath(rootFd, "sub/file")
	if errors.Is(err, errNoOpenat2) {
		t.Skip("this kernel has no openat2 (before Linux 5.6) or forbids it")
	}
	require.NoError(t, err)
	unix.Close(fd)
	assert.True(t, openat2Usable())

	_, err = openat2Beneath(rootFd, "../o/secret")
	assert.ErrorIs(t, err, unix.EXDEV, "'..' out of the root")
	_, err = openat2Beneath(rootFd, filepath.Join(root, "file"))
	assert.ErrorIs(t, err, unix.EXDEV, "an absolute path")
	for _, rel := range []string{"linkdir/file", "sub/deeplink/file", "link-in", "link-out"} {
		_, err = openat2Beneath(rootFd, rel)
		assert.ErrorIs(t, err, unix.ELOOP, rel)
	}
	fd, err = openat2Beneath(rootFd, "fifo")
	require.NoError(t, err, "a FIFO opens at once, for the type check to refuse")
	unix.Close(fd)
}

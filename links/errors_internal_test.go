package links

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// TestClassifyLinkError checks the mapping the OS linker's errors go through: a real EXDEV
// from link(2) arrives as an *os.LinkError wrapping syscall.EXDEV.
func TestClassifyLinkError(t *testing.T) {
	exdev := &os.LinkError{Op: "link", Old: "/data/a", New: "/store/objects/tmp/x", Err: syscall.EXDEV}
	err := classifyLinkError(exdev, "/data/a", "/store")
	var ce *CrossDeviceError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "/data/a", ce.Source)
	assert.Equal(t, "/store", ce.Store)
	assert.ErrorIs(t, err, ErrCrossDevice)
	assert.ErrorIs(t, err, syscall.EXDEV)
	assert.Contains(t, err.Error(), "/data/a")
	assert.Contains(t, err.Error(), "/store")
	assert.Contains(t, err.Error(), "--on-cross-device copy")

	eperm := &os.LinkError{Op: "link", Old: "/data/a", New: "/store/x", Err: syscall.EPERM}
	err = classifyLinkError(eperm, "/data/a", "/store")
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), "protected_hardlinks")
	assert.NotErrorIs(t, err, ErrCrossDevice)

	eacces := &os.LinkError{Op: "link", Old: "/data/a", New: "/store/x", Err: syscall.EACCES}
	assert.ErrorIs(t, classifyLinkError(eacces, "/data/a", "/store"), fs.ErrPermission)

	eio := &os.LinkError{Op: "link", Old: "/data/a", New: "/store/x", Err: syscall.EIO}
	assert.Same(t, eio, classifyLinkError(eio, "/data/a", "/store"))
	assert.NoError(t, classifyLinkError(nil, "a", "b"))
}

func TestClassifySourceError(t *testing.T) {
	err := classifySourceError(&fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOENT})
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	err = classifySourceError(&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES})
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.NotContains(t, err.Error(), "/x", "the caller names the path")
	other := errors.New("boom")
	assert.Same(t, other, classifySourceError(other))
}

func TestNotRegular(t *testing.T) {
	for mode, want := range map[fs.FileMode]string{
		fs.ModeDir: "directory", fs.ModeNamedPipe: "named pipe", fs.ModeSocket: "socket",
		fs.ModeDevice | fs.ModeCharDevice: "character device", fs.ModeDevice: "a device", fs.ModeSymlink: "symbolic link", fs.ModeIrregular: "not a regular file",
	} {
		err := notRegular(mode)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
		assert.Contains(t, err.Error(), want)
	}
}

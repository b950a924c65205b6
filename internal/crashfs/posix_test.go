package crashfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNamespaceErrorsAreThoseOfPOSIX(t *testing.T) {
	f := New()
	require.NoError(t, f.MkdirAll("/d/sub", 0o755))
	require.NoError(t, f.Mkdir("/empty", 0o755))
	put(t, f, "/file", "x", false)

	ops := f.Ops()
	type call struct {
		name string
		err  error
		want syscall.Errno
	}
	calls := []call{
		{"mkdir in missing dir", f.Mkdir("/missing/x", 0o755), syscall.ENOENT},
		{"mkdir existing", f.Mkdir("/d", 0o755), syscall.EEXIST},
		{"mkdir under a file", f.Mkdir("/file/x", 0o755), syscall.ENOTDIR},
		{"mkdirall over a file", f.MkdirAll("/file/x", 0o755), syscall.ENOTDIR},
		{"remove non-empty", f.Remove("/d"), syscall.ENOTEMPTY},
		{"remove missing", f.Remove("/nope"), syscall.ENOENT},
		{"rename into own subdir", f.Rename("/d", "/d/sub/d"), syscall.EINVAL},
		{"rename file over dir", f.Rename("/file", "/empty"), syscall.EISDIR},
		{"rename dir over file", f.Rename("/empty", "/file"), syscall.ENOTDIR},
		{"rename over non-empty", f.Rename("/empty", "/d"), syscall.ENOTEMPTY},
		{"rename missing", f.Rename("/nope", "/x"), syscall.ENOENT},
		{"rename to missing dir", f.Rename("/file", "/nope/x"), syscall.ENOENT},
		{"rename the root", f.Rename("/", "/x"), syscall.EBUSY},
		{"removeall the root", f.RemoveAll("/"), syscall.EINVAL},
	}
	opening := func(name string, flag int, want syscall.Errno) {
		_, err := f.OpenFile(name, flag, 0o644)
		calls = append(calls, call{fmt.Sprintf("open %s %#x", name, flag), err, want})
	}
	opening("/file", os.O_CREATE|os.O_EXCL|os.O_WRONLY, syscall.EEXIST)
	opening("/d", os.O_WRONLY, syscall.EISDIR)
	opening("/nope", os.O_RDONLY, syscall.ENOENT)
	for _, c := range calls {
		assert.ErrorIs(t, c.err, c.want, c.name)
	}
	assert.Equal(t, ops, f.Ops(), "failed calls change nothing")

	require.NoError(t, f.MkdirAll("/d/sub", 0o755), "MkdirAll of an existing directory")
	require.NoError(t, f.RemoveAll("/nope"), "RemoveAll of nothing")
	require.NoError(t, f.Rename("/empty", "/d/sub"), "a directory may replace an empty one")
	require.NoError(t, f.RemoveAll("/d"))
	_, err := f.Stat("/d")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = f.Stat("/empty")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestFilesBehaveLikeOSFiles(t *testing.T) {
	f := New()
	h, err := f.OpenFile("rel", os.O_RDWR|os.O_CREATE, 0o640)
	require.NoError(t, err)
	assert.Equal(t, "rel", h.Name())
	_, err = h.WriteString("hello world")
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("W"), 6)
	require.NoError(t, err)
	_, err = h.Write([]byte("!"))
	require.NoError(t, err, "WriteAt does not move the offset")
	buf := make([]byte, 5)
	n, err := h.ReadAt(buf, 8)
	assert.Equal(t, 4, n)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "rld!", string(buf[:n]))
	off, err := h.Seek(-6, io.SeekEnd)
	require.NoError(t, err)
	assert.Equal(t, int64(6), off)
	_, err = h.Seek(-1, io.SeekStart)
	assert.ErrorIs(t, err, syscall.EINVAL)
	b, err := io.ReadAll(h)
	require.NoError(t, err)
	assert.Equal(t, "World!", string(b))
	fi, err := h.Stat()
	require.NoError(t, err)
	require.NoError(t, h.Truncate(2))
	assert.Equal(t, int64(12), fi.Size(), "a FileInfo is a snapshot")
	require.NoError(t, h.Close())
	assert.ErrorIs(t, h.Close(), os.ErrClosed)

	fi, err = f.Stat("/rel")
	require.NoError(t, err, "relative names start at the root")
	assert.Equal(t, "rel", fi.Name())
	assert.Equal(t, fs.FileMode(0o640), fi.Mode())
	assert.Equal(t, "he", content(t, f, "/rel"))

	a, err := f.OpenFile("/rel", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = a.Write([]byte("y"))
	require.NoError(t, err)
	_, err = a.Read(make([]byte, 1))
	assert.ErrorIs(t, err, syscall.EBADF, "not open for reading")
	_, err = a.WriteAt([]byte("z"), 0)
	assert.Error(t, err, "WriteAt with O_APPEND")
	r, err := f.Open("/rel")
	require.NoError(t, err)
	_, err = r.Write([]byte("z"))
	assert.ErrorIs(t, err, syscall.EBADF, "not open for writing")

	// A handle follows its file through a rename.
	require.NoError(t, f.Rename("/rel", "/moved"))
	_, err = a.Write([]byte("z"))
	require.NoError(t, err)
	assert.Equal(t, "heyz", content(t, f, "/moved"))
}

func TestDirectoriesListSorted(t *testing.T) {
	f := New()
	require.NoError(t, f.Mkdir("/d", 0o700))
	for _, n := range []string{"c", "a", "b"} {
		put(t, f, "/d/"+n, n, false)
	}
	d, err := f.Open("/d")
	require.NoError(t, err)
	first, err := d.Readdirnames(2)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, first)
	rest, err := d.Readdir(5)
	require.NoError(t, err)
	require.Len(t, rest, 1)
	assert.Equal(t, "c", rest[0].Name())
	_, err = d.Readdir(1)
	assert.Equal(t, io.EOF, err)
	_, err = d.Seek(0, io.SeekStart)
	require.NoError(t, err)
	entries, err := d.(fs.ReadDirFile).ReadDir(-1)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
	_, err = d.Read(make([]byte, 1))
	assert.ErrorIs(t, err, syscall.EISDIR)

	infos, err := afero.ReadDir(f, "/")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.True(t, infos[0].IsDir())
	assert.Equal(t, fs.ModeDir|0o700, infos[0].Mode())

	fi, lstat, err := f.LstatIfPossible("/d/a")
	require.NoError(t, err)
	assert.True(t, lstat)
	assert.Equal(t, "a", fi.Name())
	assert.Equal(t, "crashfs", f.Name())
}

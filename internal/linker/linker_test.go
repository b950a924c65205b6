//go:build unix

package linker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// writeFile writes data to a new OS file in a fresh directory and returns its path.
func writeFile(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "source")
	require.NoError(t, os.WriteFile(p, []byte(data), 0o640))
	return p
}

func TestOSLinkerLinksTheFile(t *testing.T) {
	src := writeFile(t, "data")
	store := t.TempDir()
	l := NewOS(afero.NewOsFs())
	target := filepath.Join(store, "object")
	require.NoError(t, l.Link(src, target))
	a, err := os.Stat(src)
	require.NoError(t, err)
	b, err := os.Stat(target)
	require.NoError(t, err)
	assert.True(t, os.SameFile(a, b), "a hard link")
	assert.True(t, l.SameFile(a, b))
	assert.Equal(t, uint64(2), uint64(a.Sys().(*syscall.Stat_t).Nlink))

	// The target must not exist.
	err = l.Link(src, target)
	require.ErrorIs(t, err, fs.ErrExist)
	var le *os.LinkError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, src, le.Old)
	assert.Equal(t, target, le.New)

	other, err := os.Stat(writeFile(t, "data"))
	require.NoError(t, err)
	assert.False(t, l.SameFile(a, other), "same content, another file")
}

// TestOSLinkerFollowsSymlinks: Stat and Link follow a symbolic link to the file it names (link(2)
// alone would link the symbolic link itself).
func TestOSLinkerFollowsSymlinks(t *testing.T) {
	src := writeFile(t, "data")
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(src, link))
	l := NewOS(afero.NewOsFs())
	fi, err := l.Stat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	target := filepath.Join(t.TempDir(), "object")
	require.NoError(t, l.Link(link, target))
	ti, err := os.Lstat(target)
	require.NoError(t, err)
	assert.True(t, ti.Mode().IsRegular(), "the file, not the symbolic link")
	si, err := os.Stat(src)
	require.NoError(t, err)
	assert.True(t, os.SameFile(si, ti))
}

// TestOSLinkerOnABasePathFs: targets are paths of the store's filesystem, mapped to the OS
// path behind them.
func TestOSLinkerOnABasePathFs(t *testing.T) {
	base := t.TempDir()
	src := writeFile(t, "data")
	l := NewOS(afero.NewBasePathFs(afero.NewOsFs(), base))
	require.NoError(t, l.Link(src, "/object"))
	a, err := os.Stat(src)
	require.NoError(t, err)
	b, err := os.Stat(filepath.Join(base, "object"))
	require.NoError(t, err)
	assert.True(t, os.SameFile(a, b))
	assert.NoError(t, l.CheckLink(src, "/"))
}

// TestOSLinkerNeedsAnOSPath: a store filesystem without OS paths cannot receive links.
func TestOSLinkerNeedsAnOSPath(t *testing.T) {
	src := writeFile(t, "data")
	l := NewOS(afero.NewMemMapFs())
	err := l.Link(src, "/object")
	require.ErrorIs(t, err, errNoOSPath)
	require.ErrorIs(t, l.CheckLink(src, "/"), errNoOSPath)
}

// TestOSLinkerOpen: a regular file opens read-only; anything else is a *safeopen.NotRegularError, and a
// FIFO with no writer does not block the open; a missing file is fs.ErrNotExist.
func TestOSLinkerOpen(t *testing.T) {
	l := NewOS(afero.NewOsFs())
	src := writeFile(t, "data")
	f, err := l.Open(src)
	require.NoError(t, err)
	got, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, "data", string(got))
	w, ok := f.(io.Writer)
	require.True(t, ok)
	_, err = w.Write([]byte("x"))
	assert.Error(t, err, "opened read-only")
	require.NoError(t, f.Close())

	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	done := make(chan error, 1)
	go func() {
		_, err := l.Open(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		var nr *safeopen.NotRegularError
		require.ErrorAs(t, err, &nr)
		assert.Contains(t, err.Error(), "named pipe")
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
	var nr *safeopen.NotRegularError
	_, err = l.Open(t.TempDir())
	require.ErrorAs(t, err, &nr)
	assert.True(t, nr.Mode.IsDir())
	_, err = l.Open(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = l.Stat(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// otherDevice returns a directory on another filesystem than dir (the tmpfs at /dev/shm), or
// skips the test.
func otherDevice(t *testing.T, dir string) string {
	t.Helper()
	a, err1 := os.Stat(dir)
	b, err2 := os.Stat("/dev/shm")
	if err1 != nil || err2 != nil || a.Sys().(*syscall.Stat_t).Dev == b.Sys().(*syscall.Stat_t).Dev {
		t.Skip("no /dev/shm on another filesystem than the temp directory")
	}
	other, err := os.MkdirTemp("/dev/shm", "linker-test-")
	if err != nil {
		t.Skipf("cannot write to /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	return other
}

// TestOSLinkerAcrossFilesystems: CheckLink sees a file on another filesystem than the store
// before anything is read, with the error link(2) itself returns there (EXDEV in an
// *os.LinkError); files on the store's filesystem pass.
func TestOSLinkerAcrossFilesystems(t *testing.T) {
	store := t.TempDir()
	src := filepath.Join(otherDevice(t, store), "source")
	require.NoError(t, os.WriteFile(src, []byte("data"), 0o640))
	l := NewOS(afero.NewOsFs())

	err := l.CheckLink(src, store)
	require.ErrorIs(t, err, syscall.EXDEV)
	var le *os.LinkError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, src, le.Old)

	err = l.Link(src, filepath.Join(store, "object"))
	require.ErrorIs(t, err, syscall.EXDEV, "link(2) refuses it the same way")
	assert.NoFileExists(t, filepath.Join(store, "object"))

	assert.NoError(t, l.CheckLink(writeFile(t, "data"), store), "same filesystem")
	_, err = os.Stat(filepath.Join(store, "missing"))
	require.Error(t, err)
	assert.ErrorIs(t, l.CheckLink(src, filepath.Join(store, "missing")), fs.ErrNotExist)
}

func TestMemLinkerEmulatesLinks(t *testing.T) {
	fsys := afero.NewMemMapFs()
	l := NewMem(fsys)
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, afero.WriteFile(fsys, "/src/a", []byte("data"), 0o640))
	require.NoError(t, fsys.Chtimes("/src/a", mtime, mtime))
	require.NoError(t, fsys.MkdirAll("/store", 0o755))
	require.NoError(t, l.Link("/src/a", "/store/x"))
	got, err := afero.ReadFile(fsys, "/store/x")
	require.NoError(t, err)
	assert.Equal(t, "data", string(got))
	xi, err := fsys.Stat("/store/x")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), xi.Mode().Perm())
	assert.True(t, xi.ModTime().Equal(mtime))

	ai, err := l.Stat("/src/a")
	require.NoError(t, err)
	assert.True(t, l.SameFile(ai, xi), "linked")
	assert.True(t, l.SameFile(ai, ai), "a file is itself")

	// One file, whatever the chain of links.
	require.NoError(t, l.Link("/store/x", "/store/y"))
	require.NoError(t, l.Link("/src/a", "/store/z"))
	yi, err := fsys.Stat("/store/y")
	require.NoError(t, err)
	zi, err := fsys.Stat("/store/z")
	require.NoError(t, err)
	assert.True(t, l.SameFile(ai, yi))
	assert.True(t, l.SameFile(yi, zi))

	// The memory follows a file across a rename.
	require.NoError(t, fsys.Rename("/store/y", "/store/w"))
	wi, err := fsys.Stat("/store/w")
	require.NoError(t, err)
	assert.True(t, l.SameFile(ai, wi))

	require.NoError(t, afero.WriteFile(fsys, "/src/b", []byte("data"), 0o640))
	bi, err := fsys.Stat("/src/b")
	require.NoError(t, err)
	assert.False(t, l.SameFile(ai, bi), "same content, another file")
	osi, err := os.Stat(t.TempDir())
	require.NoError(t, err)
	assert.False(t, l.SameFile(ai, osi), "not a memory file")

	err = l.Link("/src/b", "/store/x")
	require.ErrorIs(t, err, fs.ErrExist)
	var le *os.LinkError
	require.ErrorAs(t, err, &le)
	got, err = afero.ReadFile(fsys, "/store/x")
	require.NoError(t, err)
	assert.Equal(t, "data", string(got))
	require.ErrorIs(t, l.Link("/src/missing", "/store/m"), fs.ErrNotExist)
	require.Error(t, l.Link("/src", "/store/d"), "a directory cannot be linked")
	_, err = fsys.Stat("/store/d")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestMemLinkerOpen(t *testing.T) {
	fsys := afero.NewMemMapFs()
	l := NewMem(fsys)
	require.NoError(t, afero.WriteFile(fsys, "/src/a", []byte("data"), 0o640))
	f, err := l.Open("/src/a")
	require.NoError(t, err)
	got, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, "data", string(got))
	require.NoError(t, f.Close())
	var nr *safeopen.NotRegularError
	_, err = l.Open("/src")
	require.ErrorAs(t, err, &nr)
	_, err = l.Open("/src/missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestMemLinkerConcurrent links and compares from many goroutines (run with -race).
func TestMemLinkerConcurrent(t *testing.T) {
	fsys := afero.NewMemMapFs()
	l := NewMem(fsys)
	require.NoError(t, afero.WriteFile(fsys, "/src", []byte("data"), 0o640))
	require.NoError(t, fsys.MkdirAll("/store", 0o755))
	src, err := fsys.Stat("/src")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			target := fmt.Sprintf("/store/%d", i)
			assert.NoError(t, l.Link("/src", target))
			ti, err := fsys.Stat(target)
			if assert.NoError(t, err) {
				assert.True(t, l.SameFile(src, ti))
			}
		})
	}
	wg.Wait()
}

func TestCause(t *testing.T) {
	assert.Equal(t, syscall.EACCES, Cause(&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}))
	assert.Equal(t, syscall.EXDEV, Cause(&os.LinkError{Op: "link", Old: "/a", New: "/b", Err: syscall.EXDEV}))
	assert.Equal(t, syscall.EPERM, Cause(fmt.Errorf("wrapped: %w", &os.LinkError{Op: "link", Old: "/a", New: "/b", Err: syscall.EPERM})))
	other := errors.New("boom")
	assert.Same(t, other, Cause(other))
}

//go:build unix

package safeopen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRootOpensLikeOpenBeneath: a held Root refuses what OpenBeneath refuses (pipes without
// blocking, links at the file and on the way, escapes) and opens regular files, also after
// its directory was renamed (the handle, not the name, is what it resolves from).
func TestRootOpensLikeOpenBeneath(t *testing.T) {
	dir, _ := tree(t)
	r, err := OpenRoot(dir)
	require.NoError(t, err)
	defer r.Close()

	f, err := r.Open("sub/file")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "sub", "file"), f.Name())
	assertReadsContent(t, f)

	for rel, want := range map[string]string{
		"fifo": "a named pipe (FIFO)", "dir": "a directory", "sock": "a socket",
		"link-out": "a symbolic link", "link-in": "a symbolic link", "dangling": "a symbolic link",
	} {
		_, err := within(t, func() (*os.File, error) { return r.Open(rel) })
		assertRefused(t, err, filepath.Join(dir, rel), want, false)
	}
	_, err = within(t, func() (*os.File, error) { return r.Open("linkdir/file") })
	require.ErrorIs(t, err, ErrNotRegular, "a linked directory on the way")
	require.ErrorIs(t, err, ErrSymlink)
	for _, rel := range []string{"../r/file", "/etc/hostname", ""} {
		_, err := r.Open(rel)
		require.ErrorIs(t, err, ErrOutsideRoot, rel)
	}
	_, err = r.Open("missing")
	require.ErrorIs(t, err, fs.ErrNotExist)

	moved := dir + ".moved"
	require.NoError(t, os.Rename(dir, moved))
	f, err = r.Open("file")
	require.NoError(t, err, "the root is held open, not looked up by name")
	assertReadsContent(t, f)
}

// TestRootConcurrentOpens: one Root serves many goroutines (run with -race).
func TestRootConcurrentOpens(t *testing.T) {
	dir, _ := tree(t)
	r, err := OpenRoot(dir)
	require.NoError(t, err)
	defer r.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			f, err := r.Open("sub/file")
			if err == nil {
				err = f.Close()
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, err = OpenRoot(filepath.Join(dir, "file"))
	require.Error(t, err, "a root must be a directory")
	require.False(t, errors.Is(err, fs.ErrNotExist))
}

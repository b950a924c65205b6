package safeopen

import (
	"errors"
	"io"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// memStore is a memory filesystem with a store root holding a file and a directory.
func memStore(t *testing.T) afero.Fs {
	fsys := afero.NewMemMapFs()
	require.NoError(t, fsys.MkdirAll("/store/sub/dir", 0o755))
	require.NoError(t, afero.WriteFile(fsys, "/store/sub/file", []byte(content), 0o644))
	return fsys
}

// noLstat hides its filesystem's LstatIfPossible, as a filesystem without links would.
type noLstat struct{ afero.Fs }

func TestMemoryFilesystems(t *testing.T) {
	for name, wrap := range map[string]func(afero.Fs) afero.Fs{
		"MemMapFs":         func(f afero.Fs) afero.Fs { return f },
		"faultfs/MemMapFs": func(f afero.Fs) afero.Fs { return faultfs.New(f) },
		// Without an lstat only the handle's stat is left to refuse the directory.
		"without lstat": func(f afero.Fs) afero.Fs { return noLstat{f} },
	} {
		t.Run(name, func(t *testing.T) {
			fsys := wrap(memStore(t))
			f, err := Open(fsys, "/store/sub/file")
			require.NoError(t, err)
			got, err := io.ReadAll(f)
			require.NoError(t, err)
			assert.Equal(t, content, string(got))
			require.NoError(t, f.Close())

			f, err = OpenBeneath(fsys, "/store", "sub/file")
			require.NoError(t, err)
			require.NoError(t, f.Close())

			_, err = Open(fsys, "/store/sub/dir")
			assertRefused(t, err, "/store/sub/dir", "a directory", false)
			_, err = OpenBeneath(fsys, "/store", "sub/dir")
			assertRefused(t, err, "/store/sub/dir", "a directory", false)
			_, err = OpenBeneath(fsys, "/store", "../store/sub/file")
			assert.ErrorIs(t, err, ErrOutsideRoot)
			_, err = Open(fsys, "/store/missing")
			assert.True(t, isNotExist(err), "%v", err)
		})
	}
}

func TestMemoryFilesystemFaultsApply(t *testing.T) {
	ffs := faultfs.New(memStore(t))
	ffs.FailAt(faultfs.OpOpen, 1, syscall.EIO)
	_, err := Open(ffs, "/store/sub/file")
	assert.True(t, faultfs.IsInjected(err), "%v", err)
	assert.True(t, errors.Is(err, syscall.EIO))
	_, err = ReadFileBeneath(ffs, "/store", "sub/file", 1<<20)
	require.NoError(t, err)
	ffs.FailAt(faultfs.OpClose, 1, syscall.EIO)
	_, err = ReadFile(ffs, "/store/sub/file", 1<<20)
	assert.True(t, faultfs.IsInjected(err), "a failed close fails the read: %v", err)
}

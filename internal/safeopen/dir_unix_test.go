//go:build unix

package safeopen

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenDirBeneath: directories below the root open for listing; a link at the directory
// or on the way, a file, a pipe or a socket where a directory should be are refused without
// blocking; on the OS (one openat2) and through a filesystem without OS paths alike.
func TestOpenDirBeneath(t *testing.T) {
	dir, _ := tree(t)
	mem := afero.NewMemMapFs()
	require.NoError(t, mem.MkdirAll("/r/sub", 0o755))
	require.NoError(t, afero.WriteFile(mem, "/r/file", []byte(content), 0o644))
	require.NoError(t, afero.WriteFile(mem, "/r/sub/file", []byte(content), 0o644))
	for _, c := range []struct {
		name string
		fsys afero.Fs
		root string
	}{{"os", afero.NewOsFs(), dir}, {"basepath", afero.NewBasePathFs(afero.NewOsFs(), filepath.Dir(dir)), "/" + filepath.Base(dir)}, {"mem", mem, "/r"}} {
		t.Run(c.name, func(t *testing.T) {
			for _, rel := range []string{".", "sub"} {
				f, err := OpenDirBeneath(c.fsys, c.root, rel)
				require.NoError(t, err, rel)
				names, err := f.Readdirnames(-1)
				require.NoError(t, err)
				assert.NotEmpty(t, names)
				require.NoError(t, f.Close())
			}
			_, err := OpenDirBeneath(c.fsys, c.root, "file")
			require.ErrorIs(t, err, ErrNotDir)
			_, err = OpenDirBeneath(c.fsys, c.root, "missing")
			require.ErrorIs(t, err, fs.ErrNotExist)
			_, err = OpenDirBeneath(c.fsys, c.root, "../x")
			require.ErrorIs(t, err, ErrOutsideRoot)
			if c.name == "mem" {
				return
			}
			for _, rel := range []string{"linkdir", "sub/deeplink", "linkdir/x"} {
				_, err := within(t, func() (afero.File, error) { return OpenDirBeneath(c.fsys, c.root, rel) })
				require.ErrorIs(t, err, ErrSymlink, rel)
			}
			for _, rel := range []string{"fifo", "sock"} {
				_, err := within(t, func() (afero.File, error) { return OpenDirBeneath(c.fsys, c.root, rel) })
				require.ErrorIs(t, err, ErrNotDir, rel)
			}
		})
	}
}

// TestReadable: a file the process may read passes; one whose mode refuses it does not, and
// neither does a missing one; nothing is opened (a pipe cannot block the check).
func TestReadable(t *testing.T) {
	dir, _ := tree(t)
	fsys := afero.NewOsFs()
	require.NoError(t, Readable(fsys, filepath.Join(dir, "file")))
	_, err := within(t, func() (struct{}, error) { return struct{}{}, Readable(fsys, filepath.Join(dir, "fifo")) })
	require.NoError(t, err, "a pipe is not opened to be checked")
	require.ErrorIs(t, Readable(fsys, filepath.Join(dir, "missing")), fs.ErrNotExist)
	require.NoError(t, Readable(afero.NewMemMapFs(), "/"))
	skipIfRoot(t)
	locked := filepath.Join(dir, "locked")
	require.NoError(t, os.WriteFile(locked, []byte(content), 0o000))
	require.ErrorIs(t, Readable(fsys, locked), fs.ErrPermission)
}

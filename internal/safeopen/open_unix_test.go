//go:build unix

package safeopen

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// osFilesystems are the OS-backed filesystems a store may use, each returning the root's path
// as the filesystem names it.
var osFilesystems = []struct {
	name string
	make func(root string) (afero.Fs, string)
}{
	{"OsFs", func(root string) (afero.Fs, string) { return afero.NewOsFs(), root }},
	{"BasePathFs", func(root string) (afero.Fs, string) {
		return afero.NewBasePathFs(afero.NewOsFs(), root), string(filepath.Separator)
	}},
	{"faultfs", func(root string) (afero.Fs, string) { return faultfs.New(afero.NewOsFs()), root }},
	{"faultfs/BasePathFs", func(root string) (afero.Fs, string) {
		return faultfs.New(afero.NewBasePathFs(afero.NewOsFs(), root)), string(filepath.Separator)
	}},
}

// refusals are the entries of tree that Open and OpenBeneath refuse, with what they must say
// they found.
var refusals = []struct{ rel, found string }{
	{"fifo", "a named pipe (FIFO)"},
	{"dir", "a directory"},
	{"sock", "a socket"},
	{"link-out", "a symbolic link"},
	{"dangling", "a symbolic link"},
	{"link-in", "a symbolic link"},
}

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	root, _ := tree(t)
	for _, fsc := range osFilesystems {
		fsys, fsRoot := fsc.make(root)
		for _, c := range refusals {
			t.Run(fsc.name+"/"+c.rel, func(t *testing.T) {
				name := filepath.Join(fsRoot, c.rel)
				f, err := within(t, func() (afero.File, error) { return Open(fsys, name) })
				assert.Nil(t, f)
				assertRefused(t, err, name, c.found, false)
			})
		}
	}
}

func TestOpenReadsRegularFiles(t *testing.T) {
	root, _ := tree(t)
	for _, fsc := range osFilesystems {
		fsys, fsRoot := fsc.make(root)
		t.Run(fsc.name, func(t *testing.T) {
			for _, rel := range []string{"file", "sub/file"} {
				f, err := within(t, func() (afero.File, error) { return Open(fsys, filepath.Join(fsRoot, rel)) })
				require.NoError(t, err)
				assertReadsContent(t, f)
			}
			_, err := Open(fsys, filepath.Join(fsRoot, "missing"))
			assert.True(t, isNotExist(err), "a missing file is fs.ErrNotExist: %v", err)
			assert.NotErrorIs(t, err, ErrNotRegular)

			// Open guards the last component only, as documented; OpenBeneath guards the rest.
			f, err := Open(fsys, filepath.Join(fsRoot, "linkdir", "file"))
			require.NoError(t, err)
			assertReadsContent(t, f)
		})
	}
}

// A faultfs over the OS still sees the open and the close of the file Open returns, so the
// fault matrix keeps its injection points.
func TestOpenKeepsFaultsOfAWrappingFilesystem(t *testing.T) {
	root, _ := tree(t)
	name := filepath.Join(root, "file")
	for _, open := range []struct {
		name string
		call func(afero.Fs) (afero.File, error)
	}{
		{"Open", func(fsys afero.Fs) (afero.File, error) { return Open(fsys, name) }},
		{"OpenBeneath", func(fsys afero.Fs) (afero.File, error) { return OpenBeneath(fsys, root, "file") }},
	} {
		t.Run(open.name, func(t *testing.T) {
			ffs := faultfs.New(afero.NewOsFs())
			ffs.FailAt(faultfs.OpOpen, 1, syscall.EIO)
			_, err := open.call(ffs)
			assert.True(t, faultfs.IsInjected(err), "the injected open failure comes back: %v", err)
			assert.ErrorIs(t, err, syscall.EIO)

			f, err := open.call(ffs)
			require.NoError(t, err)
			assert.Equal(t, 2, ffs.Counts()[faultfs.OpOpen], "both opens went through the faultfs")
			ffs.FailAt(faultfs.OpClose, 1, syscall.EIO)
			assert.True(t, faultfs.IsInjected(f.Close()), "the file returned is the faultfs's own")
		})
	}
}

func TestOpenRefusesUnreadableFilesWithTheirOwnError(t *testing.T) {
	skipIfRoot(t)
	root, _ := tree(t)
	name := filepath.Join(root, "file")
	require.NoError(t, os.Chmod(name, 0))
	for _, fsc := range osFilesystems {
		fsys, fsRoot := fsc.make(root)
		t.Run(fsc.name, func(t *testing.T) {
			_, err := Open(fsys, filepath.Join(fsRoot, "file"))
			assert.ErrorIs(t, err, os.ErrPermission)
			assert.NotErrorIs(t, err, ErrNotRegular, "an unreadable regular file is not called irregular")
			_, err = OpenBeneath(fsys, fsRoot, "file")
			assert.ErrorIs(t, err, os.ErrPermission)
			assert.NotErrorIs(t, err, ErrNotRegular)
		})
	}
	// An unreadable directory fails the open itself, and is still named for what it is.
	dir := filepath.Join(root, "dir")
	require.NoError(t, os.Chmod(dir, 0))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := Open(afero.NewOsFs(), dir)
	assertRefused(t, err, dir, "a directory", false)
	assert.ErrorIs(t, err, os.ErrPermission, "the open's own error is kept")
}

// hiddenFs names OS paths like faultfs but returns files that do not reveal their descriptor.
type hiddenFs struct{ afero.Fs }

func (hiddenFs) RealPath(name string) (string, error) { return name, nil }

func (h hiddenFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := h.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return hiddenFile{f}, nil
}

type hiddenFile struct{ afero.File }

// A wrapper that hides the descriptor still gets the type check of the handle.
func TestOpenThroughAWrapperWithoutDescriptor(t *testing.T) {
	root, _ := tree(t)
	fsys := hiddenFs{afero.NewOsFs()}
	for _, c := range refusals {
		name := filepath.Join(root, c.rel)
		_, err := within(t, func() (afero.File, error) { return Open(fsys, name) })
		assertRefused(t, err, name, c.found, false)
	}
	f, err := Open(fsys, filepath.Join(root, "file"))
	require.NoError(t, err)
	_, hidden := f.(hiddenFile)
	assert.True(t, hidden, "the wrapper's own file is returned")
	assertReadsContent(t, f)
}

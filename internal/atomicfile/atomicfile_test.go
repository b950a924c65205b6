package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/align"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

func filesystems(t *testing.T) map[string]func() (afero.Fs, string) {
	return map[string]func() (afero.Fs, string){
		"os":  func() (afero.Fs, string) { return afero.NewOsFs(), t.TempDir() },
		"mem": func() (afero.Fs, string) { return afero.NewMemMapFs(), "/store" },
	}
}

func TestCommitPlacesFileWithModesAndLeavesNoTemp(t *testing.T) {
	for name, mk := range filesystems(t) {
		t.Run(name, func(t *testing.T) {
			fsys, root := mk()
			w := &Writer{Fs: fsys, Sync: true, FileMode: 0o664, DirMode: 0o755}
			tmp := filepath.Join(root, "tmp")
			require.NoError(t, w.MkdirAll(tmp))
			final := filepath.Join(root, "a", "b", "c", "file")
			require.NoError(t, w.WriteFile(tmp, final, []byte("hello")))

			got, err := afero.ReadFile(fsys, final)
			require.NoError(t, err)
			assert.Equal(t, "hello", string(got))
			fi, err := fsys.Stat(final)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o664), fi.Mode().Perm())
			for _, d := range []string{"a", "a/b", "a/b/c"} {
				fi, err := fsys.Stat(filepath.Join(root, d))
				require.NoError(t, err)
				assert.Equal(t, fs.FileMode(0o755), fi.Mode().Perm(), d)
			}
			left, err := afero.ReadDir(fsys, tmp)
			require.NoError(t, err)
			assert.Empty(t, left)
		})
	}
}

func TestCommitReplacesExisting(t *testing.T) {
	fsys, root := afero.NewMemMapFs(), "/s"
	w := &Writer{Fs: fsys, FileMode: 0o640, DirMode: 0o750}
	require.NoError(t, w.MkdirAll("/s/tmp"))
	final := filepath.Join(root, "doc")
	require.NoError(t, w.WriteFile("/s/tmp", final, []byte("one")))
	require.NoError(t, w.CopyFile("/s/tmp", final, strings.NewReader("two")))
	got, _ := afero.ReadFile(fsys, final)
	assert.Equal(t, "two", string(got))
}

func TestDiscardRemovesTemp(t *testing.T) {
	fsys := afero.NewMemMapFs()
	w := &Writer{Fs: fsys, FileMode: 0o664, DirMode: 0o755}
	require.NoError(t, w.MkdirAll("/s/tmp"))
	tf, err := w.CreateTemp("/s/tmp")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(filepath.Base(tf.Name()), TempPrefix))
	_, err = tf.Write([]byte("partial"))
	require.NoError(t, err)
	tf.Discard()
	tf.Discard() // idempotent
	left, _ := afero.ReadDir(fsys, "/s/tmp")
	assert.Empty(t, left)
	assert.Error(t, tf.Commit("/s/x"), "commit after discard must fail")
	_, err = fsys.Stat("/s/x")
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestCommitFailureRemovesTemp(t *testing.T) {
	fsys := afero.NewMemMapFs()
	w := &Writer{Fs: fsys, FileMode: 0o664, DirMode: 0o755}
	require.NoError(t, w.MkdirAll("/s/tmp"))
	require.NoError(t, afero.WriteFile(fsys, "/s/blocker", []byte("x"), 0o644))
	tf, err := w.CreateTemp("/s/tmp")
	require.NoError(t, err)
	// The final's parent is a regular file, so MkdirAll fails.
	assert.Error(t, tf.Commit("/s/blocker/child"))
	left, _ := afero.ReadDir(fsys, "/s/tmp")
	assert.Empty(t, left)
}

func TestMkdirAllToleratesExisting(t *testing.T) {
	fsys := afero.NewMemMapFs()
	w := &Writer{Fs: fsys, FileMode: 0o664, DirMode: 0o755}
	require.NoError(t, w.MkdirAll("/s/a/b"))
	require.NoError(t, w.MkdirAll("/s/a/b"))
	require.NoError(t, w.MkdirAll("/s/a/c"))
	require.NoError(t, afero.WriteFile(fsys, "/s/f", nil, 0o644))
	assert.Error(t, w.MkdirAll("/s/f"))
}

// Both ways of making the chains: in turn (a lone caller) and concurrently (while another
// MkdirAllEach of the writer is running, simulated by raising the count).
func TestMkdirAllEachMakesEveryChainAndReportsEveryFailure(t *testing.T) {
	for _, busy := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", busy), func(t *testing.T) {
			dir := t.TempDir()
			w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755, Root: dir}
			if busy {
				w.placing.Add(1)
				defer w.placing.Add(-1)
			}
			require.NoError(t, w.MkdirAllEach()) // nothing to make
			chains := []string{filepath.Join(dir, "a/b/c"), filepath.Join(dir, "a/b/d"), filepath.Join(dir, "e/f")}
			require.NoError(t, w.MkdirAllEach(chains...))
			for _, d := range chains {
				fi, err := os.Stat(d)
				require.NoError(t, err, d)
				assert.True(t, fi.IsDir())
				assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), d)
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "f1"), nil, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "f2"), nil, 0o644))
			err := w.MkdirAllEach(filepath.Join(dir, "f1/x"), filepath.Join(dir, "g/h"), filepath.Join(dir, "f2/y"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "f1")
			assert.Contains(t, err.Error(), "f2")
			assert.DirExists(t, filepath.Join(dir, "g/h"), "a failing chain does not stop the others")
			assert.Equal(t, int32(map[bool]int{false: 0, true: 1}[busy]), w.placing.Load(), "the count is restored")
		})
	}
}

func TestCheckDirRefusesLinksBelowRoot(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	require.NoError(t, os.MkdirAll(filepath.Join(real, "a"), 0o755))
	// The root itself may be a link (an operator's /var/hashstore -> /data/hashstore).
	root := filepath.Join(base, "root")
	require.NoError(t, os.Symlink(real, root))
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(real, "a", "b")))

	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755, Root: root}
	assert.NoError(t, w.CheckDir(filepath.Join(root, "a")))
	assert.NoError(t, w.CheckDir(filepath.Join(root, "a", "missing", "deeper")))
	assert.ErrorIs(t, w.CheckDir(filepath.Join(root, "a", "b")), safeopen.ErrSymlink)
	assert.ErrorIs(t, w.CheckDir(filepath.Join(root, "a", "b", "c")), safeopen.ErrSymlink)
	assert.ErrorIs(t, w.MkdirAll(filepath.Join(root, "a", "b", "c")), safeopen.ErrSymlink)
	_, err := os.Stat(filepath.Join(outside, "c"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "nothing created through the link")
	assert.ErrorIs(t, w.CheckDir(base), safeopen.ErrSymlink, "a directory outside the root is refused")

	// Without a root, nothing is checked.
	free := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755}
	assert.NoError(t, free.CheckDir(filepath.Join(root, "a", "b", "c")))
}

func TestNeedsChmodFollowsUmask(t *testing.T) {
	u := processUmask()
	require.GreaterOrEqual(t, u, 0, "Linux reports the umask in /proc/self/status")
	assert.Equal(t, u&0o755 != 0, needsChmod(0o755, u))
	assert.Equal(t, u&0o664 != 0, needsChmod(0o664, u))
	assert.False(t, needsChmod(0o700&^fs.FileMode(u), u), "a mode the umask leaves alone")
	assert.True(t, needsChmod(0o600, -1), "an unknown umask may have narrowed any mode")
}

// A filesystem without OS files (afero's memory one) cannot have direct writes: the temp file
// decides so once past DirectAfter and writes on normally.
func TestDirectWritesNeverOnAMemoryFilesystem(t *testing.T) {
	fsys := afero.NewMemMapFs()
	w := &Writer{Fs: fsys, FileMode: 0o664, DirMode: 0o755, DirectAfter: 1}
	require.NoError(t, w.MkdirAll("/s"))
	tmp, err := w.CreateTemp("/s")
	require.NoError(t, err)
	defer tmp.Discard()
	block := align.Buffer(align.Block)
	copy(block, "a block")
	for range 3 {
		_, err := tmp.Write(block)
		require.NoError(t, err)
	}
	assert.Equal(t, directOff, tmp.direct, "decided against direct writes once past DirectAfter")
	require.NoError(t, tmp.Commit("/s/f"))
	got, err := afero.ReadFile(fsys, "/s/f")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(bytes.Repeat(block, 3), got))
}

// WithFileMode copies every setting but the file mode, including any added later: the test
// sets every exported field and fails on one left at its zero value or not carried over.
func TestWithFileModeKeepsEverythingElse(t *testing.T) {
	w := &Writer{Fs: afero.NewMemMapFs(), Sync: true, Group: &Group{}, FileMode: 0o664, DirMode: 0o750, Root: "/s", DirectAfter: 8192}
	got := w.WithFileMode(0o644)
	assert.Equal(t, fs.FileMode(0o644), got.FileMode)
	assert.Equal(t, fs.FileMode(0o664), w.FileMode, "w is unchanged")
	orig, copied := reflect.ValueOf(w).Elem(), reflect.ValueOf(got).Elem()
	for i := range orig.NumField() {
		f := orig.Type().Field(i)
		if !f.IsExported() || f.Name == "FileMode" {
			continue
		}
		require.False(t, orig.Field(i).IsZero(), "set %s in this test", f.Name)
		assert.Equal(t, orig.Field(i).Interface(), copied.Field(i).Interface(), f.Name)
	}
}

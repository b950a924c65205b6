package atomicfile

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// besideName is the name CreateTempBeside gives a temp file for "doc.xml".
var besideName = regexp.MustCompile(`^\.doc\.xml\.tmp-[0-9a-f]{16}$`)

// TestCreateTempBesideNamesTheTempAfterItsFile: the temp file is made in the final file's own
// directory, named after it, with the writer's mode, and committing it leaves nothing else.
func TestCreateTempBesideNamesTheTempAfterItsFile(t *testing.T) {
	for name, mk := range filesystems(t) {
		t.Run(name, func(t *testing.T) {
			fsys, root := mk()
			w := &Writer{Fs: fsys, Sync: true, FileMode: 0o640, DirMode: 0o750}
			dir := filepath.Join(root, "docs")
			require.NoError(t, w.MkdirAll(dir))
			final := filepath.Join(dir, "doc.xml")
			tmp, err := w.CreateTempBeside(final)
			require.NoError(t, err)
			assert.Equal(t, dir, filepath.Dir(tmp.Name()))
			assert.Regexp(t, besideName, filepath.Base(tmp.Name()))
			fi, err := fsys.Stat(tmp.Name())
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
			other, err := w.CreateTempBeside(final)
			require.NoError(t, err)
			assert.NotEqual(t, tmp.Name(), other.Name(), "each temp file has its own name")
			other.Discard()

			_, err = tmp.Write([]byte("<doc/>"))
			require.NoError(t, err)
			require.NoError(t, tmp.Commit(final))
			got, err := afero.ReadFile(fsys, final)
			require.NoError(t, err)
			assert.Equal(t, "<doc/>", string(got))
			entries, err := afero.ReadDir(fsys, dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "only the file itself")
			assert.Equal(t, "doc.xml", entries[0].Name())
		})
	}
}

// TestCreateTempBesideRefusesALinkBelowRoot: the temp file is made where the final file goes,
// so the writer's symbolic-link check applies to that directory.
func TestCreateTempBesideRefusesALinkBelowRoot(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "elsewhere"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(root, "docs")))
	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o640, DirMode: 0o750, Root: root}
	_, err := w.CreateTempBeside(filepath.Join(root, "docs", "doc.xml"))
	require.ErrorIs(t, err, safeopen.ErrSymlink)
	entries, err := os.ReadDir(filepath.Join(root, "elsewhere"))
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestRemoveStaleTempsRemovesOnlyAbandonedTemps: the temp files of the final file that no
// writer owns are removed at once (no grace period: a caller runs it where it knows no
// writer of this process has one open); a temp still being written, other files' temps, the
// file itself and anything not a regular file stay.
func TestRemoveStaleTempsRemovesOnlyAbandonedTemps(t *testing.T) {
	for name, mk := range filesystems(t) {
		t.Run(name, func(t *testing.T) {
			fsys, root := mk()
			w := &Writer{Fs: fsys, FileMode: 0o640, DirMode: 0o750}
			dir := filepath.Join(root, "docs")
			require.NoError(t, w.MkdirAll(dir))
			final := filepath.Join(dir, "doc.xml")
			write := func(name string) string {
				p := filepath.Join(dir, name)
				require.NoError(t, afero.WriteFile(fsys, p, []byte("x"), 0o640))
				return p
			}
			abandoned := write(".doc.xml.tmp-0123456789abcdef") // just written: no grace
			old := write(".doc.xml.tmp-fedcba9876543210")
			past := time.Now().Add(-time.Hour)
			require.NoError(t, fsys.Chtimes(old, past, past))
			keep := []string{
				write("doc.xml"),
				write(".other.xml.tmp-0123456789abcdef"),
				write("doc.xml.tmp-0123456789abcdef"),
				write(".doc.xml.tmp"),
			}
			require.NoError(t, fsys.Mkdir(filepath.Join(dir, ".doc.xml.tmp-dir"), 0o750))
			keep = append(keep, filepath.Join(dir, ".doc.xml.tmp-dir"))
			live, err := w.CreateTempBeside(final)
			require.NoError(t, err)
			keep = append(keep, live.Name())

			require.NoError(t, w.RemoveStaleTemps(final))
			for _, p := range []string{abandoned, old} {
				_, err := fsys.Stat(p)
				assert.ErrorIs(t, err, fs.ErrNotExist, "%s is removed", filepath.Base(p))
			}
			for _, p := range keep {
				_, err := fsys.Stat(p)
				assert.NoError(t, err, "%s stays", filepath.Base(p))
			}

			// Once its writer is done with it, the live one is no temp of anyone's.
			_, err = live.Write([]byte("<doc/>"))
			require.NoError(t, err)
			require.NoError(t, live.Commit(final))
			require.NoError(t, w.RemoveStaleTemps(final))
			got, err := afero.ReadFile(fsys, final)
			require.NoError(t, err)
			assert.Equal(t, "<doc/>", string(got))

			assert.NoError(t, w.RemoveStaleTemps(filepath.Join(root, "missing", "doc.xml")), "no directory, nothing to remove")
		})
	}
}

// TestRemoveStaleTempsKeepsAnotherProcesssTemp: a temp file that a writer in another process
// holds open (and so flocked) stays; once that process is killed, it is stale and goes.
func TestRemoveStaleTempsKeepsAnotherProcesssTemp(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "doc.xml")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTempWriter$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER_DIR="+dir, "ATOMICFILE_HELPER_BESIDE="+final)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	name, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	name = name[:len(name)-1]
	require.Regexp(t, besideName, filepath.Base(name))

	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o640, DirMode: 0o750}
	require.NoError(t, w.RemoveStaleTemps(final))
	assert.FileExists(t, name, "the child still writes it")

	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	require.NoError(t, w.RemoveStaleTemps(final))
	assert.NoFileExists(t, name, "its writer is gone")
}

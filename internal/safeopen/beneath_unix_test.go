//go:build unix

package safeopen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// beneathOpeners are every way OpenBeneath can resolve a path: the kernel's openat2, the
// openat walk, each OS-backed filesystem through the public function, and the emulation used
// for filesystems without OS paths (run here on the OS, which has links to catch).
func beneathOpeners() []struct {
	name string
	make func(root string) (afero.Fs, string, func(fsys afero.Fs, root, rel string) (afero.File, error))
} {
	type maker = func(root string) (afero.Fs, string, func(fsys afero.Fs, root, rel string) (afero.File, error))
	osFile := func(useOpenat2 bool) maker {
		return func(root string) (afero.Fs, string, func(afero.Fs, string, string) (afero.File, error)) {
			return afero.NewOsFs(), root, func(_ afero.Fs, root, rel string) (afero.File, error) {
				clean, err := beneath(root, rel)
				if err != nil {
					return nil, err
				}
				f, err := openBeneathFile(root, filepath.Join(root, clean), root, clean, filepath.Join(root, clean), useOpenat2)
				if err != nil {
					return nil, err
				}
				return f, nil
			}
		}
	}
	openers := []struct {
		name string
		make maker
	}{
		{"openat2", osFile(true)},
		{"walk", osFile(false)},
		{"emulated", func(root string) (afero.Fs, string, func(afero.Fs, string, string) (afero.File, error)) {
			return afero.NewOsFs(), root, func(fsys afero.Fs, root, rel string) (afero.File, error) {
				clean, err := beneath(root, rel)
				if err != nil {
					return nil, err
				}
				return openGeneric(fsys, filepath.Join(root, clean), between(root, clean))
			}
		}},
	}
	for _, fsc := range osFilesystems {
		openers = append(openers, struct {
			name string
			make maker
		}{fsc.name, func(root string) (afero.Fs, string, func(afero.Fs, string, string) (afero.File, error)) {
			fsys, fsRoot := fsc.make(root)
			return fsys, fsRoot, OpenBeneath
		}})
	}
	return openers
}

func TestOpenBeneathRefuses(t *testing.T) {
	root, _ := tree(t)
	for _, o := range beneathOpeners() {
		fsys, fsRoot, open := o.make(root)
		call := func(t *testing.T, rel string) error {
			f, err := within(t, func() (afero.File, error) { return open(fsys, fsRoot, rel) })
			assert.Nil(t, f)
			return err
		}
		t.Run(o.name, func(t *testing.T) {
			for _, c := range refusals {
				assertRefused(t, call(t, c.rel), filepath.Join(fsRoot, c.rel), c.found, false)
			}
			// A directory on the way that is a link, at the top or deeper.
			assertRefused(t, call(t, "linkdir/file"), filepath.Join(fsRoot, "linkdir"), "a symbolic link", true)
			assertRefused(t, call(t, "sub/deeplink/file"), filepath.Join(fsRoot, "sub", "deeplink"), "a symbolic link", true)
			for _, rel := range []string{"../o/secret", "sub/../../o/secret", "/etc/hostname", "", ".."} {
				err := call(t, rel)
				assert.ErrorIs(t, err, ErrOutsideRoot, "%q", rel)
				assert.Contains(t, err.Error(), rel, "the message shows the path as given")
			}
			err := call(t, "missing")
			assert.True(t, isNotExist(err), "%v", err)
			err = call(t, "sub/missing/file")
			assert.True(t, isNotExist(err), "%v", err)
			err = call(t, "file/below")
			assert.ErrorIs(t, err, unix.ENOTDIR, "a regular file used as a directory")
			assert.NotErrorIs(t, err, ErrNotRegular)
		})
	}
}

func TestOpenBeneathOpensRegularFiles(t *testing.T) {
	root, _ := tree(t)
	linkedRoot := filepath.Join(t.TempDir(), "root-link")
	require.NoError(t, os.Symlink(root, linkedRoot))
	for _, o := range beneathOpeners() {
		for _, r := range []struct{ name, root string }{{"root", root}, {"root given as a link", linkedRoot}} {
			fsys, fsRoot, open := o.make(r.root)
			t.Run(o.name+"/"+r.name, func(t *testing.T) {
				for _, rel := range []string{"file", "sub/file", "sub/../file", "./sub//file"} {
					f, err := within(t, func() (afero.File, error) { return open(fsys, fsRoot, rel) })
					require.NoError(t, err, rel)
					assert.Equal(t, filepath.Join(fsRoot, filepath.Clean(rel)), f.Name())
					assertReadsContent(t, f)
				}
			})
		}
	}
}

func TestReadFileBeneath(t *testing.T) {
	root, _ := tree(t)
	data, err := ReadFileBeneath(afero.NewOsFs(), root, "sub/file", int64(len(content)))
	require.NoError(t, err)
	assert.Equal(t, content, string(data))
	_, err = ReadFileBeneath(afero.NewOsFs(), root, "sub/file", int64(len(content))-1)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = within(t, func() ([]byte, error) { return ReadFileBeneath(afero.NewOsFs(), root, "fifo", 1<<20) })
	assert.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadFileBeneath(afero.NewOsFs(), root, "linkdir/file", 1<<20)
	assert.ErrorIs(t, err, ErrNotRegular)
}

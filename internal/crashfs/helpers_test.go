package crashfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
)

// seeds is how many Random seeds the tests that sample the model try.
const seeds = 200

// policies returns the two extreme policies and n random ones.
func policies(n int) []Policy {
	ps := []Policy{KeepNothing(), KeepEverything()}
	for i := range n {
		ps = append(ps, Random(int64(i)))
	}
	return ps
}

// put writes a file through a handle and, with sync, fsyncs it.
func put(t testing.TB, f afero.Fs, name, content string, sync bool) {
	t.Helper()
	h, err := f.Create(name)
	require.NoError(t, err)
	_, err = h.Write([]byte(content))
	require.NoError(t, err)
	if sync {
		require.NoError(t, h.Sync())
	}
	require.NoError(t, h.Close())
}

// syncDir fsyncs a directory.
func syncDir(t testing.TB, f afero.Fs, name string) {
	t.Helper()
	require.NoError(t, fsyncDir(f, name))
}

func fsyncDir(f afero.Fs, name string) error {
	d, err := f.Open(name)
	if err != nil {
		return err
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	return serr
}

// content returns a file's content, or "<missing>" when it does not exist.
func content(t testing.TB, f afero.Fs, name string) string {
	t.Helper()
	b, err := afero.ReadFile(f, name)
	if errors.Is(err, fs.ErrNotExist) {
		return missing
	}
	require.NoError(t, err)
	return string(b)
}

const missing = "<missing>"

// tree describes everything under the root: a directory as "dir mode", a file as its
// content and mode.
func tree(t testing.TB, f afero.Fs) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := afero.Walk(f, "/", func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() {
			m[p] = fmt.Sprintf("dir %v", fi.Mode())
			return nil
		}
		b, err := afero.ReadFile(f, p)
		if err != nil {
			return err
		}
		m[p] = fmt.Sprintf("%q %v", b, fi.Mode())
		return nil
	})
	require.NoError(t, err)
	return m
}

// names lists the paths in a tree, sorted.
func names(m map[string]string) []string {
	var out []string
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// durable makes a fresh FS holding the given files (and their directories), all durable.
func durable(t testing.TB, files map[string]string, opts ...Option) *FS {
	t.Helper()
	f := New(opts...)
	for name, c := range files {
		require.NoError(t, f.MkdirAll(path.Dir(name), 0o755))
		put(t, f, name, c, false)
	}
	require.NoError(t, f.SyncAll())
	return f
}

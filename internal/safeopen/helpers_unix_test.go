//go:build unix

package safeopen

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// deadline bounds every open in these tests: a regression that blocks on a FIFO fails the
// test instead of hanging it.
const deadline = 2 * time.Second

// within runs call in a goroutine and fails the test if it has not returned by the deadline.
func within[T any](t *testing.T, call func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(deadline):
		t.Fatalf("call still blocked after %v", deadline)
		panic("unreachable")
	}
}

// tree makes a store-like root with one of each kind of entry, and an "outside" directory next
// to it that links point into:
//
//	root/file          regular           root/sub/file      regular
//	root/fifo          named pipe        root/dir           directory
//	root/sock          unix socket       root/link-out      -> outside/secret
//	root/dangling      -> nowhere        root/linkdir       -> outside (holds "file")
//	root/link-in       -> file (a link that stays inside the root)
//	root/sub/deeplink  -> outside
func tree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "r")
	outside = filepath.Join(base, "o")
	for _, d := range []string{root, outside, filepath.Join(root, "sub"), filepath.Join(root, "dir")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for _, p := range []string{filepath.Join(root, "file"), filepath.Join(root, "sub", "file"),
		filepath.Join(outside, "secret"), filepath.Join(outside, "file")} {
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	require.NoError(t, unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link-out")))
	require.NoError(t, os.Symlink(filepath.Join(base, "nowhere"), filepath.Join(root, "dangling")))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "linkdir")))
	require.NoError(t, os.Symlink("file", filepath.Join(root, "link-in")))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "sub", "deeplink")))
	l, err := net.Listen("unix", filepath.Join(root, "sock"))
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return root, outside
}

// assertReadsContent checks that f is open on a regular file holding content, with O_NONBLOCK
// cleared when it is an OS file, and closes it.
func assertReadsContent(t *testing.T, f afero.File) {
	t.Helper()
	defer f.Close()
	if osf, ok := OSFile(f); ok {
		assert.False(t, nonblocking(t, osf), "O_NONBLOCK is cleared on the returned file")
	}
	got, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))
}

// nonblocking reports whether f's open file description has O_NONBLOCK set.
func nonblocking(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	require.NoError(t, err)
	var flags int
	var ferr error
	require.NoError(t, rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }))
	require.NoError(t, ferr)
	return flags&unix.O_NONBLOCK != 0
}

// skipIfRoot skips tests of permissions, which root ignores.
func skipIfRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which may read any file")
	}
}

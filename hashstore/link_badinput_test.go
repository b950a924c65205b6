//go:build unix

package hashstore_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestStoreFileBadInput: every bad input to a linking StoreFile is refused with its class,
// leaves the store unchanged and the file untouched. Files that are not regular are refused
// before they are opened (a FIFO would block an open without O_NONBLOCK).
func TestStoreFileBadInput(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	type tc struct {
		name   string
		source func(t *testing.T) string
		pid    string
		opts   []hashstore.StoreOption
		want   error
		check  func(t *testing.T, err error)
	}
	vec := func(t *testing.T) string { return vectorSource(t, v) }
	// sourceDigests checks that a size mismatch carries the file's exact size and digests.
	sourceDigests := func(t *testing.T, err error) {
		var se *hashstore.SizeMismatchError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, v.Size, se.Actual, "the whole file is hashed for the report")
		assert.False(t, se.AtLeast)
		assertDigests(t, v, se.HexDigests, withDefaults()...)
		assert.Contains(t, err.Error(), v.Digests[hashstore.MD5], "the message carries the digests")
	}
	cases := []tc{
		{name: "missing", source: func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, want: hashstore.ErrNotFound,
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, fs.ErrNotExist) }},
		{name: "directory", source: func(t *testing.T) string { return t.TempDir() }, want: hashstore.ErrInvalidArgument,
			check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "directory") }},
		{name: "fifo", source: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "fifo")
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			return p
		}, want: hashstore.ErrInvalidArgument, check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "named pipe") }},
		{name: "socket", source: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "sock")
			l, err := net.Listen("unix", p)
			require.NoError(t, err)
			t.Cleanup(func() { l.Close() })
			return p
		}, want: hashstore.ErrInvalidArgument, check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "socket") }},
		{name: "device", source: func(t *testing.T) string { return "/dev/null" }, want: hashstore.ErrInvalidArgument,
			check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "device") }},
		{name: "symlink to a fifo", source: func(t *testing.T) string {
			dir := t.TempDir()
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
			require.NoError(t, os.Symlink(filepath.Join(dir, "fifo"), filepath.Join(dir, "link")))
			return filepath.Join(dir, "link")
		}, want: hashstore.ErrInvalidArgument, check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "named pipe") }},
		{name: "empty path", source: func(t *testing.T) string { return "" }, want: hashstore.ErrInvalidArgument},
		{name: "whitespace pid", source: vec, pid: "jtao 1700.1", want: hashstore.ErrInvalidArgument},
		{name: "empty pid", source: vec, pid: "", want: hashstore.ErrInvalidArgument},
		{name: "shorter than expected", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(v.Size + 1)}, want: hashstore.ErrSizeMismatch,
			check: sourceDigests},
		{name: "longer than expected", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(v.Size - 1)}, want: hashstore.ErrSizeMismatch,
			check: sourceDigests},
		{name: "size zero", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(0)}, want: hashstore.ErrSizeMismatch,
			check: sourceDigests},
		{name: "checksum mismatch", source: vec, opts: []hashstore.StoreOption{hashstore.WithChecksum(v.Digests[hashstore.SHA1], hashstore.MD5)}, want: hashstore.ErrChecksumMismatch,
			check: func(t *testing.T, err error) {
				var ce *hashstore.ChecksumMismatchError
				require.ErrorAs(t, err, &ce)
				assertDigests(t, v, ce.HexDigests, withDefaults()...)
			}},
		{name: "unsupported checksum algorithm", source: vec, opts: []hashstore.StoreOption{hashstore.WithChecksum(v.Digests[hashstore.MD5], "SM3")}, want: hashstore.ErrUnsupportedAlgorithm},
		{name: "unsupported additional algorithm", source: vec, opts: []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("md10")}, want: hashstore.ErrUnsupportedAlgorithm},
		{name: "negative size", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(-3)}, want: hashstore.ErrInvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hashstore.NewOSTestStore(t)
			src := c.source(t)
			var before hashstore.SourceState
			regular := false
			if fi, err := os.Stat(src); err == nil && fi.Mode().IsRegular() {
				regular, before = true, hashstore.StateOf(t, src)
			}
			pid := c.pid
			if pid == "" && c.name != "empty pid" {
				pid = v.PID
			}
			done := make(chan error, 1)
			go func() {
				var err error
				hashstore.Unchanged(t, s.Root(), func() error {
					_, _, err = s.StoreFile(t.Context(), src, append([]hashstore.StoreOption{linkFile, hashstore.WithPID(pid)}, c.opts...)...)
					return err
				})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("StoreFile blocked")
			}
			hashstore.RequireLinkError(t, err, c.want, pid, src)
			if c.check != nil {
				c.check(t, err)
			}
			if regular {
				assert.Equal(t, before, hashstore.StateOf(t, src), "the file is untouched")
				assert.Equal(t, 1, hashstore.Nlink(t, src), "no link left behind")
			}
		})
	}
}

// fileOp is the operation StoreFile's errors name for a policy.
func fileOp(p hashstore.LinkPolicy) string {
	if p == hashstore.CopyFile {
		return "store file"
	}
	return "link object"
}

// TestStoreFileReadOnlyStore: a store opened read-only refuses, creating nothing.
func TestStoreFileReadOnlyStore(t *testing.T) {
	rw := hashstore.NewOSTestStore(t)
	s, err := hashstore.Open(rw.Root(), hashstore.WithReadOnly())
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	for _, p := range []hashstore.LinkPolicy{hashstore.LinkFile, hashstore.CopyFile} {
		err = hashstore.Unchanged(t, rw.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, hashstore.WithLink(p), hashstore.WithPID(v.PID))
			return err
		})
		hashstore.RequireFileError(t, err, hashstore.ErrReadOnly, fileOp(p), v.PID, src)
		assert.Equal(t, 1, hashstore.Nlink(t, src))
	}
}

// TestStoreFileUnreadableSource: a file that cannot be read is refused with a permission
// error. Running as root no file is unreadable, so TestStoreFileUnreadableAsAnotherUser runs
// this as nobody; the failure is also injected where the file is opened (internal tests).
func TestStoreFileUnreadableSource(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file (TestStoreFileUnreadableAsAnotherUser runs this as nobody)")
	}
	unreadableMode000(t)
}

// unreadableMode000 links a mode-000 file of the caller's own (which Linux lets its owner
// link, but not read).
func unreadableMode000(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	s := hashstore.NewOSTestStore(t)
	src := vectorSource(t, v)
	require.NoError(t, os.Chmod(src, 0))
	for _, p := range []hashstore.LinkPolicy{hashstore.LinkFile, hashstore.CopyFile} {
		err := hashstore.Unchanged(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, hashstore.WithLink(p), hashstore.WithPID(v.PID))
			return err
		})
		hashstore.RequireFileError(t, err, fs.ErrPermission, fileOp(p), v.PID, src)
		assert.Contains(t, err.Error(), "permission denied")
		assert.Contains(t, err.Error(), "cannot read the source file")
		assert.Equal(t, 1, hashstore.Nlink(t, src))
	}
}

// TestStoreFileUnreadableAsAnotherUser runs unreadableMode000 in a copy of the test binary
// started as the user nobody, when the tests run as root (as in CI), where no file is
// unreadable. The copy lives in a directory nobody can reach (the build's may not be).
func TestStoreFileUnreadableAsAnotherUser(t *testing.T) {
	const env = "HASHSTORE_TEST_UNREADABLE_CHILD"
	if os.Getenv(env) == "1" {
		unreadableMode000(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: TestStoreFileUnreadableSource covers this")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	require.NoError(t, errors.Join(err1, err2))
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	exe, err := os.Executable()
	require.NoError(t, err)
	bin := filepath.Join(dir, "hashstore.test")
	data, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	cmd := exec.Command(bin, "-test.run=^TestStoreFileUnreadableAsAnotherUser$", "-test.v", "-test.count=1")
	cmd.Dir = dir // the checkout may not be readable by nobody
	cmd.Env = append(os.Environ(), env+"=1", "TMPDIR=/tmp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child as nobody:\n%s", out)
	assert.Contains(t, string(out), "--- PASS: TestStoreFileUnreadableAsAnotherUser")
}

// TestStoreFileCancelled: a cancelled context stops the call and changes nothing.
func TestStoreFileCancelled(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, p := range []hashstore.LinkPolicy{hashstore.LinkFile, hashstore.CopyFile} {
		err := hashstore.Unchanged(t, s.Root(), func() error {
			_, _, err := s.StoreFile(ctx, src, hashstore.WithLink(p), hashstore.WithPID(v.PID))
			return err
		})
		hashstore.RequireFileError(t, err, context.Canceled, fileOp(p), v.PID, src)
		assert.Equal(t, "canceled", hashstore.ErrorKind(err))
		assert.Equal(t, 1, hashstore.Nlink(t, src))
	}
}

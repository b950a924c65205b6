package links_test

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/links"
)

// TestBadInput: every bad input is refused with its class, leaves the store unchanged and the
// source untouched.
func TestBadInput(t *testing.T) {
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
		{name: "empty path", source: func(t *testing.T) string { return "" }, want: hashstore.ErrInvalidArgument},
		{name: "whitespace pid", source: vec, pid: "jtao 1700.1", want: hashstore.ErrInvalidArgument},
		{name: "empty pid", source: vec, pid: "", want: hashstore.ErrInvalidArgument},
		{name: "shorter than expected", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(v.Size + 1)}, want: hashstore.ErrSizeMismatch,
			check: func(t *testing.T, err error) {
				var de *links.SourceDigestsError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, v.Size, de.Size)
				assertDigests(t, v, de.HexDigests, defaultKeys...)
				assert.Contains(t, err.Error(), v.Digests["MD5"], "the message carries the digests")
			}},
		{name: "longer than expected", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(v.Size - 1)}, want: hashstore.ErrSizeMismatch,
			check: func(t *testing.T, err error) {
				var de *links.SourceDigestsError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, v.Size, de.Size, "the whole source is hashed for the report")
				assertDigests(t, v, de.HexDigests, defaultKeys...)
				var se *hashstore.SizeMismatchError
				require.ErrorAs(t, err, &se)
				assert.True(t, se.AtLeast)
			}},
		{name: "checksum mismatch", source: vec, opts: []hashstore.StoreOption{hashstore.WithChecksum(v.Digests["SHA-1"], "MD5")}, want: hashstore.ErrChecksumMismatch,
			check: func(t *testing.T, err error) {
				var ce *hashstore.ChecksumMismatchError
				require.ErrorAs(t, err, &ce)
				assertDigests(t, v, ce.HexDigests, defaultKeys...)
			}},
		{name: "unsupported checksum algorithm", source: vec, opts: []hashstore.StoreOption{hashstore.WithChecksum(v.Digests["MD5"], "SM3")}, want: hashstore.ErrUnsupportedAlgorithm},
		{name: "unsupported additional algorithm", source: vec, opts: []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("md10")}, want: hashstore.ErrUnsupportedAlgorithm},
		{name: "size zero", source: vec, opts: []hashstore.StoreOption{hashstore.WithExpectedSize(0)}, want: hashstore.ErrInvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls := newStore(t)
			src := c.source(t)
			var before sourceState
			regular := false
			if fi, err := os.Stat(src); err == nil && fi.Mode().IsRegular() {
				regular, before = true, stateOf(t, src)
			}
			pid := c.pid
			if pid == "" && c.name != "empty pid" {
				pid = v.PID
			}
			done := make(chan error, 1)
			go func() {
				var err error
				unchanged(t, ls, func() error {
					_, err = ls.StoreHardLink(t.Context(), src, pid, c.opts...)
					return err
				})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("StoreHardLink blocked")
			}
			requireKind(t, err, c.want, pid, src)
			if c.check != nil {
				c.check(t, err)
			}
			if regular {
				assert.Equal(t, before, stateOf(t, src), "the source is untouched")
				assert.Equal(t, 1, nlink(t, src), "no link left behind")
			}
		})
	}
}

// TestReadOnlyStore: a store opened read-only refuses, creating nothing.
func TestReadOnlyStore(t *testing.T) {
	rw := newStore(t)
	s, err := hashstore.Open(rw.Root(), hashstore.WithReadOnly())
	require.NoError(t, err)
	ls, err := links.New(s)
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	err = unchanged(t, rw, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, hashstore.ErrReadOnly, v.PID, src)
	assert.Equal(t, 1, nlink(t, src))
}

// exdevLinker is the OS linker except that Link fails as it does across filesystems.
type exdevLinker struct{ *links.OSLinker }

func (exdevLinker) Link(source, target string) error {
	return &os.LinkError{Op: "link", Old: source, New: target, Err: syscall.EXDEV}
}

func newExdevStore(t *testing.T, opts ...links.Option) *links.Store {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig())
	require.NoError(t, err)
	ls, err := links.New(s, append([]links.Option{links.WithLinker(exdevLinker{links.NewOSLinker(s.Fs())})}, opts...)...)
	require.NoError(t, err)
	return ls
}

// earlyExdevLinker says before the read that the source is on another device, as OSLinker's
// CheckLink does for two filesystems; its Link must then not be called.
type earlyExdevLinker struct {
	*links.OSLinker
	t *testing.T
}

func (l earlyExdevLinker) CheckLink(source, dir string) error {
	return &os.LinkError{Op: "link", Old: source, New: dir, Err: syscall.EXDEV}
}

func (l earlyExdevLinker) Open(source string) (fs.File, error) {
	l.t.Log("open", source) // only the copy fallback opens the source
	return l.OSLinker.Open(source)
}

func (l earlyExdevLinker) Link(source, target string) error {
	l.t.Error("Link called after CheckLink refused")
	return errors.New("unexpected")
}

// TestCrossDevice: a source on another filesystem is a typed error naming both paths and the
// fix, and changes nothing; with CrossDeviceCopy it is copied in. Both the early refusal
// (CheckLink: two filesystems; nothing at all changes) and the late one (Link: two mounts of
// one filesystem; the object's empty shard directories stay) are covered.
func TestCrossDevice(t *testing.T) {
	v := hashstoretest.Vectors()[0]
	t.Run("early", func(t *testing.T) {
		for _, policy := range []links.CrossDevicePolicy{links.CrossDeviceFail, links.CrossDeviceCopy} {
			s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig())
			require.NoError(t, err)
			ls, err := links.New(s, links.WithLinker(earlyExdevLinker{links.NewOSLinker(s.Fs()), t}), links.OnCrossDevice(policy))
			require.NoError(t, err)
			src := vectorSource(t, v)
			if policy == links.CrossDeviceFail {
				err = unchanged(t, ls, func() error {
					_, err := ls.StoreHardLink(t.Context(), src, v.PID)
					return err
				})
				requireKind(t, err, links.ErrCrossDevice, v.PID, src)
				continue
			}
			res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)))
			require.NoError(t, err)
			assert.Equal(t, links.Copied, res.Placement)
			assert.False(t, sameFile(t, src, objectPath(ls, v.ObjectPath)))
		}
	})
	t.Run("fail", func(t *testing.T) {
		ls := newExdevStore(t)
		src := vectorSource(t, v)
		err := unchangedFiles(t, ls, func() error {
			_, err := ls.StoreHardLink(t.Context(), src, v.PID)
			return err
		})
		requireKind(t, err, links.ErrCrossDevice, v.PID, src)
		var ce *links.CrossDeviceError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, src, ce.Source)
		assert.Equal(t, ls.Root(), ce.Store)
		assert.ErrorIs(t, err, syscall.EXDEV)
		msg := err.Error()
		assert.Contains(t, msg, ls.Root())
		assert.Contains(t, msg, "--on-cross-device copy")
		assert.Contains(t, msg, "move the source")
		assert.Equal(t, 1, strings.Count(msg, src), "the source is named once: %s", msg)
		assert.Equal(t, "io", hashstore.ErrorKind(err))
	})
	t.Run("copy", func(t *testing.T) {
		ls := newExdevStore(t, links.OnCrossDevice(links.CrossDeviceCopy))
		src := vectorSource(t, v)
		before := stateOf(t, src)
		res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests["MD5"], "MD5")),
			links.AlsoChecksum(v.Digests["SHA-1"], "SHA-1"), links.ExpectSize(v.Size))
		require.NoError(t, err)
		assert.Equal(t, links.Copied, res.Placement)
		assert.Equal(t, v.CID, res.Object.CID)
		assertDigests(t, v, res.Object.HexDigests, defaultKeys...)
		obj := objectPath(ls, v.ObjectPath)
		got, err := os.ReadFile(obj)
		require.NoError(t, err)
		assert.Equal(t, v.Data(), got)
		assert.False(t, sameFile(t, src, obj), "a copy")
		assert.Equal(t, before, stateOf(t, src))
		assert.Equal(t, 1, nlink(t, src))

		// The copy obeys the same expectations, extra checksum and zero size included.
		w := hashstoretest.Vectors()[1]
		other := vectorSource(t, w)
		err = unchangedFiles(t, ls, func() error {
			_, err := ls.Link(t.Context(), other, links.StoreOptions(hashstore.WithPID(w.PID)), links.AlsoChecksum(v.Digests["SHA-1"], "SHA-1"))
			return err
		})
		requireKind(t, err, hashstore.ErrChecksumMismatch, w.PID, other)
		var ce *hashstore.ChecksumMismatchError
		require.ErrorAs(t, err, &ce)
		assertDigests(t, w, ce.HexDigests, defaultKeys...)
		err = unchangedFiles(t, ls, func() error {
			_, err := ls.Link(t.Context(), other, links.StoreOptions(hashstore.WithPID(w.PID)), links.ExpectSize(0))
			return err
		})
		requireKind(t, err, hashstore.ErrSizeMismatch, w.PID, other)
		var de *links.SourceDigestsError
		require.ErrorAs(t, err, &de)
		assertDigests(t, w, de.HexDigests, defaultKeys...)
		empty := writeSource(t, nil)
		res, err = ls.Link(t.Context(), empty, links.StoreOptions(hashstore.WithPID("empty")), links.ExpectSize(0))
		require.NoError(t, err)
		assert.Zero(t, res.Object.Size)
	})
}

// hookLinker is the OS linker with hooks on opening the source.
type hookLinker struct {
	*links.OSLinker
	open func(name string) (fs.File, error) // replaces Open, if set
	read func()                             // runs after the first Read of the source, if set
}

func (h *hookLinker) Open(name string) (fs.File, error) {
	if h.open != nil {
		return h.open(name)
	}
	f, err := h.OSLinker.Open(name)
	if err != nil || h.read == nil {
		return f, err
	}
	return &hookFile{File: f.(*os.File), hook: h.read}, nil
}

type hookFile struct {
	*os.File
	once sync.Once
	hook func()
}

func (h *hookFile) Read(p []byte) (int, error) {
	n, err := h.File.Read(p)
	h.once.Do(h.hook)
	return n, err
}

func newHookStore(t *testing.T, h *hookLinker) *links.Store {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig())
	require.NoError(t, err)
	h.OSLinker = links.NewOSLinker(s.Fs())
	ls, err := links.New(s, links.WithLinker(h))
	require.NoError(t, err)
	return ls
}

// TestSourceChangedWhileRead: a source written to during the read is not placed.
func TestSourceChangedWhileRead(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	h := &hookLinker{}
	ls := newHookStore(t, h)
	src := vectorSource(t, v)
	h.read = func() {
		f, err := os.OpenFile(src, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			f.WriteString("more")
			f.Close()
		}
	}
	err := unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, links.ErrSourceChanged, v.PID, src)
	assert.Equal(t, 1, nlink(t, src))
}

// TestSourceReplacedWhileRead: if the source path names another file by the time it is
// linked, the link is taken back and nothing is placed (the object's shard directories, made
// under the cid lock just before, stay).
func TestSourceReplacedWhileRead(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	h := &hookLinker{}
	ls := newHookStore(t, h)
	src := vectorSource(t, v)
	impostor := filepath.Join(filepath.Dir(src), "impostor")
	require.NoError(t, os.WriteFile(impostor, []byte("something else entirely"), 0o644))
	h.read = func() { os.Rename(impostor, src) }
	err := unchangedFiles(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, links.ErrSourceChanged, v.PID, src)
	assert.Equal(t, 1, nlink(t, src), "the replacement is not linked")
}

// TestUnreadableSource: a source that cannot be read is refused with a permission error.
// Running as root, no file is unreadable, so the failure is injected where the source is
// opened; as another user a real mode-000 file is used as well.
func TestUnreadableSource(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	t.Run("injected", func(t *testing.T) {
		h := &hookLinker{open: func(name string) (fs.File, error) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}}
		ls := newHookStore(t, h)
		src := vectorSource(t, v)
		err := unchanged(t, ls, func() error {
			_, err := ls.StoreHardLink(t.Context(), src, v.PID)
			return err
		})
		requireKind(t, err, fs.ErrPermission, v.PID, src)
		assert.Contains(t, err.Error(), "cannot read the source file")
		assert.Equal(t, 1, nlink(t, src))
	})
	t.Run("mode000", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root can read any file (TestUnreadableSourceAsAnotherUser runs this as nobody)")
		}
		unreadableMode000(t, filepath.Join(vectorsDir, hashstoretest.Vectors()[1].File))
	})
}

// unreadableMode000 links a mode-000 source of the caller's own (which Linux lets its owner
// link, but not read). The data comes from the file named by dataFile: the child that runs
// this as nobody cannot count on reading the checkout (a 0700 clone directory, for one).
func unreadableMode000(t *testing.T, dataFile string) {
	v := hashstoretest.Vectors()[1]
	ls := newStore(t)
	data, err := os.ReadFile(dataFile)
	require.NoError(t, err)
	src := writeSource(t, data)
	require.NoError(t, os.Chmod(src, 0))
	err = unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, fs.ErrPermission, v.PID, src)
	assert.Contains(t, err.Error(), "permission denied")
	assert.Equal(t, 1, nlink(t, src))
}

// TestUnreadableSourceAsAnotherUser runs unreadableMode000 in a copy of the test binary started
// as the user nobody, when the tests run as root (as in CI), where no file is unreadable.
func TestUnreadableSourceAsAnotherUser(t *testing.T) {
	const env = "LINKS_TEST_UNREADABLE_CHILD" // the data file, in the child
	if f := os.Getenv(env); f != "" {
		unreadableMode000(t, f)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: TestUnreadableSource/mode000 covers this")
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
	bin := filepath.Join(dir, "links.test")
	data, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	vector, err := os.ReadFile(filepath.Join(vectorsDir, hashstoretest.Vectors()[1].File))
	require.NoError(t, err)
	dataFile := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(dataFile, vector, 0o644))
	cmd := exec.Command(bin, "-test.run=^TestUnreadableSourceAsAnotherUser$", "-test.v", "-test.count=1")
	cmd.Dir = dir // the checkout may not be readable by nobody
	cmd.Env = append(os.Environ(), env+"="+dataFile, "TMPDIR=/tmp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child as nobody:\n%s", out)
	assert.Contains(t, string(out), "--- PASS: TestUnreadableSourceAsAnotherUser")
}

// TestCancelled: a cancelled context stops the call and changes nothing.
func TestCancelled(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(ctx, src, v.PID)
		return err
	})
	requireKind(t, err, context.Canceled, v.PID, src)
	assert.Equal(t, 1, nlink(t, src))
}

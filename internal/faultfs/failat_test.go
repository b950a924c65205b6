package faultfs

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpString(t *testing.T) {
	seen := map[string]Op{}
	for _, op := range AllOps() {
		s := op.String()
		assert.NotEmpty(t, s)
		assert.NotContains(t, s, "Op(", "declared %d has no name", int(op))
		if prev, dup := seen[s]; dup {
			t.Errorf("%d and %d are both named %q", int(prev), int(op), s)
		}
		seen[s] = op
	}
	assert.Equal(t, "create", OpCreate.String())
	assert.Equal(t, "readdir", OpReadDir.String())
	assert.Equal(t, "Op(99)", Op(99).String())
	assert.Equal(t, "Op(-1)", Op(-1).String())
}

func TestAllOps(t *testing.T) {
	ops := AllOps()
	require.Len(t, ops, 11)
	for i, op := range ops {
		assert.Equal(t, Op(i), op)
	}
	assert.Equal(t, OpCreate, ops[0])
	assert.Equal(t, OpReadDir, ops[len(ops)-1])
	ops[0] = OpStat
	assert.Equal(t, OpCreate, AllOps()[0], "AllOps must return a fresh slice")
}

func TestNameAndBase(t *testing.T) {
	base := afero.NewMemMapFs()
	f := New(base)
	assert.Equal(t, "faultfs("+base.Name()+")", f.Name())
	assert.Same(t, base, f.Base())
	assert.Panics(t, func() { New(nil) })
}

func TestCounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		assert.Empty(t, f.Counts())

		a, b := join(root, "a"), join(root, "b")
		h, err := f.Create(a)
		require.NoError(t, err)
		_, err = h.Write([]byte("hello"))
		require.NoError(t, err)
		require.NoError(t, h.Sync())
		require.NoError(t, h.Close())
		require.NoError(t, f.Rename(a, b))
		require.NoError(t, f.Remove(b))

		want := map[Op]int{OpCreate: 1, OpWrite: 1, OpSync: 1, OpClose: 1, OpRename: 1, OpRemove: 1}
		assert.Equal(t, want, f.Counts())

		// Every other counted method, and calls that fail in the base.
		d := join(root, "d")
		require.NoError(t, f.Mkdir(d, 0o755))
		require.NoError(t, f.MkdirAll(join(d, "x/y"), 0o755))
		h, err = f.OpenFile(join(d, "f"), os.O_CREATE|os.O_RDWR, 0o644)
		require.NoError(t, err)
		_, err = h.WriteString("abc")
		require.NoError(t, err)
		_, err = h.WriteAt([]byte("z"), 0)
		require.NoError(t, err)
		require.NoError(t, h.Truncate(1))
		_, err = h.Stat() // not counted
		require.NoError(t, err)
		require.NoError(t, h.Close())
		require.NoError(t, f.Chmod(join(d, "f"), 0o600))
		require.NoError(t, f.Chown(join(d, "f"), os.Getuid(), os.Getgid()))
		require.NoError(t, f.Chtimes(join(d, "f"), time.Now(), time.Now()))
		_, err = f.Stat(join(d, "f"))
		require.NoError(t, err)
		_, _, err = f.LstatIfPossible(join(d, "f"))
		require.NoError(t, err)
		dir, err := f.Open(d)
		require.NoError(t, err)
		_, err = dir.Readdir(-1)
		require.NoError(t, err)
		require.NoError(t, dir.Close())
		dir, err = f.OpenFile(d, os.O_RDONLY, 0)
		require.NoError(t, err)
		_, err = dir.Readdirnames(-1)
		require.NoError(t, err)
		_, err = dir.(fs.ReadDirFile).ReadDir(-1)
		require.NoError(t, err)
		require.NoError(t, dir.Close())
		require.Error(t, f.Remove(join(root, "missing")))
		_, err = f.Stat(join(root, "missing"))
		require.Error(t, err)
		require.NoError(t, f.RemoveAll(d))

		want = map[Op]int{
			OpCreate: 2, OpOpen: 2, OpWrite: 4, OpSync: 1, OpClose: 4, OpRename: 1,
			OpRemove: 3, OpMkdir: 2, OpChmod: 3, OpStat: 3, OpReadDir: 3,
		}
		got := f.Counts()
		assert.Equal(t, want, got)
		assert.Zero(t, f.Injected())

		got[OpCreate] = 100
		assert.Equal(t, 2, f.Counts()[OpCreate], "Counts must return a copy")
	})
}

// env is what one FailAt method case works in.
type env struct {
	t     *testing.T
	base  afero.Fs
	f     *FS
	root  string
	files map[int]afero.File // per call, opened by prep
}

func (e *env) path(prefix string, i int) string { return join(e.root, fmt.Sprintf("%s%d", prefix, i)) }

// method is one way of making a call of op, for the FailAt table.
type method struct {
	name string
	op   Op
	// sysOp is the Op of the injected *os.PathError; "" means an
	// *os.LinkError with Op "rename".
	sysOp string
	// prep prepares call i, touching the base or making calls of other Ops.
	prep func(e *env, i int)
	// call makes call i and returns its error.
	call func(e *env, i int) error
	// path is the Path the injected error must carry.
	path func(e *env, i int) string
	// check asserts the effect of call i once all calls are done: failed
	// says whether the call was the one made to fail.
	check func(e *env, i int, failed bool)
}

func openForCall(e *env, i int, name string, flag int) {
	h, err := e.f.OpenFile(name, flag, 0o644)
	require.NoError(e.t, err)
	e.files[i] = h
	e.t.Cleanup(func() { _ = h.Close() })
}

func fileMethods() []method {
	createPath := func(e *env, i int) string { return e.path("c", i) }
	filePath := func(e *env, i int) string { return e.path("f", i) }
	dirPath := func(e *env, i int) string { return e.path("d", i) }
	baseFile := func(e *env, i int) { writeFile(e.t, e.base, e.path("f", i), "hello") }
	writable := func(e *env, i int) { openForCall(e, i, e.path("f", i), os.O_CREATE|os.O_RDWR) }
	dirWithEntry := func(e *env, i int) {
		writeFile(e.t, e.base, join(e.path("d", i), "entry"), "x")
		openForCall(e, i, e.path("d", i), os.O_RDONLY)
	}
	contentIs := func(want string) func(e *env, i int, failed bool) {
		return func(e *env, i int, failed bool) {
			got := readFile(e.t, e.base, e.path("f", i))
			if failed {
				assert.Empty(e.t, got, "failed write stored bytes")
			} else {
				assert.Equal(e.t, want, got)
			}
		}
	}
	createdIff := func(e *env, i int, failed bool) {
		assert.Equal(e.t, !failed, exists(e.t, e.base, e.path("c", i)), "file created")
	}
	removedIff := func(name func(e *env, i int) string) func(e *env, i int, failed bool) {
		return func(e *env, i int, failed bool) {
			assert.Equal(e.t, failed, exists(e.t, e.base, name(e, i)), "entry still there")
		}
	}
	noEffect := func(*env, int, bool) {}

	return []method{
		{name: "Create", op: OpCreate, sysOp: "open", path: createPath, check: createdIff,
			call: func(e *env, i int) error {
				h, err := e.f.Create(e.path("c", i))
				if err != nil {
					assert.True(e.t, h == nil, "failed Create returned a file")
					return err
				}
				return h.Close()
			}},
		{name: "OpenFile_O_CREATE", op: OpCreate, sysOp: "open", path: createPath, check: createdIff,
			call: func(e *env, i int) error {
				h, err := e.f.OpenFile(e.path("c", i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err != nil {
					assert.True(e.t, h == nil, "failed OpenFile returned a file")
					return err
				}
				return h.Close()
			}},
		{name: "Open", op: OpOpen, sysOp: "open", path: filePath, prep: baseFile, check: noEffect,
			call: func(e *env, i int) error {
				h, err := e.f.Open(e.path("f", i))
				if err != nil {
					assert.True(e.t, h == nil, "failed Open returned a file")
					return err
				}
				b := make([]byte, 5)
				_, err = h.Read(b)
				assert.NoError(e.t, err)
				assert.Equal(e.t, "hello", string(b))
				return h.Close()
			}},
		{name: "OpenFile_O_TRUNC", op: OpOpen, sysOp: "open", path: filePath, prep: baseFile,
			call: func(e *env, i int) error {
				h, err := e.f.OpenFile(e.path("f", i), os.O_WRONLY|os.O_TRUNC, 0)
				if err != nil {
					return err
				}
				return h.Close()
			},
			check: func(e *env, i int, failed bool) {
				want := ""
				if failed {
					want = "hello"
				}
				assert.Equal(e.t, want, readFile(e.t, e.base, e.path("f", i)))
			}},
		{name: "Write", op: OpWrite, sysOp: "write", path: filePath, prep: writable, check: contentIs("xyz"),
			call: func(e *env, i int) error {
				n, err := e.files[i].Write([]byte("xyz"))
				if err != nil {
					assert.Zero(e.t, n)
				}
				return err
			}},
		{name: "WriteAt", op: OpWrite, sysOp: "write", path: filePath, prep: writable, check: contentIs("xyz"),
			call: func(e *env, i int) error {
				n, err := e.files[i].WriteAt([]byte("xyz"), 0)
				if err != nil {
					assert.Zero(e.t, n)
				}
				return err
			}},
		{name: "WriteString", op: OpWrite, sysOp: "write", path: filePath, prep: writable, check: contentIs("xyz"),
			call: func(e *env, i int) error {
				n, err := e.files[i].WriteString("xyz")
				if err != nil {
					assert.Zero(e.t, n)
				}
				return err
			}},
		{name: "Truncate", op: OpWrite, sysOp: "truncate", path: filePath,
			prep: func(e *env, i int) { baseFile(e, i); openForCall(e, i, e.path("f", i), os.O_RDWR) },
			call: func(e *env, i int) error { return e.files[i].Truncate(2) },
			check: func(e *env, i int, failed bool) {
				want := "he"
				if failed {
					want = "hello"
				}
				assert.Equal(e.t, want, readFile(e.t, e.base, e.path("f", i)))
			}},
		{name: "Sync", op: OpSync, sysOp: "sync", path: filePath, prep: writable, check: noEffect,
			call: func(e *env, i int) error { return e.files[i].Sync() }},
		{name: "Close", op: OpClose, sysOp: "close", path: filePath, prep: writable,
			call: func(e *env, i int) error { return e.files[i].Close() },
			check: func(e *env, i int, failed bool) {
				// Closed whether or not Close reported a failure.
				_, err := e.files[i].Write([]byte("late"))
				assert.Error(e.t, err, "file still open after Close")
				assert.False(e.t, IsInjected(err))
			}},
		{name: "Rename", op: OpRename, path: filePath, prep: baseFile,
			call: func(e *env, i int) error { return e.f.Rename(e.path("f", i), e.path("g", i)) },
			check: func(e *env, i int, failed bool) {
				assert.Equal(e.t, failed, exists(e.t, e.base, e.path("f", i)), "source there")
				assert.Equal(e.t, !failed, exists(e.t, e.base, e.path("g", i)), "target there")
			}},
		{name: "Remove", op: OpRemove, sysOp: "remove", path: filePath, prep: baseFile, check: removedIff(filePath),
			call: func(e *env, i int) error { return e.f.Remove(e.path("f", i)) }},
		{name: "RemoveAll", op: OpRemove, sysOp: "remove", path: dirPath, check: removedIff(dirPath),
			prep: func(e *env, i int) { writeFile(e.t, e.base, join(e.path("d", i), "sub/file"), "x") },
			call: func(e *env, i int) error { return e.f.RemoveAll(e.path("d", i)) }},
		{name: "Mkdir", op: OpMkdir, sysOp: "mkdir", path: dirPath,
			call: func(e *env, i int) error { return e.f.Mkdir(e.path("d", i), 0o755) },
			check: func(e *env, i int, failed bool) {
				assert.Equal(e.t, !failed, exists(e.t, e.base, e.path("d", i)), "directory made")
			}},
		{name: "MkdirAll", op: OpMkdir, sysOp: "mkdir",
			path: func(e *env, i int) string { return join(e.path("d", i), "a/b") },
			call: func(e *env, i int) error { return e.f.MkdirAll(join(e.path("d", i), "a/b"), 0o755) },
			check: func(e *env, i int, failed bool) {
				// Not even the first missing parent may exist after a failure.
				assert.Equal(e.t, !failed, exists(e.t, e.base, e.path("d", i)), "parent made")
				assert.Equal(e.t, !failed, exists(e.t, e.base, join(e.path("d", i), "a/b")), "directory made")
			}},
		{name: "Chmod", op: OpChmod, sysOp: "chmod", path: filePath,
			prep: func(e *env, i int) { baseFile(e, i); require.NoError(e.t, e.base.Chmod(e.path("f", i), 0o644)) },
			call: func(e *env, i int) error { return e.f.Chmod(e.path("f", i), 0o600) },
			check: func(e *env, i int, failed bool) {
				fi, err := e.base.Stat(e.path("f", i))
				require.NoError(e.t, err)
				want := os.FileMode(0o600)
				if failed {
					want = 0o644
				}
				assert.Equal(e.t, want, fi.Mode().Perm())
			}},
		{name: "Chown", op: OpChmod, sysOp: "chown", path: filePath, prep: baseFile, check: noEffect,
			call: func(e *env, i int) error { return e.f.Chown(e.path("f", i), os.Getuid(), os.Getgid()) }},
		{name: "Chtimes", op: OpChmod, sysOp: "chtimes", path: filePath, prep: baseFile,
			call: func(e *env, i int) error { return e.f.Chtimes(e.path("f", i), testTime, testTime) },
			check: func(e *env, i int, failed bool) {
				fi, err := e.base.Stat(e.path("f", i))
				require.NoError(e.t, err)
				assert.Equal(e.t, !failed, fi.ModTime().Equal(testTime), "mtime set")
			}},
		{name: "Stat", op: OpStat, sysOp: "stat", path: filePath, prep: baseFile, check: noEffect,
			call: func(e *env, i int) error {
				fi, err := e.f.Stat(e.path("f", i))
				if err != nil {
					assert.Nil(e.t, fi)
					return err
				}
				assert.Equal(e.t, int64(5), fi.Size())
				return nil
			}},
		{name: "LstatIfPossible", op: OpStat, sysOp: "lstat", path: filePath, prep: baseFile, check: noEffect,
			call: func(e *env, i int) error {
				fi, _, err := e.f.LstatIfPossible(e.path("f", i))
				if err != nil {
					assert.Nil(e.t, fi)
					return err
				}
				assert.Equal(e.t, int64(5), fi.Size())
				return nil
			}},
		{name: "Readdir", op: OpReadDir, sysOp: "readdirent", path: dirPath, prep: dirWithEntry, check: noEffect,
			call: func(e *env, i int) error {
				fis, err := e.files[i].Readdir(-1)
				if err == nil {
					assert.Len(e.t, fis, 1)
				}
				return err
			}},
		{name: "Readdirnames", op: OpReadDir, sysOp: "readdirent", path: dirPath, prep: dirWithEntry, check: noEffect,
			call: func(e *env, i int) error {
				names, err := e.files[i].Readdirnames(-1)
				if err == nil {
					assert.Equal(e.t, []string{"entry"}, names)
				}
				return err
			}},
		{name: "ReadDir", op: OpReadDir, sysOp: "readdirent", path: dirPath, prep: dirWithEntry, check: noEffect,
			call: func(e *env, i int) error {
				des, err := e.files[i].(fs.ReadDirFile).ReadDir(-1)
				if err == nil && assert.Len(e.t, des, 1) {
					assert.Equal(e.t, "entry", des[0].Name())
				}
				return err
			}},
	}
}

// TestFailAt makes the third of five calls fail, for every way of calling
// every Op, and checks the error and that only that call lost its effect.
func TestFailAt(t *testing.T) {
	const calls, k = 5, 3
	cause := syscall.EIO

	methods := fileMethods()
	covered := map[Op]bool{}
	for _, m := range methods {
		covered[m.op] = true
	}
	for _, op := range AllOps() {
		assert.True(t, covered[op], "no FailAt case for %v", op)
	}

	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		for _, m := range methods {
			t.Run(m.name, func(t *testing.T) {
				e := &env{t: t, base: base, f: New(base), files: map[int]afero.File{}}
				e.root = join(root, m.name)
				require.NoError(t, base.MkdirAll(e.root, 0o755))
				for i := 1; i <= calls; i++ {
					if m.prep != nil {
						m.prep(e, i)
					}
				}

				e.f.FailAt(m.op, k, cause)
				before := e.f.Counts()[m.op]
				for i := 1; i <= calls; i++ {
					err := m.call(e, i)
					if i != k {
						assert.NoError(t, err, "call %d", i)
						continue
					}
					require.Error(t, err, "call %d should have failed", i)
					if m.sysOp == "" {
						var le *os.LinkError
						if assert.ErrorAs(t, err, &le) {
							assert.Equal(t, "rename", le.Op)
							assert.Equal(t, e.path("f", i), le.Old)
							assert.Equal(t, e.path("g", i), le.New)
							assert.Equal(t, error(cause), le.Err)
						}
						assert.ErrorIs(t, err, cause)
						assert.True(t, IsInjected(err))
					} else {
						assertInjected(t, err, m.sysOp, m.path(e, i), cause)
					}
				}
				for i := 1; i <= calls; i++ {
					m.check(e, i, i == k)
				}
				assert.Equal(t, before+calls, e.f.Counts()[m.op])
				assert.Equal(t, 1, e.f.Injected())
			})
		}
	})
}

func TestFailAtCountsFromNow(t *testing.T) {
	f := New(afero.NewMemMapFs())
	for range 4 {
		_, err := f.Stat("/")
		require.NoError(t, err)
	}
	f.FailAt(OpStat, 1, syscall.EIO)
	_, err := f.Stat("/")
	assertInjected(t, err, "stat", "/", syscall.EIO)
	_, err = f.Stat("/")
	assert.NoError(t, err)
	assert.Equal(t, 6, f.Counts()[OpStat])
}

func TestFailAtSeveralRules(t *testing.T) {
	f := New(afero.NewMemMapFs())
	f.FailAt(OpStat, 1, syscall.EIO)
	f.FailAt(OpStat, 3, syscall.ENOENT)
	f.FailAt(OpMkdir, 2, syscall.ENOSPC)
	f.FailAt(OpStat, 5, syscall.EIO)
	f.FailAt(OpStat, 5, syscall.EACCES) // same call: the first rule wins

	var stats []error
	for range 7 {
		_, err := f.Stat("/")
		stats = append(stats, err)
	}
	assertInjected(t, stats[0], "stat", "/", syscall.EIO)
	assert.NoError(t, stats[1])
	assertInjected(t, stats[2], "stat", "/", syscall.ENOENT)
	assert.True(t, os.IsNotExist(stats[2]), "os.IsNotExist must see an injected ENOENT")
	assert.NoError(t, stats[3])
	assertInjected(t, stats[4], "stat", "/", syscall.EIO)
	assert.NoError(t, stats[5], "the second rule on the same call must be spent too")
	assert.NoError(t, stats[6])

	assert.NoError(t, f.Mkdir("/a", 0o755))
	assertInjected(t, f.Mkdir("/b", 0o755), "mkdir", "/b", syscall.ENOSPC)
	assert.NoError(t, f.Mkdir("/c", 0o755))
	assert.Equal(t, 4, f.Injected())
}

func TestFailAtCustomError(t *testing.T) {
	boom := fmt.Errorf("boom")
	f := New(afero.NewMemMapFs())
	f.FailAt(OpCreate, 1, boom)
	_, err := f.Create("/x")
	assertInjected(t, err, "open", "/x", boom)
}

func TestFailAtPanics(t *testing.T) {
	f := New(afero.NewMemMapFs())
	assert.Panics(t, func() { f.FailAt(OpStat, 0, syscall.EIO) })
	assert.Panics(t, func() { f.FailAt(OpStat, -1, syscall.EIO) })
	assert.Panics(t, func() { f.FailAt(OpStat, 1, nil) })
	assert.Panics(t, func() { f.FailAt(Op(42), 1, syscall.EIO) })
	_, err := f.Stat("/")
	assert.NoError(t, err, "a rejected FailAt must arm nothing")
}

func TestFailedCloseReleasesDescriptor(t *testing.T) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	before := len(fds)
	f := New(afero.NewOsFs())
	dir := t.TempDir()
	for i := range 50 {
		f.FailAt(OpClose, 1, syscall.EIO)
		h, err := f.Create(join(dir, fmt.Sprint(i)))
		require.NoError(t, err)
		assertInjected(t, h.Close(), "close", join(dir, fmt.Sprint(i)), syscall.EIO)
	}
	fds, err = os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	assert.LessOrEqual(t, len(fds), before, "failed Close leaked descriptors")
}

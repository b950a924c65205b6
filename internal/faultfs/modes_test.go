package faultfs

import (
	"bytes"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailWritesAfter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		p1, p2 := join(root, "one"), join(root, "two")
		h1, err := f.Create(p1)
		require.NoError(t, err)
		defer h1.Close()
		h2, err := f.Create(p2)
		require.NoError(t, err)
		defer h2.Close()

		f.FailWritesAfter(10, syscall.ENOSPC)
		n, err := h1.Write([]byte("aaaa"))
		assert.Equal(t, 4, n)
		assert.NoError(t, err)
		n, err = h2.WriteString("bbbb")
		assert.Equal(t, 4, n)
		assert.NoError(t, err)

		// The write that crosses the limit stores what fits.
		n, err = h1.Write([]byte("cccc"))
		assert.Equal(t, 2, n)
		assertInjected(t, err, "write", p1, syscall.ENOSPC)

		// Then nothing fits, whichever way one writes.
		n, err = h2.Write([]byte("d"))
		assert.Zero(t, n)
		assertInjected(t, err, "write", p2, syscall.ENOSPC)
		n, err = h2.WriteString("dd")
		assert.Zero(t, n)
		assertInjected(t, err, "write", p2, syscall.ENOSPC)
		n, err = h2.WriteAt([]byte("ddd"), 0)
		assert.Zero(t, n)
		assertInjected(t, err, "write", p2, syscall.ENOSPC)

		// Empty writes and Truncate are not refused.
		n, err = h2.Write(nil)
		assert.Zero(t, n)
		assert.NoError(t, err)
		assert.NoError(t, h2.Truncate(4))

		assert.Equal(t, "aaaacc", readFile(t, base, p1))
		assert.Equal(t, "bbbb", readFile(t, base, p2))
		assert.Equal(t, 4, f.Injected())
		assert.Equal(t, 8, f.Counts()[OpWrite], "Write, WriteString, WriteAt and Truncate all count")
	})
}

func TestFailWritesAfterExactFill(t *testing.T) {
	f := New(afero.NewMemMapFs())
	h, err := f.Create("/x")
	require.NoError(t, err)
	f.FailWritesAfter(4, syscall.ENOSPC)
	n, err := h.Write([]byte("full"))
	assert.Equal(t, 4, n)
	assert.NoError(t, err, "a write that exactly fills the limit succeeds")
	n, err = h.Write([]byte("!"))
	assert.Zero(t, n)
	assertInjected(t, err, "write", "/x", syscall.ENOSPC)
	assert.Equal(t, "full", readFile(t, f.Base(), "/x"))
}

func TestFailWritesAfterCopy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		p := join(root, "big")
		data := bytes.Repeat([]byte("0123456789"), 500)
		h, err := f.Create(p)
		require.NoError(t, err)
		f.FailWritesAfter(1234, syscall.ENOSPC)
		n, err := io.Copy(h, bytes.NewReader(data))
		assert.Equal(t, int64(1234), n)
		assert.ErrorIs(t, err, syscall.ENOSPC)
		assert.True(t, IsInjected(err))
		require.NoError(t, h.Close())
		assert.Equal(t, string(data[:1234]), readFile(t, base, p))
	})
}

func TestFailWritesAfterIgnoresRefusedBytes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		p := join(root, "x")
		writeFile(t, base, p, "")
		ro, err := f.Open(p)
		require.NoError(t, err)
		defer ro.Close()
		rw, err := f.OpenFile(p, os.O_WRONLY, 0)
		require.NoError(t, err)
		defer rw.Close()

		f.FailWritesAfter(3, syscall.ENOSPC)
		_, err = ro.Write([]byte("abcdef"))
		require.Error(t, err, "the base must refuse a write to a read-only handle")
		assert.False(t, IsInjected(err))
		n, err := rw.Write([]byte("abcdef"))
		assert.Equal(t, 3, n, "bytes the base refused must not use up the limit")
		assertInjected(t, err, "write", p, syscall.ENOSPC)
		assert.Equal(t, 1, f.Injected())
	})
}

func TestFailWritesAfterReplacedAndPanics(t *testing.T) {
	f := New(afero.NewMemMapFs())
	h, err := f.Create("/x")
	require.NoError(t, err)
	f.FailWritesAfter(0, syscall.ENOSPC)
	_, err = h.Write([]byte("a"))
	assertInjected(t, err, "write", "/x", syscall.ENOSPC)
	f.FailWritesAfter(2, syscall.EDQUOT)
	n, err := h.Write([]byte("abc"))
	assert.Equal(t, 2, n)
	assertInjected(t, err, "write", "/x", syscall.EDQUOT)

	assert.Panics(t, func() { f.FailWritesAfter(-1, syscall.ENOSPC) })
	assert.Panics(t, func() { f.FailWritesAfter(5, nil) })
}

func TestFailAtBeatsWriteLimit(t *testing.T) {
	f := New(afero.NewMemMapFs())
	h, err := f.Create("/x")
	require.NoError(t, err)
	f.FailWritesAfter(3, syscall.ENOSPC)
	f.FailAt(OpWrite, 1, syscall.EIO)
	_, err = h.Write([]byte("abc"))
	assertInjected(t, err, "write", "/x", syscall.EIO)
	n, err := h.Write([]byte("abc"))
	assert.Equal(t, 3, n, "the write picked by FailAt must not use up the limit")
	assert.NoError(t, err)
}

// blockingFs is a base whose files' Write waits for release and then
// fails having stored nothing.
type blockingFs struct {
	afero.Fs
	entered, release chan struct{}
}

type blockingFile struct {
	afero.File
	fs *blockingFs
}

func (b *blockingFs) Create(name string) (afero.File, error) {
	h, err := b.Fs.Create(name)
	if err != nil {
		return nil, err
	}
	return &blockingFile{File: h, fs: b}, nil
}

func (b *blockingFile) Write([]byte) (int, error) {
	b.fs.entered <- struct{}{}
	<-b.fs.release
	return 0, syscall.EIO
}

// TestRefundAfterNewLimit checks that bytes reserved under one limit and
// then not written are not handed to a limit set meanwhile.
func TestRefundAfterNewLimit(t *testing.T) {
	base := &blockingFs{Fs: afero.NewMemMapFs(), entered: make(chan struct{}), release: make(chan struct{})}
	f := New(base)
	slow, err := f.Create("/slow")
	require.NoError(t, err)
	fast, err := f.OpenFile("/fast", os.O_CREATE|os.O_WRONLY, 0o644) // not wrapped by blockingFs
	require.NoError(t, err)

	f.FailWritesAfter(10, syscall.ENOSPC)
	done := make(chan error)
	go func() {
		_, err := slow.Write(make([]byte, 10))
		done <- err
	}()
	<-base.entered
	f.FailWritesAfter(5, syscall.ENOSPC)
	close(base.release)
	err = <-done
	assert.ErrorIs(t, err, syscall.EIO)
	assert.False(t, IsInjected(err))

	n, err := fast.Write([]byte("123456"))
	assert.Equal(t, 5, n, "refund leaked into the new limit")
	assertInjected(t, err, "write", "/fast", syscall.ENOSPC)
}

func TestSetReadOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		dir, file, other := join(root, "dir"), join(root, "dir/file"), join(root, "other")
		require.NoError(t, base.MkdirAll(dir, 0o755))
		writeFile(t, base, file, "content")
		writeFile(t, base, other, "other")
		w, err := f.OpenFile(other, os.O_RDWR, 0)
		require.NoError(t, err)
		before := snapshot(t, base, root)

		f.SetReadOnly(true)
		refused := map[string]error{}
		try := func(name string, err error) { refused[name] = err }
		open := func(flag int) error {
			h, err := f.OpenFile(file, flag, 0o644)
			if h != nil {
				_ = h.Close()
			}
			return err
		}
		_, err = f.Create(join(root, "new"))
		try("Create", err)
		try("OpenFile O_CREATE", open(os.O_CREATE|os.O_RDONLY))
		try("OpenFile O_WRONLY", open(os.O_WRONLY))
		try("OpenFile O_RDWR", open(os.O_RDWR))
		try("OpenFile O_APPEND", open(os.O_APPEND|os.O_RDONLY))
		try("OpenFile O_TRUNC", open(os.O_TRUNC|os.O_RDONLY))
		_, err = w.Write([]byte("x"))
		try("Write", err)
		_, err = w.WriteAt([]byte("x"), 0)
		try("WriteAt", err)
		_, err = w.WriteString("x")
		try("WriteString", err)
		try("Truncate", w.Truncate(0))
		try("Sync on a writable file", w.Sync())
		try("Rename", f.Rename(file, join(root, "moved")))
		try("Remove", f.Remove(file))
		try("RemoveAll", f.RemoveAll(dir))
		try("RemoveAll missing", f.RemoveAll(join(root, "missing")))
		try("Mkdir", f.Mkdir(join(root, "newdir"), 0o755))
		try("MkdirAll", f.MkdirAll(join(dir, "a/b"), 0o755))
		try("Chmod", f.Chmod(file, 0o600))
		try("Chown", f.Chown(file, os.Getuid(), os.Getgid()))
		try("Chtimes", f.Chtimes(file, testTime, testTime))
		try("SymlinkIfPossible", f.SymlinkIfPossible(file, join(root, "link")))
		for name, err := range refused {
			assert.ErrorIs(t, err, syscall.EROFS, name)
			assert.True(t, IsInjected(err), name)
		}
		var le *os.LinkError
		assert.ErrorAs(t, refused["Rename"], &le)
		assert.ErrorAs(t, refused["SymlinkIfPossible"], &le)
		var pe *os.PathError
		assert.ErrorAs(t, refused["Write"], &pe)
		assert.Equal(t, len(refused), f.Injected())

		// Reads and stats still work.
		r, err := f.Open(file)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		assert.NoError(t, err)
		assert.Equal(t, "content", string(b))
		assert.NoError(t, r.Sync(), "Sync on a file opened for reading")
		assert.NoError(t, r.Close())
		r, err = f.OpenFile(file, os.O_RDONLY, 0)
		require.NoError(t, err)
		assert.NoError(t, r.Close())
		fi, err := f.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, int64(7), fi.Size())
		_, _, err = f.LstatIfPossible(file)
		assert.NoError(t, err)
		d, err := f.Open(dir)
		require.NoError(t, err)
		names, err := d.Readdirnames(-1)
		assert.NoError(t, err)
		assert.Equal(t, []string{"file"}, names)
		assert.NoError(t, d.Sync(), "Sync on a directory opened for reading")
		assert.NoError(t, d.Close())
		buf := make([]byte, 3)
		_, err = w.ReadAt(buf, 0)
		assert.NoError(t, err)
		assert.Equal(t, "oth", string(buf))
		assert.NoError(t, f.MkdirAll(dir, 0o755), "MkdirAll of an existing directory")
		assert.Equal(t, len(refused), f.Injected(), "a read was refused")

		assert.Equal(t, before, snapshot(t, base, root), "read-only mode changed the base")

		// Close is allowed, and switching the mode off allows writes again.
		assert.NoError(t, w.Close())
		f.SetReadOnly(false)
		h, err := f.Create(join(root, "new"))
		require.NoError(t, err)
		_, err = h.Write([]byte("ok"))
		assert.NoError(t, err)
		assert.NoError(t, h.Sync())
		assert.NoError(t, h.Close())
		assert.Equal(t, "ok", readFile(t, base, join(root, "new")))
	})
}

func TestReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		f := New(base)
		p := join(root, "x")
		h, err := f.Create(p)
		require.NoError(t, err)
		defer h.Close()

		f.FailAt(OpStat, 1, syscall.EIO)
		f.FailAt(OpStat, 3, syscall.EIO)
		f.FailAt(OpWrite, 2, syscall.EIO)
		f.FailWritesAfter(0, syscall.ENOSPC)
		_, err = f.Stat(p)
		require.Error(t, err)
		f.SetReadOnly(true)
		require.Error(t, f.Mkdir(join(root, "d"), 0o755))
		require.Equal(t, 2, f.Injected())

		f.Reset()
		assert.Empty(t, f.Counts())
		assert.Zero(t, f.Injected())
		for range 4 {
			_, err = f.Stat(p)
			assert.NoError(t, err, "a rule survived Reset")
		}
		for range 3 {
			_, err = h.Write([]byte("abc"))
			assert.NoError(t, err, "write limit or rule survived Reset")
		}
		assert.NoError(t, f.Mkdir(join(root, "d"), 0o755), "read-only mode survived Reset")
		assert.Zero(t, f.Injected())
		assert.Equal(t, map[Op]int{OpStat: 4, OpWrite: 3, OpMkdir: 1}, f.Counts())
		assert.Equal(t, "abcabcabc", readFile(t, base, p))
	})
}

package faultfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse has many goroutines write files through one FS while
// rules are armed, and checks that every rule fired exactly once and the
// write limit held to the byte. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base afero.Fs, root string) {
		const workers, perWorker, size, limit = 8, 40, 100, 20_000
		f := New(base)
		f.FailAt(OpWrite, 50, syscall.EIO)
		f.FailAt(OpSync, 20, syscall.EIO)
		f.FailAt(OpClose, 30, syscall.EIO)
		f.FailAt(OpRename, 10, syscall.EIO)
		f.FailWritesAfter(limit, syscall.ENOSPC)

		var mu sync.Mutex
		injected, eio, enospc := 0, map[Op]int{}, 0
		failed := func(op Op, err error) bool {
			if err == nil {
				return false
			}
			assert.True(t, IsInjected(err), "%v: %v", op, err)
			mu.Lock()
			defer mu.Unlock()
			injected++
			switch {
			case errors.Is(err, syscall.EIO):
				eio[op]++
			case errors.Is(err, syscall.ENOSPC):
				enospc++
			default:
				t.Errorf("%v: unexpected error %v", op, err)
			}
			return true
		}

		stop := make(chan struct{})
		var observer sync.WaitGroup
		observer.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					_ = f.Counts()
					_ = f.Injected()
					runtime.Gosched()
				}
			}
		})

		data := make([]byte, size)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					tmp := join(root, fmt.Sprintf("tmp-%d-%d", w, i))
					h, err := f.Create(tmp)
					if !assert.NoError(t, err) {
						return
					}
					_, werr := h.Write(data)
					bad := failed(OpWrite, werr)
					bad = failed(OpSync, h.Sync()) || bad
					bad = failed(OpClose, h.Close()) || bad
					if !bad {
						failed(OpRename, f.Rename(tmp, join(root, fmt.Sprintf("final-%d-%d", w, i))))
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		observer.Wait()

		assert.Equal(t, map[Op]int{OpWrite: 1, OpSync: 1, OpClose: 1, OpRename: 1}, eio)
		assert.Positive(t, enospc)
		assert.Equal(t, injected, f.Injected())
		counts := f.Counts()
		for _, op := range []Op{OpCreate, OpWrite, OpSync, OpClose} {
			assert.Equal(t, workers*perWorker, counts[op], "%v", op)
		}

		var stored int64
		entries, err := afero.ReadDir(base, root)
		require.NoError(t, err)
		for _, fi := range entries {
			stored += fi.Size()
		}
		assert.Equal(t, int64(limit), stored, "bytes stored under the write limit")
	})
}

// TestConcurrentReadOnlyToggle switches read-only mode on and off while
// goroutines write, and checks that every failure is a counted EROFS.
func TestConcurrentReadOnlyToggle(t *testing.T) {
	f := New(afero.NewMemMapFs())
	var mu sync.Mutex
	refused := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			f.SetReadOnly(i%2 == 0)
			runtime.Gosched()
		}
	})
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				note := func(err error) {
					if err == nil {
						return
					}
					assert.ErrorIs(t, err, syscall.EROFS)
					assert.True(t, IsInjected(err))
					mu.Lock()
					refused++
					mu.Unlock()
				}
				h, err := f.Create(fmt.Sprintf("/f-%d-%d", w, i))
				note(err)
				if err != nil {
					continue
				}
				_, err = h.Write([]byte("x"))
				note(err)
				note(h.Sync())
				assert.NoError(t, h.Close())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, refused, f.Injected())
}

// hiddenFs hides every method of its base but those of afero.Fs.
type hiddenFs struct{ afero.Fs }

func TestLstatAndSymlinks(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		dir := t.TempDir()
		f := New(afero.NewOsFs())
		target, link := join(dir, "target"), join(dir, "link")
		writeFile(t, f.Base(), target, "x")
		require.NoError(t, f.SymlinkIfPossible(target, link))
		fi, used, err := f.LstatIfPossible(link)
		require.NoError(t, err)
		assert.True(t, used)
		assert.NotZero(t, fi.Mode()&os.ModeSymlink)
		got, err := f.ReadlinkIfPossible(link)
		require.NoError(t, err)
		assert.Equal(t, target, got)
		assert.Equal(t, map[Op]int{OpStat: 1}, f.Counts())

		f.FailAt(OpStat, 1, syscall.EIO)
		fi, used, err = f.LstatIfPossible(link)
		assertInjected(t, err, "lstat", link, syscall.EIO)
		assert.Nil(t, fi)
		assert.True(t, used)
	})
	t.Run("mem", func(t *testing.T) {
		f := New(afero.NewMemMapFs())
		writeFile(t, f.Base(), "/target", "x")
		fi, used, err := f.LstatIfPossible("/target")
		require.NoError(t, err)
		assert.False(t, used, "MemMapFs reports that it did not lstat")
		assert.Equal(t, int64(1), fi.Size())

		err = f.SymlinkIfPossible("/target", "/link")
		var le *os.LinkError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "symlink", le.Op)
		assert.ErrorIs(t, err, afero.ErrNoSymlink)
		assert.False(t, IsInjected(err))
		_, err = f.ReadlinkIfPossible("/target")
		assert.ErrorIs(t, err, afero.ErrNoReadlink)
		assert.False(t, IsInjected(err))
	})
	t.Run("no Lstater", func(t *testing.T) {
		base := afero.NewMemMapFs()
		writeFile(t, base, "/target", "xy")
		f := New(hiddenFs{base})
		fi, used, err := f.LstatIfPossible("/target")
		require.NoError(t, err)
		assert.False(t, used)
		assert.Equal(t, int64(2), fi.Size())
		f.FailAt(OpStat, 1, syscall.EIO)
		_, used, err = f.LstatIfPossible("/target")
		assertInjected(t, err, "lstat", "/target", syscall.EIO)
		assert.False(t, used)
		assert.Equal(t, map[Op]int{OpStat: 2}, f.Counts())
	})
}

func TestRealPath(t *testing.T) {
	dir := t.TempDir()

	got, err := New(afero.NewOsFs()).RealPath("/some/where")
	require.NoError(t, err)
	assert.Equal(t, "/some/where", got)

	bp := New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	writeFile(t, bp, "/file", "through the fs")
	bp.Reset()
	got, err = bp.RealPath("/a/b")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "a/b"), got)

	// The real path names the file the FS wrote.
	rp, err := bp.RealPath("/file")
	require.NoError(t, err)
	b, err := os.ReadFile(rp)
	require.NoError(t, err)
	assert.Equal(t, "through the fs", string(b))

	got, err = New(bp).RealPath("/a")
	require.NoError(t, err, "an FS over an FS asks the inner one")
	assert.Equal(t, filepath.Join(dir, "a"), got)

	_, err = New(afero.NewMemMapFs()).RealPath("/a")
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "realpath", pe.Op)
	assert.ErrorIs(t, err, ErrNoRealPath)
	assert.False(t, IsInjected(err))

	assert.Empty(t, bp.Counts(), "RealPath must not count as a call")
}

func TestIsInjected(t *testing.T) {
	f := New(afero.NewMemMapFs())
	assert.False(t, IsInjected(nil))

	_, real := f.Stat("/missing")
	require.Error(t, real)
	assert.False(t, IsInjected(real), "a failure of the base")

	f.FailAt(OpStat, 1, syscall.ENOENT)
	_, err := f.Stat("/missing")
	require.Error(t, err)
	assert.True(t, IsInjected(err))
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, error(syscall.ENOENT), pe.Err, "Err must be the cause itself")
	assert.True(t, os.IsNotExist(err))

	lookalike := &os.PathError{Op: "stat", Path: "/missing", Err: syscall.ENOENT}
	assert.Equal(t, pe, lookalike)
	assert.False(t, IsInjected(lookalike), "an equal error the FS did not return")
	clone := *pe
	assert.False(t, IsInjected(&clone), "a copy of the value")

	wrapped := fmt.Errorf("store: %w", err)
	assert.True(t, IsInjected(wrapped))
	assert.True(t, IsInjected(errors.Join(errors.New("other"), wrapped)))
	assert.False(t, IsInjected(errors.Join(errors.New("other"), real)))
	assert.True(t, IsInjected(&os.PathError{Op: "outer", Path: "/x", Err: err}), "injected error inside another PathError")

	f.FailAt(OpRename, 1, syscall.EXDEV)
	err = f.Rename("/a", "/b")
	assert.True(t, IsInjected(err))
	assert.True(t, IsInjected(fmt.Errorf("x: %w", err)))
	assert.False(t, IsInjected(&os.LinkError{Op: "rename", Old: "/a", New: "/b", Err: syscall.EXDEV}))
}

func rememberedCount() int {
	n := 0
	injectedErrs.Range(func(any, any) bool { n++; return true })
	return n
}

// TestInjectedErrorsAreForgotten checks that IsInjected's record of an
// error goes once the error is garbage, and stays while it is not.
func TestInjectedErrorsAreForgotten(t *testing.T) {
	runtime.GC()
	before := rememberedCount()
	f := New(afero.NewMemMapFs())
	f.FailAt(OpStat, 1, syscall.EIO)
	_, kept := f.Stat("/")
	for range 1000 {
		f.FailAt(OpStat, 1, syscall.EIO)
		_, err := f.Stat("/")
		require.Error(t, err)
	}
	require.Greater(t, rememberedCount(), before)

	deadline := time.Now().Add(10 * time.Second)
	for rememberedCount() > before+1 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, rememberedCount(), before+1, "records of collected errors remain")
	assert.True(t, IsInjected(kept), "the record of a live error was dropped")
	runtime.KeepAlive(kept)
}

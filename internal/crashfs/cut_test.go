package crashfs

import (
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpsAndSyncsCountEveryChangeAndFlush(t *testing.T) {
	f := New()
	step := func(wantOps, wantSyncs int, what string) {
		t.Helper()
		assert.Equal(t, wantOps, f.Ops(), "Ops after %s", what)
		assert.Equal(t, wantSyncs, f.Syncs(), "Syncs after %s", what)
	}
	require.NoError(t, f.Mkdir("/d", 0o755))
	step(1, 0, "Mkdir")
	h, err := f.Create("/d/f")
	require.NoError(t, err)
	step(2, 0, "Create")
	_, err = h.Write([]byte("abc"))
	require.NoError(t, err)
	_, err = h.WriteString("def")
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("x"), 0)
	require.NoError(t, err)
	require.NoError(t, h.Truncate(2))
	step(6, 0, "Write, WriteString, WriteAt, Truncate")
	require.NoError(t, h.Sync())
	step(6, 1, "Sync")
	_, err = h.ReadAt(make([]byte, 2), 0)
	require.NoError(t, err)
	_, err = f.Stat("/d/f")
	require.NoError(t, err)
	g, err := f.OpenFile("/d/f", os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	require.NoError(t, g.Close())
	assert.Error(t, f.Remove("/nothing"))
	step(6, 1, "reads, opening an existing file without O_TRUNC, a failed Remove")
	require.NoError(t, h.Close())
	require.NoError(t, f.Rename("/d/f", "/d/g"))
	require.NoError(t, f.Chmod("/d/g", 0o600))
	require.NoError(t, f.Chown("/d/g", 1, 1))
	require.NoError(t, f.Chtimes("/d/g", time.Now(), time.Now()))
	step(10, 1, "Rename, Chmod, Chown, Chtimes")
	require.NoError(t, f.MkdirAll("/d/x/y/z", 0o755))
	step(13, 1, "MkdirAll of three")
	require.NoError(t, f.RemoveAll("/d/x"))
	step(16, 1, "RemoveAll of three")
	require.NoError(t, f.SyncAll())
	syncDir(t, f, "/d")
	step(16, 3, "SyncAll and a directory Sync")
	require.NoError(t, f.Remove("/d/g"))
	step(17, 3, "Remove")
	f.Crash(Random(1))
	step(17, 3, "Crash")
}

func TestCutAfterOpsFreezesAfterTheNthChange(t *testing.T) {
	const files = 6
	for n := range files + 1 {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := New()
			f.CutAfterOps(n)
			var err error
			done := 0
			for i := range files {
				var h interface{ Close() error }
				if h, err = f.Create(fmt.Sprintf("/f%d", i)); err != nil {
					break
				}
				h.Close()
				done++
			}
			assert.Equal(t, n, done, "calls that completed")
			if n < files {
				assert.ErrorIs(t, err, ErrPowerCut)
			}
			assert.True(t, f.Frozen(), "frozen once the n-th change completed")
			_, err = f.Stat("/")
			assert.ErrorIs(t, err, ErrPowerCut, "reads fail too once frozen")
			assert.Equal(t, n, f.Ops())

			f.Crash(KeepEverything())
			assert.False(t, f.Frozen())
			for i := range files {
				_, err := f.Stat(fmt.Sprintf("/f%d", i))
				assert.Equal(t, i < n, err == nil, "file %d", i)
			}
			put(t, f, "/after", "x", false) // no cut is armed any more
		})
	}
}

func TestCutAfterOpsStopsMkdirAllHalfWay(t *testing.T) {
	f := New()
	f.CutAfterOps(1)
	err := f.MkdirAll("/p/q/r", 0o755)
	assert.ErrorIs(t, err, ErrPowerCut)
	f.Crash(KeepEverything())
	_, err = f.Stat("/p")
	assert.NoError(t, err)
	_, err = f.Stat("/p/q")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestCutAfterSyncsLetsTheNthFlushTakeEffect(t *testing.T) {
	// Each file costs two flushes: the file, then the directory.
	const files = 4
	for n := 1; n <= 2*files; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := New()
			f.CutAfterSyncs(n)
			for i := range files {
				h, err := f.Create(fmt.Sprintf("/f%d", i))
				if err != nil {
					break
				}
				h.Write([]byte("data"))
				if h.Sync() != nil || fsyncDir(f, "/") != nil {
					break
				}
			}
			assert.True(t, f.Frozen())
			assert.Equal(t, n, f.Syncs())
			f.Crash(KeepNothing())
			for i := range files {
				want := missing
				if 2*(i+1) <= n {
					want = "data"
				}
				assert.Equal(t, want, content(t, f, fmt.Sprintf("/f%d", i)), "file %d", i)
			}
		})
	}
}

func TestPowerCutFailsEveryCall(t *testing.T) {
	f := New()
	require.NoError(t, f.Mkdir("/d", 0o755))
	h, err := f.Create("/d/f")
	require.NoError(t, err)
	d, err := f.Open("/d")
	require.NoError(t, err)
	f.PowerCut()
	before := f.Ops()

	calls := map[string]error{}
	_, calls["Write"] = h.Write([]byte("x"))
	_, calls["Read"] = h.Read(make([]byte, 1))
	_, calls["Seek"] = h.Seek(0, 0)
	_, calls["Stat"] = h.Stat()
	calls["Truncate"] = h.Truncate(0)
	calls["Sync"] = h.Sync()
	calls["Close"] = h.Close()
	_, calls["Readdir"] = d.Readdir(-1)
	calls["dir Sync"] = d.Sync()
	_, calls["Create"] = f.Create("/d/g")
	_, calls["Open"] = f.Open("/d")
	_, calls["FS.Stat"] = f.Stat("/d")
	_, _, calls["LstatIfPossible"] = f.LstatIfPossible("/d")
	calls["Mkdir"] = f.Mkdir("/e", 0o755)
	calls["MkdirAll"] = f.MkdirAll("/e/f", 0o755)
	calls["Remove"] = f.Remove("/d/f")
	calls["RemoveAll"] = f.RemoveAll("/d")
	calls["Rename"] = f.Rename("/d/f", "/d/g")
	calls["Chmod"] = f.Chmod("/d", 0o700)
	calls["Chown"] = f.Chown("/d", 0, 0)
	calls["Chtimes"] = f.Chtimes("/d", time.Now(), time.Now())
	calls["SyncAll"] = f.SyncAll()
	for name, err := range calls {
		assert.ErrorIs(t, err, ErrPowerCut, name)
	}
	assert.Equal(t, before, f.Ops())

	f.Crash(KeepEverything())
	_, err = f.Stat("/d/f")
	assert.NoError(t, err, "nothing was removed while frozen")
	_, err = h.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrPowerCut, "a handle from before the crash stays dead")
}

func TestCutArgumentsMustNotBeNegative(t *testing.T) {
	assert.Panics(t, func() { New().CutAfterOps(-1) })
	assert.Panics(t, func() { New().CutAfterSyncs(-1) })
	assert.Panics(t, func() { New(WithTornWrites(0)) })
}

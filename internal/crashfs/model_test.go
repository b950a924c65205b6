package crashfs

import (
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outcomes runs scenario on a fresh FS under each policy, crashes it and returns what
// observe reports after each crash, per policy, and the set of distinct reports.
func outcomes(t *testing.T, n int, scenario func(f *FS), observe func(f *FS) string) (map[string]string, map[string]bool) {
	t.Helper()
	per, seen := map[string]string{}, map[string]bool{}
	for _, p := range policies(n) {
		f := New()
		scenario(f)
		f.Crash(p)
		got := observe(f)
		per[p.String()] = got
		seen[got] = true
	}
	return per, seen
}

func keys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

func TestFlushedFileAndNameSurviveEveryPolicy(t *testing.T) {
	scenario := func(f *FS) {
		require.NoError(t, f.MkdirAll("/a/b", 0o755))
		syncDir(t, f, "/")
		syncDir(t, f, "/a")
		put(t, f, "/a/b/f", "promised", true)
		syncDir(t, f, "/a/b")
		// Undurable changes around it, which must not take it down.
		put(t, f, "/a/b/g", "noise", false)
		put(t, f, "/a/h", "noise", true)
	}
	per, _ := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/a/b/f") })
	for p, got := range per {
		assert.Equal(t, "promised", got, p)
	}
}

func TestNewFileVanishesWithoutDirectoryFlush(t *testing.T) {
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/d", 0o755))
		require.NoError(t, f.SyncAll())
		put(t, f, "/d/f", "data", true) // the data is durable, the name is not
	}
	per, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/d/f") })
	assert.Equal(t, missing, per["keep-nothing"])
	assert.Equal(t, "data", per["keep-everything"])
	assert.ElementsMatch(t, []string{missing, "data"}, keys(seen))
}

func TestNeverFlushedFileComesBackEmptyOrMissing(t *testing.T) {
	scenario := func(f *FS) {
		put(t, f, "/f", "data", false)
		syncDir(t, f, "/") // the name is durable, the data is not
	}
	per, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/f") })
	assert.Equal(t, "", per["keep-nothing"])
	assert.Equal(t, "data", per["keep-everything"])
	assert.ElementsMatch(t, []string{"", "data"}, keys(seen))

	_, seen = outcomes(t, seeds, func(f *FS) { put(t, f, "/f", "data", false) },
		func(f *FS) string { return content(t, f, "/f") })
	assert.ElementsMatch(t, []string{"", missing, "data"}, keys(seen))
}

func TestUnflushedRewriteComesBackOldEmptyOrNew(t *testing.T) {
	scenario := func(f *FS) {
		put(t, f, "/f", "old content", true)
		syncDir(t, f, "/")
		put(t, f, "/f", "new", false) // Create truncates, then writes
	}
	per, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/f") })
	assert.Equal(t, "old content", per["keep-nothing"])
	assert.Equal(t, "new", per["keep-everything"])
	assert.ElementsMatch(t, []string{"", "new", "old content"}, keys(seen), "old, empty or new, and never anything else")
}

func TestUnflushedAppendKeepsFlushedPrefix(t *testing.T) {
	scenario := func(f *FS) {
		put(t, f, "/log", "AAAA", true)
		syncDir(t, f, "/")
		h, err := f.OpenFile("/log", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = h.Write([]byte("BB"))
		require.NoError(t, err)
		require.NoError(t, h.Sync())
		_, err = h.Write([]byte("CC"))
		require.NoError(t, err)
	}
	_, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/log") })
	assert.ElementsMatch(t, []string{"AAAABB", "AAAABBCC"}, keys(seen), "what was flushed is never lost")
}

func TestTruncationSurvivesWithoutLaterData(t *testing.T) {
	scenario := func(f *FS) {
		put(t, f, "/f", "ABCDEFGH", true)
		syncDir(t, f, "/")
		h, err := f.OpenFile("/f", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, h.Truncate(4))
		_, err = h.WriteAt([]byte("xy"), 4)
		require.NoError(t, err)
	}
	_, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/f") })
	assert.ElementsMatch(t, []string{"ABCD", "ABCDEFGH", "ABCDxy"}, keys(seen))
}

func TestAttributesNeedAFlush(t *testing.T) {
	mode := func(f *FS) string {
		fi, err := f.Stat("/f")
		require.NoError(t, err)
		return fi.Mode().String()
	}
	scenario := func(f *FS) {
		put(t, f, "/f", "x", false)
		require.NoError(t, f.Chmod("/f", 0o644))
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Chmod("/f", 0o600))
	}
	per, seen := outcomes(t, seeds, scenario, mode)
	assert.Equal(t, "-rw-r--r--", per["keep-nothing"])
	assert.Equal(t, "-rw-------", per["keep-everything"])
	assert.Len(t, seen, 2)

	per, _ = outcomes(t, 20, func(f *FS) {
		scenario(f)
		h, err := f.Open("/f")
		require.NoError(t, err)
		require.NoError(t, h.Sync())
	}, mode)
	for p, got := range per {
		assert.Equal(t, "-rw-------", got, p)
	}
}

func TestRenameWithinDirectoryRevertsAsAUnit(t *testing.T) {
	observe := func(f *FS) string { return content(t, f, "/d/a") + "|" + content(t, f, "/d/b") }
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/d", 0o755))
		put(t, f, "/d/a", "A", false)
		put(t, f, "/d/b", "B", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/d/a", "/d/b"))
	}
	per, seen := outcomes(t, seeds, scenario, observe)
	assert.Equal(t, "A|B", per["keep-nothing"])
	assert.Equal(t, missing+"|A", per["keep-everything"])
	assert.ElementsMatch(t, []string{"<missing>|A", "A|B"}, keys(seen), "old names or new, never half")

	per, _ = outcomes(t, 20, func(f *FS) { scenario(f); syncDir(t, f, "/d") }, observe)
	for p, got := range per {
		assert.Equal(t, missing+"|A", got, p)
	}
}

func TestRenameAcrossDirectoriesNeverLosesTheFile(t *testing.T) {
	observe := func(f *FS) string { return content(t, f, "/s/a") + "|" + content(t, f, "/t/b") }
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/s", 0o755))
		require.NoError(t, f.Mkdir("/t", 0o755))
		put(t, f, "/s/a", "A", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/s/a", "/t/b"))
	}
	const old, moved, both = "A|" + missing, missing + "|A", "A|A"

	per, seen := outcomes(t, seeds, scenario, observe)
	assert.Equal(t, old, per["keep-nothing"])
	assert.Equal(t, moved, per["keep-everything"])
	assert.ElementsMatch(t, []string{old, moved, both}, keys(seen))

	// With the source flushed the removal is durable, so the new name must survive too.
	_, seen = outcomes(t, seeds, func(f *FS) { scenario(f); syncDir(t, f, "/s") }, observe)
	assert.ElementsMatch(t, []string{moved}, keys(seen))

	// With the target flushed the new name is durable; the old one may linger.
	per, seen = outcomes(t, seeds, func(f *FS) { scenario(f); syncDir(t, f, "/t") }, observe)
	assert.Equal(t, both, per["keep-nothing"])
	assert.ElementsMatch(t, []string{moved, both}, keys(seen))
}

func TestRenameIntoNewDirectoryKeepsTheFileReachable(t *testing.T) {
	// The target directory is new and its parent never flushed; flushing the source makes
	// the removal durable, so the new directory must survive with the file in it.
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/s", 0o755))
		put(t, f, "/s/a", "A", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.MkdirAll("/new/sub", 0o755))
		require.NoError(t, f.Rename("/s/a", "/new/sub/b"))
		syncDir(t, f, "/s")
	}
	per, _ := outcomes(t, seeds, scenario, func(f *FS) string {
		return content(t, f, "/s/a") + "|" + content(t, f, "/new/sub/b")
	})
	for p, got := range per {
		assert.Equal(t, missing+"|A", got, p)
	}

	// Without that flush the new name may go, but then the removal goes with it.
	_, seen := outcomes(t, seeds, func(f *FS) {
		require.NoError(t, f.Mkdir("/s", 0o755))
		put(t, f, "/s/a", "A", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.MkdirAll("/new/sub", 0o755))
		require.NoError(t, f.Rename("/s/a", "/new/sub/b"))
		syncDir(t, f, "/new/sub") // durable entry, in a directory that may vanish
	}, func(f *FS) string { return content(t, f, "/s/a") + "|" + content(t, f, "/new/sub/b") })
	assert.NotContains(t, seen, missing+"|"+missing)
	assert.Contains(t, seen, "A|"+missing)
}

func TestFileMovedOutOfRemovedDirectorySurvives(t *testing.T) {
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/x", 0o755))
		require.NoError(t, f.Mkdir("/y", 0o755))
		put(t, f, "/x/f", "F", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/x/f", "/y/f"))
		require.NoError(t, f.Remove("/x"))
		syncDir(t, f, "/") // the removal of /x is durable, the rename is not
	}
	per, _ := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/y/f") })
	for p, got := range per {
		assert.Equal(t, "F", got, p)
	}
}

func TestRecreatedNameDoesNotOrphanMovedFile(t *testing.T) {
	scenario := func(f *FS) {
		require.NoError(t, f.Mkdir("/s", 0o755))
		require.NoError(t, f.Mkdir("/t", 0o755))
		put(t, f, "/s/a", "A", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/s/a", "/t/b"))
		put(t, f, "/s/a", "new", true)
	}
	_, seen := outcomes(t, seeds, scenario, func(f *FS) string {
		return content(t, f, "/s/a") + "|" + content(t, f, "/t/b")
	})
	for got := range seen {
		assert.Contains(t, got, "A", "the moved file lost both names: %s", got)
	}
	assert.Contains(t, seen, "new|A")
}

func TestDirectoryRenameNeverGivesTwoNames(t *testing.T) {
	observe := func(f *FS) string { return content(t, f, "/s/d/f") + "|" + content(t, f, "/t/d/f") }
	scenario := func(f *FS) {
		require.NoError(t, f.MkdirAll("/s/d", 0o755))
		require.NoError(t, f.Mkdir("/t", 0o755))
		put(t, f, "/s/d/f", "F", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/s/d", "/t/d"))
	}
	_, seen := outcomes(t, seeds, scenario, observe)
	assert.ElementsMatch(t, []string{"<missing>|F", "F|<missing>"}, keys(seen))

	// Even when only the target is flushed, the directory moves as a whole.
	_, seen = outcomes(t, seeds, func(f *FS) { scenario(f); syncDir(t, f, "/t") }, observe)
	assert.ElementsMatch(t, []string{"<missing>|F"}, keys(seen))
}

func TestNewDirectoryVanishesWithItsContent(t *testing.T) {
	scenario := func(f *FS) {
		require.NoError(t, f.MkdirAll("/n/m", 0o755))
		put(t, f, "/n/m/f", "F", true)
		syncDir(t, f, "/n/m")
		syncDir(t, f, "/n") // but never "/"
	}
	per, seen := outcomes(t, seeds, scenario, func(f *FS) string { return content(t, f, "/n/m/f") })
	assert.Equal(t, missing, per["keep-nothing"])
	assert.Equal(t, "F", per["keep-everything"])
	assert.ElementsMatch(t, []string{missing, "F"}, keys(seen))
	f := New()
	scenario(f)
	f.Crash(KeepNothing())
	_, err := f.Stat("/n")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	per, _ = outcomes(t, 20, func(f *FS) { scenario(f); syncDir(t, f, "/") }, func(f *FS) string { return content(t, f, "/n/m/f") })
	for p, got := range per {
		assert.Equal(t, "F", got, p)
	}
}

// workload makes changes of every kind, some flushed, some not.
func workload(t *testing.T, f *FS) {
	require.NoError(t, f.MkdirAll("/a/b/c", 0o750))
	put(t, f, "/a/one", "1", true)
	put(t, f, "/a/b/two", "2", false)
	put(t, f, "/a/b/c/three", "3", false)
	syncDir(t, f, "/a")
	require.NoError(t, f.Rename("/a/one", "/a/b/one"))
	require.NoError(t, f.Mkdir("/gone", 0o755))
	put(t, f, "/gone/x", "x", true)
	require.NoError(t, f.RemoveAll("/gone"))
	put(t, f, "/a/b/two", "two again", false)
	require.NoError(t, f.Chmod("/a/b/c/three", 0o600))
	require.NoError(t, f.Rename("/a/b/c", "/c"))
}

func TestSyncAllMakesEverythingSurvive(t *testing.T) {
	for _, p := range policies(50) {
		f := New()
		workload(t, f)
		require.NoError(t, f.SyncAll())
		want := tree(t, f)
		f.Crash(p)
		assert.Equal(t, want, tree(t, f), p.String())
	}
}

func TestKeepEverythingLosesNothing(t *testing.T) {
	f := New()
	workload(t, f)
	want := tree(t, f)
	f.Crash(KeepEverything())
	assert.Equal(t, want, tree(t, f))
}

func TestKeepNothingRevertsToDurableState(t *testing.T) {
	f := New()
	require.NoError(t, f.Mkdir("/a", 0o755))
	put(t, f, "/a/f", "F", false)
	require.NoError(t, f.SyncAll())
	want := tree(t, f)
	workload(t, f)
	f.Crash(KeepNothing())
	// workload flushed /a after creating "one", so that survives (with its flushed
	// content), and the new directory b in it, empty.
	want["/a/one"] = `"1" -rw-rw-rw-`
	want["/a/b"] = "dir drwxr-x---"
	assert.Equal(t, want, tree(t, f))
}

func TestSameSeedSameState(t *testing.T) {
	for seed := range int64(20) {
		var trees [2]map[string]string
		for i := range trees {
			f := New()
			workload(t, f)
			f.Crash(Random(seed))
			trees[i] = tree(t, f)
		}
		assert.Equal(t, trees[0], trees[1], "seed %d", seed)
	}
}

func TestFSIsUsableAfterCrash(t *testing.T) {
	f := New()
	workload(t, f)
	h, err := f.Open("/a")
	require.NoError(t, err)
	f.Crash(Random(7))
	_, err = h.Readdirnames(-1)
	assert.ErrorIs(t, err, ErrPowerCut, "handles from before the crash are dead")
	assert.ErrorIs(t, h.Close(), ErrPowerCut)

	require.NoError(t, f.MkdirAll("/after/crash", 0o755))
	put(t, f, "/after/crash/f", "ok", true)
	syncDir(t, f, "/after/crash")
	syncDir(t, f, "/after")
	syncDir(t, f, "/")
	f.Crash(KeepNothing())
	assert.Equal(t, "ok", content(t, f, "/after/crash/f"))
}

func TestDirectoryKeepsOneNameWhenMovedIntoAFlushedDirectoryOutOfPlace(t *testing.T) {
	// d is moved into t, and t is flushed, but t's own move is not durable: after a crash t
	// may be back where it was, holding d, while d's old name in the root survives too.
	scenario := func(f *FS) {
		require.NoError(t, f.MkdirAll("/a/t", 0o755))
		require.NoError(t, f.Mkdir("/d", 0o755))
		put(t, f, "/d/f", "F", false)
		require.NoError(t, f.SyncAll())
		require.NoError(t, f.Rename("/a/t", "/t"))
		require.NoError(t, f.Rename("/d", "/t/d"))
		syncDir(t, f, "/t")
	}
	where := func(f *FS) string {
		var at []string
		for p, c := range tree(t, f) {
			if c == `"F" -rw-rw-rw-` {
				at = append(at, p)
			}
		}
		slices.Sort(at)
		return strings.Join(at, " ")
	}
	per, seen := outcomes(t, seeds, scenario, where)
	assert.Equal(t, "/a/t/d/f", per["keep-nothing"], "the first name found, walking in name order")
	assert.ElementsMatch(t, []string{"/a/t/d/f", "/t/d/f"}, keys(seen), "one name, never two")
}

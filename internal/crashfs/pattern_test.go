package crashfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tmpDir  = "/store/tmp"
	oldData = "the old, complete version of the document"
	newData = "the new, complete version, a little longer than the old one"
)

// bugs are flushes a writer may forget.
type bugs struct {
	skipFileSync   bool // rename the temp file without fsyncing it
	skipParentSync bool // create directories without fsyncing their parents
}

// commit writes data to final the way internal/atomicfile's Commit does with Sync on: a temp
// file in tmpDir, written and fsynced; final's directory created, each new directory's parent
// fsynced; the temp file renamed into place; final's directory fsynced.
func commit(f *FS, final, data string, b bugs) error {
	h, err := f.Create(tmpDir + "/tmp1234")
	if err != nil {
		return err
	}
	if _, err := h.Write([]byte(data)); err != nil {
		return err
	}
	if !b.skipFileSync {
		if err := h.Sync(); err != nil {
			return err
		}
	}
	dir := path.Dir(final)
	if err := mkdirSynced(f, dir, !b.skipParentSync); err != nil {
		return err
	}
	if err := f.Rename(tmpDir+"/tmp1234", final); err != nil {
		return err
	}
	if err := h.Close(); err != nil {
		return err
	}
	return fsyncDir(f, dir)
}

// mkdirSynced creates dir and its missing parents, outermost first, fsyncing the parent of
// each one it creates when sync is set.
func mkdirSynced(f *FS, dir string, sync bool) error {
	p := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		parent := p
		p += "/" + part
		err := f.Mkdir(p, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if sync {
			if err := fsyncDir(f, parent+"/"); err != nil {
				return err
			}
		}
	}
	return nil
}

// emptyStore returns an FS with nothing but a durable temp directory.
func emptyStore(t *testing.T) *FS {
	f := New()
	require.NoError(t, f.MkdirAll(tmpDir, 0o755))
	require.NoError(t, f.SyncAll())
	return f
}

// cutPoint arms one cut on f.
type cutPoint struct {
	name string
	arm  func(f *FS)
}

// cutPoints measures a run on a fresh FS and returns every point to cut it at: after each
// of its k changes (k = 0 included) and after each of its flushes. It also returns how many
// flushes the run makes.
func cutPoints(t *testing.T, fresh func(t *testing.T) *FS, run func(f *FS) error) ([]cutPoint, int) {
	f := fresh(t)
	ops0, syncs0 := f.Ops(), f.Syncs()
	require.NoError(t, run(f))
	var cuts []cutPoint
	for k := 0; k <= f.Ops()-ops0; k++ {
		cuts = append(cuts, cutPoint{fmt.Sprintf("after %d ops", k), func(f *FS) { f.CutAfterOps(k) }})
	}
	for k := 1; k <= f.Syncs()-syncs0; k++ {
		cuts = append(cuts, cutPoint{fmt.Sprintf("after %d syncs", k), func(f *FS) { f.CutAfterSyncs(k) }})
	}
	return cuts, f.Syncs() - syncs0
}

// atomicCases are commits to try: replacing a durable document, and placing a new one in
// directories that do not exist yet.
var atomicCases = []struct {
	name, final, before string
}{
	{"replace", "/store/objects/doc", oldData},
	{"new directories", "/store/objects/ab/cd/doc", missing},
}

// storeFor returns a fresh store for a case: the temp directory, and the old document if
// the case has one, all durable.
func storeFor(final, before string) func(t *testing.T) *FS {
	return func(t *testing.T) *FS {
		f := emptyStore(t)
		if before != missing {
			require.NoError(t, f.MkdirAll(path.Dir(final), 0o755))
			put(t, f, final, before, false)
			require.NoError(t, f.SyncAll())
		}
		return f
	}
}

func TestAtomicCommitYieldsOldOrNewAtEveryCut(t *testing.T) {
	for _, c := range atomicCases {
		t.Run(c.name, func(t *testing.T) {
			fresh := storeFor(c.final, c.before)
			run := func(f *FS) error { return commit(f, c.final, newData, bugs{}) }
			cuts, syncs := cutPoints(t, fresh, run)
			seen := map[string]bool{}
			for _, cut := range cuts {
				for _, p := range policies(seeds) {
					f := fresh(t)
					syncs0 := f.Syncs()
					cut.arm(f)
					run(f)
					// Once the directory flush is done the commit is promised, even if
					// the power went before the caller heard of it.
					committed := f.Syncs()-syncs0 == syncs
					f.Crash(p)
					got := content(t, f, c.final)
					seen[got] = true
					if committed {
						assert.Equal(t, newData, got, "%s, %s: a committed file must be durable", cut.name, p)
					} else {
						assert.Contains(t, []string{c.before, newData}, got, "%s, %s", cut.name, p)
					}
				}
			}
			assert.ElementsMatch(t, []string{c.before, newData}, keys(seen))
		})
	}
}

func TestModelCatchesMissingFlushes(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    int // which of atomicCases
		bugs bugs
		lost string // what a lost commit comes back as
	}{
		{"rename without fsync of the file", 0, bugs{skipFileSync: true}, ""},
		{"new directories without fsync of their parents", 1, bugs{skipParentSync: true}, missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := atomicCases[tc.c]
			lost := 0
			for _, p := range policies(seeds) {
				f := storeFor(c.final, c.before)(t)
				require.NoError(t, commit(f, c.final, newData, tc.bugs))
				f.Crash(p)
				got := content(t, f, c.final)
				if got != newData {
					lost++
					assert.Equal(t, tc.lost, got, "%s: neither the old version nor the new", p)
				}
				if p == KeepNothing() {
					assert.Equal(t, tc.lost, got)
				}
			}
			assert.Positive(t, lost, "some crash loses the committed document")
			t.Logf("%d of %d crashes lost it", lost, seeds+2)
		})
	}
}

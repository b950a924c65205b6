package links_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/faultfs"
	"github.com/hashstore-go/hashstore/links"
)

// filesOnly drops the directories from a tree (a failed call may leave empty shard
// directories, which no implementation ever removes).
func filesOnly(tr map[string]string) map[string]string {
	out := map[string]string{}
	for p, h := range tr {
		if !strings.HasSuffix(p, "/") {
			out[p] = h
		}
	}
	return out
}

// TestLinkFailureMatrix makes each filesystem call of a StoreHardLink fail in turn (on the
// store's filesystem; the link itself is the OS's) and checks that the store is left as it
// was, or at most with the source linked in untagged (a failure after the rename), that the
// source is intact, and that running the conversion again completes it.
func TestLinkFailureMatrix(t *testing.T) {
	v := hashstoretest.Vectors()[0]
	setup := func(t *testing.T) (*links.Store, *faultfs.FS, string) {
		ffs := faultfs.New(afero.NewOsFs())
		s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithFs(ffs))
		require.NoError(t, err)
		ls, err := links.New(s)
		require.NoError(t, err)
		// Something else in the store, so cid refs and shard directories are not all new.
		_, err = ls.StoreObject(t.Context(), strings.NewReader("other"), hashstore.WithPID("other"))
		require.NoError(t, err)
		return ls, ffs, vectorSource(t, v)
	}
	ls, ffs, src := setup(t)
	ffs.Reset()
	_, err := ls.StoreHardLink(t.Context(), src, v.PID)
	require.NoError(t, err)
	counts := ffs.Counts()
	require.NotEmpty(t, counts)
	for op, n := range counts {
		for k := 1; k <= n; k++ {
			t.Run(fmt.Sprintf("%v_%d", op, k), func(t *testing.T) {
				ls, ffs, src := setup(t)
				before := filesOnly(tree(t, ls))
				state := stateOf(t, src)
				ffs.Reset()
				ffs.FailAt(op, k, syscall.EIO)
				_, err := ls.StoreHardLink(t.Context(), src, v.PID)
				obj := objectPath(ls, v.ObjectPath)
				after := filesOnly(tree(t, ls))
				tmp, rerr := os.ReadDir(filepath.Join(ls.Root(), "objects", "tmp"))
				require.NoError(t, rerr)
				switch {
				case err == nil:
					// The fault hit a step whose failure is harmless (closing a file opened for
					// reading, removing a temp link): the conversion is complete.
					_, ferr := ls.FindObject(t.Context(), v.PID)
					require.NoError(t, ferr, "success means tagged")
				default:
					assert.True(t, faultfs.IsInjected(err) || errors.Is(err, syscall.EIO), "error: %v", err)
					delete(after, v.ObjectPath)
					assert.Equal(t, before, after, "the store is unchanged but for an untagged object: %v", err)
					if _, serr := os.Stat(obj); serr == nil {
						assert.True(t, sameFile(t, src, obj), "an object left behind is the source's file")
					}
					assert.Empty(t, tmp, "no temp link left")
				}
				assert.Equal(t, state, stateOf(t, src), "the source is intact")

				// Running it again completes the conversion.
				_, err = ls.StoreHardLink(t.Context(), src, v.PID)
				if err != nil {
					require.ErrorIs(t, err, hashstore.ErrAlreadyTagged)
				}
				_, err = ls.FindObject(t.Context(), v.PID)
				require.NoError(t, err)
				assert.True(t, sameFile(t, src, obj))
				assert.Equal(t, 2+len(tmp), nlink(t, src))
			})
		}
	}
}

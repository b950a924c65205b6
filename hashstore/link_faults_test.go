package hashstore_test

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
)

// TestStoreFileLinkFailureMatrix makes each filesystem call of a linking StoreFile fail in
// turn (on the store's filesystem; the link itself is the OS's) and checks that the store is
// left as it was, or at most with the file linked in untagged (a failure after the link),
// that the file is intact, that no temp file appears, and that running the call again
// completes it. (TestFaultMatrix runs the same verb through full-disk faults as well.)
func TestStoreFileLinkFailureMatrix(t *testing.T) {
	v := hashstoretest.Vectors()[0]
	setup := func(t *testing.T) (*hashstore.FileHashStore, *faultfs.FS, string) {
		ffs := faultfs.New(afero.NewOsFs())
		s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithFs(ffs))
		require.NoError(t, err)
		// Something else in the store, so cid refs and shard directories are not all new.
		_, err = s.StoreObject(t.Context(), strings.NewReader("other"), hashstore.WithPID("other"))
		require.NoError(t, err)
		return s, ffs, vectorSource(t, v)
	}
	s, ffs, src := setup(t)
	ffs.Reset()
	_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	counts := ffs.Counts()
	require.NotEmpty(t, counts)
	for op, n := range counts {
		for k := 1; k <= n; k++ {
			t.Run(fmt.Sprintf("%v_%d", op, k), func(t *testing.T) {
				s, ffs, src := setup(t)
				before := hashstoretest.FilesOnly(hashstoretest.Tree(t, afero.NewOsFs(), s.Root()))
				state := hashstore.StateOf(t, src)
				ffs.Reset()
				ffs.FailAt(op, k, syscall.EIO)
				_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
				require.Positive(t, ffs.Injected(), "the point was not reached")
				obj := storePath(s, v.ObjectPath)
				after := hashstoretest.FilesOnly(hashstoretest.Tree(t, afero.NewOsFs(), s.Root()))
				tmp, rerr := os.ReadDir(filepath.Join(s.Root(), "objects", "tmp"))
				require.NoError(t, rerr)
				assert.Empty(t, tmp, "no temp file, whatever happens")
				switch {
				case err == nil:
					// The fault hit a step whose failure is harmless (closing a file opened for
					// reading): the call is complete.
					_, ferr := s.FindObject(t.Context(), v.PID)
					require.NoError(t, ferr, "success means tagged")
				default:
					assert.True(t, faultfs.IsInjected(err) || errors.Is(err, syscall.EIO), "error: %v", err)
					delete(after, v.ObjectPath)
					assert.Equal(t, before, after, "the store is unchanged but for an untagged object: %v", err)
					if _, serr := os.Stat(obj); serr == nil {
						assert.True(t, hashstore.SameOSFile(t, src, obj), "an object left behind is the file")
					}
				}
				assert.Equal(t, state, hashstore.StateOf(t, src), "the file is intact")

				// Running it again completes it.
				_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
				if err != nil {
					require.ErrorIs(t, err, hashstore.ErrAlreadyTagged)
				}
				_, err = s.FindObject(t.Context(), v.PID)
				require.NoError(t, err)
				assert.True(t, hashstore.SameOSFile(t, src, obj))
				assert.Equal(t, 2, hashstore.Nlink(t, src), "the file and the object, no other link")
			})
		}
	}
}

package links_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/links"
)

// vectorsDir holds the reference test data (committed; VECTORS.md describes it).
const vectorsDir = "../testdata/vectors"

// newStore makes a store in a fresh temp directory on the OS filesystem and extends it.
func newStore(t testing.TB, opts ...links.Option) *links.Store {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig())
	require.NoError(t, err)
	ls, err := links.New(s, opts...)
	require.NoError(t, err)
	return ls
}

// writeSource writes data to a new source file, outside any store, with mode 0640 and an
// mtime in the past (so that a change would show), and returns its path.
func writeSource(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "source")
	require.NoError(t, os.WriteFile(p, data, 0o640))
	require.NoError(t, os.Chmod(p, 0o640))
	past := time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)
	require.NoError(t, os.Chtimes(p, past, past))
	return p
}

// vectorSource copies a vector's data file to a new source file.
func vectorSource(t testing.TB, v hashstoretest.Vector) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, v.File))
	require.NoError(t, err)
	return writeSource(t, data)
}

// sourceState is what must not change about a source: content, size, mode, mtime.
type sourceState struct {
	SHA256 string
	Size   int64
	Mode   fs.FileMode
	MTime  time.Time
}

func stateOf(t testing.TB, p string) sourceState {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return sourceState{hex.EncodeToString(sum[:]), fi.Size(), fi.Mode(), fi.ModTime()}
}

// tree lists every file and directory under the store's root (except the lock files in
// locks/, which appear on first use whatever the outcome) with its content's sha256.
func tree(t testing.TB, s *links.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := s.Root()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "locks" || strings.HasPrefix(rel, "locks/") {
			return nil
		}
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	require.NoError(t, err)
	return out
}

// unchanged runs fn and asserts that the store's tree is the same afterwards; it returns fn's
// error.
func unchanged(t *testing.T, s *links.Store, fn func() error) error {
	t.Helper()
	before := tree(t, s)
	err := fn()
	assert.Equal(t, before, tree(t, s), "the store must be unchanged")
	return err
}

// unchangedFiles is unchanged for files only: for failures found under the cid lock, after the
// store has created the object's shard directories (which are never removed, as in the
// reference implementations).
func unchangedFiles(t *testing.T, s *links.Store, fn func() error) error {
	t.Helper()
	before := filesOnly(tree(t, s))
	err := fn()
	assert.Equal(t, before, filesOnly(tree(t, s)), "the store must hold the same files")
	return err
}

// objectPath is the store path of a vector's object (from the reference table).
func objectPath(s *links.Store, rel string) string {
	return filepath.Join(s.Root(), filepath.FromSlash(rel))
}

// sameFile reports whether two OS paths are one file.
func sameFile(t testing.TB, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	require.NoError(t, err)
	fb, err := os.Stat(b)
	require.NoError(t, err)
	return os.SameFile(fa, fb)
}

// requireKind asserts err matches target and is a *hashstore.OpError naming the operation,
// the pid and (when given) the source path.
func requireKind(t *testing.T, err error, target error, pid, path string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, target)
	var oe *hashstore.OpError
	require.True(t, errors.As(err, &oe), "want *hashstore.OpError, got %T: %v", err, err)
	assert.Equal(t, "link object", oe.Op)
	assert.Equal(t, pid, oe.ID)
	if path != "" {
		assert.Contains(t, err.Error(), path, "the message names the source")
	}
}

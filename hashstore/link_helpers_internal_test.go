package hashstore

// Helpers of the StoreFile tests. They live in package hashstore so that the internal tests
// (which inject failures through the unexported linker) and the external ones (package
// hashstore_test, which reach them as hashstore.X, like any export_test.go helper) share one
// copy. They exist only in test builds.

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
)

// NewOSTestStore makes a store with the default properties in a fresh temp directory on the
// OS filesystem.
func NewOSTestStore(t testing.TB, opts ...Option) *FileHashStore {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "store"), DefaultConfig(), opts...)
	require.NoError(t, err)
	return s
}

// WriteSource writes data to a new file outside any store, with mode 0640 and a modification
// time in the past (so that a change would show), and returns its path.
func WriteSource(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "source")
	require.NoError(t, os.WriteFile(p, data, 0o640))
	require.NoError(t, os.Chmod(p, 0o640))
	past := time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)
	require.NoError(t, os.Chtimes(p, past, past))
	return p
}

// SourceState is what StoreFile must never change about its file.
type SourceState struct {
	SHA256 string
	Size   int64
	Mode   fs.FileMode
	MTime  time.Time
}

// StateOf returns the state of the OS file at p.
func StateOf(t testing.TB, p string) SourceState {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return SourceState{hex.EncodeToString(sum[:]), fi.Size(), fi.Mode(), fi.ModTime()}
}

// storeTree maps every file under the OS directory root to its content's sha256 and every
// directory (with a trailing "/") to "dir", leaving out locks/ (lock files appear on first
// use, whatever the outcome). It is hashstoretest.Tree for the tests inside this package,
// which cannot import hashstoretest (it imports this package).
func storeTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
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

// filesOnly drops the directories from a storeTree.
func filesOnly(tree map[string]string) map[string]string {
	out := map[string]string{}
	for p, h := range tree {
		if !strings.HasSuffix(p, "/") {
			out[p] = h
		}
	}
	return out
}

// Unchanged runs fn and asserts that the tree under root (an OS path) is the same afterwards,
// directories included; it returns fn's error.
func Unchanged(t *testing.T, root string, fn func() error) error {
	t.Helper()
	before := storeTree(t, root)
	err := fn()
	assert.Equal(t, before, storeTree(t, root), "the store must be unchanged")
	return err
}

// UnchangedFiles is Unchanged for files only: for failures found under the cid lock, after
// the store has made the object's shard directories (which no implementation removes).
func UnchangedFiles(t *testing.T, root string, fn func() error) error {
	t.Helper()
	before := filesOnly(storeTree(t, root))
	err := fn()
	assert.Equal(t, before, filesOnly(storeTree(t, root)), "the store must hold the same files")
	return err
}

// SameOSFile reports whether two OS paths name one file.
func SameOSFile(t testing.TB, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	require.NoError(t, err)
	fb, err := os.Stat(b)
	require.NoError(t, err)
	return os.SameFile(fa, fb)
}

// RequireFileError asserts that err, from StoreFile, matches target and is an *OpError of
// operation op ("link object" or "store file") for pid whose message names path (when path
// is not empty).
func RequireFileError(t *testing.T, err, target error, op, pid, path string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, target)
	var oe *OpError
	require.True(t, errors.As(err, &oe), "want *hashstore.OpError, got %T: %v", err, err)
	assert.Equal(t, op, oe.Op)
	assert.Equal(t, pid, oe.ID)
	if path != "" {
		assert.Contains(t, err.Error(), path, "the message names the file")
	}
}

// RequireLinkError is RequireFileError for the operation "link object" (WithLink given).
func RequireLinkError(t *testing.T, err, target error, pid, path string) {
	t.Helper()
	RequireFileError(t, err, target, "link object", pid, path)
}

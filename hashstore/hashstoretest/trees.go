package hashstoretest

// Snapshots of a store's files, for the "nothing changed" and "all or nothing" checks.

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
)

// Tree returns every file under the root as store-relative path -> SHA-256 of its content
// (directories map to "dir/"), for before/after comparisons. The locks/ directory is left out
// (docs/FORMAT.md 8.2): lock files are created on first use, whether or not the operation then
// succeeds, and hold no data.
func (e *Env) Tree() map[string]string { return Tree(e.T, e.Fs, e.Root) }

// Tree is Env.Tree for the store (or any directory) at root on fsys, for tests outside the
// suite that compare stores.
func Tree(t testing.TB, fsys afero.Fs, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := afero.Walk(fsys, root, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if fi.IsDir() && rel == "locks" {
			return filepath.SkipDir
		}
		if fi.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = "dir/"
			return nil
		}
		b, err := afero.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = SHA256Hex(b)
		return nil
	})
	require.NoError(t, err)
	return out
}

// storeTree is e.Tree(), or an empty map when the root does not exist yet (a bare root, before
// a store is created there).
func storeTree(e *Env) map[string]string {
	if _, err := e.Fs.Stat(e.Root); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}
	}
	return e.Tree()
}

// fileTree is storeTree without the directories (failed operations may leave empty shard
// directories behind, which both references do too).
func fileTree(e *Env) map[string]string { return FilesOnly(storeTree(e)) }

// FilesOnly drops the directory entries of a Tree.
func FilesOnly(tree map[string]string) map[string]string {
	out := map[string]string{}
	for p, h := range tree {
		if h != "dir/" {
			out[p] = h
		}
	}
	return out
}

// dataFiles is fileTree restricted to objects/, metadata/ and refs/.
func dataFiles(e *Env) map[string]string {
	out := map[string]string{}
	for p, h := range fileTree(e) {
		if strings.HasPrefix(p, "objects/") || strings.HasPrefix(p, "metadata/") || strings.HasPrefix(p, "refs/") {
			out[p] = h
		}
	}
	return out
}

// deleteLeftovers lists the files under the root whose names end in "_delete" (docs/FORMAT.md
// 6.5).
func deleteLeftovers(e *Env) []string {
	var out []string
	for p := range fileTree(e) {
		if strings.HasSuffix(p, "_delete") {
			out = append(out, p)
		}
	}
	return out
}

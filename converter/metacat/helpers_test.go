package metacat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/converter/metacat/metacattest"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/pgtest"
)

// repo is a Metacat repository made for a test: a database of generated objects
// (metacattest.Generate) and their files, every fifth under documents/, the others under data/.
type repo struct {
	dsn, docs, data string
}

// docID is the local document of generated object i: autogen.<i>.1.
func docID(i int) string { return fmt.Sprintf("autogen.%08d", i) }

// newRepo makes a repository of objects 0 to n-1.
func newRepo(t *testing.T, n int) *repo {
	t.Helper()
	dir := t.TempDir()
	r := &repo{dsn: pgtest.DB(t, pgtest.SchemaPath()), docs: filepath.Join(dir, "documents"), data: filepath.Join(dir, "data")}
	require.NoError(t, os.MkdirAll(r.docs, 0o755))
	require.NoError(t, os.MkdirAll(r.data, 0o755))
	r.add(t, 0, n)
	return r
}

// add adds objects from to to-1, rows and files.
func (r *repo) add(t *testing.T, from, to int) {
	t.Helper()
	var objs []metacattest.Object
	for i := from; i < to; i++ {
		dir := r.data
		if i%5 == 0 {
			dir = r.docs
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, docID(i)+".1"), metacattest.Data(i), 0o644))
		objs = append(objs, metacattest.Object{Doc: metacattest.Generate(i), DocID: docID(i), Rev: 1})
	}
	require.NoError(t, metacattest.Insert(context.Background(), connect(t, r.dsn), time.UTC, objs))
}

// exec runs SQL on the repository's database.
func (r *repo) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := connect(t, r.dsn).Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// open opens a source on the repository.
func (r *repo) open(t *testing.T, opts Options) *Source {
	t.Helper()
	opts.DSN, opts.DocumentsDir, opts.DataDir = r.dsn, r.docs, r.data
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	s, err := Open(context.Background(), opts)
	require.NoError(t, err)
	return s
}

// newStore makes an empty store.
func newStore(t *testing.T) *hashstore.FileHashStore {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(false))
	require.NoError(t, err)
	return s
}

// closingSource is a source to Close after its pass.
type closingSource interface {
	converter.Source
	Close() error
}

// pass runs one pass of src into store with the journal and reports in dir; change adjusts
// the options. It closes the source.
func pass(t *testing.T, store *hashstore.FileHashStore, src closingSource, dir string, change func(*converter.BulkOptions)) (*converter.Summary, error) {
	t.Helper()
	defer src.Close()
	opts := converter.BulkOptions{Source: src, Journal: filepath.Join(dir, "metacat.journal"), ReportDir: filepath.Join(dir, "reports"),
		Workers: 2, Started: time.Date(2024, 11, 20, 22, 55, 18, 0, time.UTC)}
	if change != nil {
		change(&opts)
	}
	return converter.New(store, hashstore.LinkFile).RunBulk(context.Background(), opts)
}

// storeFiles maps every file of a store to its content, leaving out lock files, empty
// directories and the temp directories (where a killed process leaves the file it was
// writing, as audit reports); cid refs lines are sorted, since their order is that in which
// pids finished.
func storeFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "locks" || d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "refs/cids/") {
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			sort.Strings(lines)
			data = []byte(strings.Join(lines, "\n"))
		}
		out[rel] = string(data)
		return nil
	}))
	return out
}

// dirFiles maps the regular files of dir to their contents (none when dir does not exist).
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out
	}
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// journalRecords returns a compacted journal's records without their timings, one JSON
// object per line, and its header's fields that do not vary between runs.
func journalRecords(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var out []string
	for i, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		delete(m, "time")
		if i == 0 {
			delete(m, "t0")
			delete(m, "source_stamp")
		}
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// storedSysmeta returns the system metadata the store holds for pid.
func storedSysmeta(t *testing.T, store *hashstore.FileHashStore, pid string) []byte {
	t.Helper()
	r, err := store.RetrieveMetadata(context.Background(), pid)
	require.NoError(t, err, pid)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

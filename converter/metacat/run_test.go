package metacat

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/converter/metacat/metacattest"
)

// addLocalDocs adds local documents Metacat would still convert itself: n documents without
// identifier row (lonely.<i>.1) and n identifier rows without system metadata (orphan.<i>.1).
func (r *repo) addLocalDocs(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		r.exec(t, `INSERT INTO xml_documents (docid, rev, doctype) VALUES ($1, 1, 'BIN')`, "lonely."+string(rune('a'+i)))
		r.exec(t, `INSERT INTO xml_revisions (docid, rev, doctype) VALUES ($1, 1, 'BIN')`, "orphan."+string(rune('a'+i)))
		r.exec(t, `INSERT INTO identifier (guid, docid, rev) VALUES ($1, $2, 1)`, "urn:orphan:"+string(rune('a'+i)), "orphan."+string(rune('a'+i)))
	}
}

// TestShardsSplitTheDatabase: three shards, run one after the other into one store, convert
// exactly what one unsharded pass converts, each taking only its own pids, the local
// documents Metacat would convert included.
func TestShardsSplitTheDatabase(t *testing.T) {
	r := newRepo(t, 120)
	r.addLocalDocs(t, 6)
	whole := newStore(t)
	all, err := pass(t, whole, r.open(t, Options{}), t.TempDir(), nil)
	require.NoError(t, err)
	require.Equal(t, int64(132), all.Objects)

	sharded := newStore(t)
	dir := t.TempDir()
	var objects, failed int64
	for i := range 3 {
		shard := converter.Shard{Index: i, Count: 3}
		sum, err := pass(t, sharded, r.open(t, Options{Shard: shard}), dir, func(o *converter.BulkOptions) { o.Shard = shard })
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "metacat.shard-"+string(rune('0'+i))+"-of-3.journal"), sum.Journal)
		objects += sum.Objects
		failed += sum.Failed
		require.NoError(t, converter.ReadOutcomes(sum.Journal, func(o *converter.Outcome) error {
			assert.True(t, shard.Has(o.PID), "shard %d holds %s", i, o.PID)
			return nil
		}))
		assert.Less(t, sum.Objects, int64(132))
	}
	assert.Equal(t, all.Objects, objects)
	assert.Equal(t, all.Failed, failed)
	assert.Equal(t, int64(12), failed, "6 documents without identifier row, 6 identifiers without sysmeta")
	assert.Equal(t, storeFiles(t, whole.Root()), storeFiles(t, sharded.Root()))
}

// killer is a source whose connection the server ends after n entries, as when the database
// restarts or the network drops in the middle of a pass.
type killer struct {
	*Source
	t    *testing.T
	dsn  string
	n    int
	seen atomic.Int64
}

func (k *killer) Next(ctx context.Context) (converter.Entry, error) {
	if k.seen.Add(1) == int64(k.n) {
		var ended bool
		require.NoError(k.t, connect(k.t, k.dsn).QueryRow(context.Background(), `SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'hashstore convert'`).Scan(&ended))
		require.True(k.t, ended)
	}
	return k.Source.Next(ctx)
}

// TestLostConnectionStopsAndResumes: the server drops the connection in the middle of a pass;
// the pass stops with an error that says so, and running it again completes it: the store,
// the journal and the reports are those of a pass that was never interrupted.
func TestLostConnectionStopsAndResumes(t *testing.T) {
	r := newRepo(t, 400)
	r.addLocalDocs(t, 2)
	r.exec(t, `UPDATE systemmetadata SET checksum = 'bad' WHERE guid = $1`, pid(7))

	store := newStore(t)
	dir := t.TempDir()
	_, err := pass(t, store, &killer{Source: r.open(t, Options{Batch: 25}), t: t, dsn: r.dsn, n: 150}, dir, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the pass stopped; run it again to resume")
	sum, err := pass(t, store, r.open(t, Options{Batch: 25}), dir, nil)
	require.NoError(t, err)
	assert.Greater(t, sum.Run.Skipped, int64(0), "the second run resumed")

	clean := newStore(t)
	cleanDir := t.TempDir()
	want, err := pass(t, clean, r.open(t, Options{}), cleanDir, nil)
	require.NoError(t, err)
	assert.Equal(t, storeFiles(t, clean.Root()), storeFiles(t, store.Root()))
	assert.Equal(t, journalRecords(t, want.Journal)[1:], journalRecords(t, sum.Journal)[1:])
	assert.Equal(t, dirFiles(t, filepath.Join(cleanDir, "reports")), dirFiles(t, filepath.Join(dir, "reports")))
	assert.Equal(t, want.Failures, sum.Failures)
	assert.Equal(t, int64(1), sum.Failures[converter.ClassNonMatchingChecksum])
}

// TestMemoryIsBoundedByTheBatch: however many pids the database holds, the source holds the
// rows of about one batch of pids per table.
func TestMemoryIsBoundedByTheBatch(t *testing.T) {
	r := newRepo(t, 3000)
	s := r.open(t, Options{Batch: 40})
	entries, errs := readAll(t, s)
	require.NoError(t, s.Close())
	require.Len(t, entries, 3000)
	require.Empty(t, errs)
	st := s.Stats()
	rows := st.SystemMetadata + st.Access + st.Policies + st.Replicas + st.Properties
	assert.Greater(t, rows, int64(9000), "%+v", st)
	// A batch of 40 pids, their side rows (at most 3 access, 3 policy, 2 replica, 3 property
	// rows each), and at most one fetch more per side table.
	assert.LessOrEqual(t, st.MaxBuffered, 40+40*11+4*sideFactor*40, "%+v", st)
	assert.Equal(t, int64(3000), st.SystemMetadata)
}

// TestOrphanSideRowsArePassedOver: side rows of pids without system metadata (such as the
// access rules of inline data) sort among the pids and must not end up in a neighbour's
// document.
func TestOrphanSideRowsArePassedOver(t *testing.T) {
	r := newRepo(t, 30)
	// Between pids ...00000 and ...00001, and after the last.
	for _, g := range []string{"urn:uuid:gen-00000000a", "urn:uuid:gen-zzz", "a.inline.1.1"} {
		r.exec(t, `INSERT INTO xml_access (guid, principal_name, permission, perm_type, perm_order) VALUES ($1, 'intruder', 7, 'allow', 'allowFirst')`, g)
	}
	s := r.open(t, Options{Batch: 3})
	entries, errs := readAll(t, s)
	require.NoError(t, s.Close())
	require.Empty(t, errs)
	require.Len(t, entries, 30)
	for i := range 30 {
		want, err := metacattest.Generate(i).Encode()
		require.NoError(t, err)
		e := entries[pid(i)]
		assert.False(t, strings.Contains(string(e.Sysmeta), "intruder"), pid(i))
		assert.Equal(t, string(want), string(e.Sysmeta), "the pids' own rules are all there")
	}
}

// TestSideTableInAnotherOrderIsRefused: a side table whose guid column sorts otherwise than
// systemmetadata's (another collation) cannot be merged; the pass stops and says so instead of
// building documents without some of their rows.
func TestSideTableInAnotherOrderIsRefused(t *testing.T) {
	r := newRepo(t, 60)
	r.exec(t, `DROP INDEX xml_access_idx6; DROP INDEX xml_access_principal_lower`)
	r.exec(t, `ALTER TABLE xml_access ALTER COLUMN guid TYPE text COLLATE "en-x-icu"`)
	// In ICU order, "-" and letters interleave unlike in byte order: make pids that differ so.
	for _, g := range []string{"urn:uuid:gen-A", "urn:uuid:gen-a", "urn:uuid:genB"} {
		r.exec(t, `INSERT INTO systemmetadata (guid, serial_version, size, checksum, checksum_algorithm, object_format, rights_holder, number_replicas)
			VALUES ($1, '1', '1', 'x', 'MD5', 'text/plain', 'CN=r', -1)`, g)
		r.exec(t, `INSERT INTO xml_access (guid, principal_name, permission, perm_type, perm_order) VALUES ($1, 'public', 4, 'allow', 'allowFirst')`, g)
	}
	s := r.open(t, Options{Batch: 5})
	defer s.Close()
	var err error
	for err == nil {
		_, err = s.Next(context.Background())
		var ee *converter.EntryError
		if errors.As(err, &ee) {
			err = nil
		}
	}
	require.NotEqual(t, io.EOF, err, "the pass must not complete")
	assert.Contains(t, err.Error(), "the rows of xml_access do not come in the order of the systemmetadata rows")
}

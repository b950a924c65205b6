package metacat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/converter/metacat/metacattest"
	"github.com/hashstore-go/hashstore/hashstore"
)

// pid is the pid of generated object i.
func pid(i int) string { return metacattest.Generate(i).Identifier }

// deleteObject deletes generated object i from the database as Metacat does: its system
// metadata with the side tables, its identifier and its document rows (its file stays).
func (r *repo) deleteObject(t *testing.T, i int) {
	t.Helper()
	r.deletePID(t, pid(i))
	r.exec(t, "DELETE FROM xml_documents WHERE docid = $1", docID(i))
}

// deletePID deletes the rows of pid.
func (r *repo) deletePID(t *testing.T, pid string) {
	t.Helper()
	for _, table := range []string{"xml_access", "smreplicationpolicy", "smreplicationstatus", "smmediatypeproperties", "systemmetadata", "identifier"} {
		r.exec(t, "DELETE FROM "+table+" WHERE guid = $1", pid)
	}
}

func sweep(o *converter.BulkOptions)       { o.Sweep = true }
func sweepDelete(o *converter.BulkOptions) { o.Sweep, o.DeleteGone = true, true }

// TestSweepConvertsWhatChanged: after a full pass, new pids, pids whose rows changed (with
// date_modified bumped, and without: a side table, a column Metacat changes silently) and
// deleted pids are found by a sweep, which takes a new T0; the store then equals a fresh full
// conversion of the database.
func TestSweepConvertsWhatChanged(t *testing.T) {
	r := newRepo(t, 300)
	store := newStore(t)
	dir := t.TempDir()
	_, err := pass(t, store, r.open(t, Options{}), dir, sweep)
	require.ErrorIs(t, err, converter.ErrNoCompletePass, "nothing to sweep from yet")
	first, err := pass(t, store, r.open(t, Options{}), dir, nil)
	require.NoError(t, err)
	require.Equal(t, int64(300), first.Succeeded)
	_, err = pass(t, store, r.open(t, Options{}), dir, nil)
	require.ErrorIs(t, err, converter.ErrPassComplete, "a second pass over a complete journal must be a sweep")

	quiet, err := pass(t, store, r.open(t, Options{}), dir, sweep)
	require.NoError(t, err)
	assert.Equal(t, converter.RunStats{Skipped: 300}, zeroTimes(quiet.Run), "nothing changed, nothing done")
	assert.True(t, quiet.SweptSince.Equal(*first.T0))
	assert.True(t, quiet.T0.After(*first.T0), "a new T0")

	r.add(t, 300, 303)
	r.exec(t, `UPDATE systemmetadata SET rights_holder = 'CN=new owner', date_modified = date_modified + interval '1 day' WHERE guid = $1`, pid(10))
	r.exec(t, `UPDATE xml_access SET permission = 6 WHERE guid = $1 AND principal_name = 'public'`, pid(11))
	r.exec(t, `UPDATE systemmetadata SET archived = NOT coalesce(archived, false) WHERE guid = $1`, pid(12))
	r.exec(t, `UPDATE systemmetadata SET obsoleted_by = 'urn:uuid:next' WHERE guid = $1`, pid(13))
	r.deleteObject(t, 20) // under documents/
	r.deleteObject(t, 21) // under data/
	sum, err := pass(t, store, r.open(t, Options{}), dir, sweepDelete)
	require.NoError(t, err)
	assert.Equal(t, converter.RunStats{Processed: 7, Skipped: 294}, zeroTimes(sum.Run), "3 new, 4 changed")
	assert.Equal(t, int64(301), sum.Objects)
	assert.Equal(t, map[converter.NoteClass]int64{converter.NoteDeleted: 2}, sum.Notes)
	assert.Equal(t, []string{pid(20), pid(21)}, reportPIDs(t, sum.NoteReports[converter.NoteDeleted]))
	for _, i := range []int{20, 21} {
		_, err := store.FindObject(context.Background(), pid(i))
		assert.ErrorIs(t, err, hashstore.ErrNotFound)
	}

	fresh := newStore(t)
	_, err = pass(t, fresh, r.open(t, Options{}), t.TempDir(), nil)
	require.NoError(t, err)
	assert.Equal(t, storeFiles(t, fresh.Root()), storeFiles(t, store.Root()), "the swept store equals a fresh conversion")

	again, err := pass(t, store, r.open(t, Options{}), dir, sweepDelete)
	require.NoError(t, err)
	assert.Empty(t, again.Notes, "deleted pids are reported once")
	assert.Equal(t, int64(0), again.Run.Processed)
}

// zeroTimes keeps the counts of a run.
func zeroTimes(r converter.RunStats) converter.RunStats {
	return converter.RunStats{Processed: r.Processed, Skipped: r.Skipped}
}

// TestSweepKeepsGonePidsUntilAskedToDelete: a pid deleted from the database is listed as gone
// by every sweep while it stays in the store, and deleted by one with DeleteGone; a pid of a
// sysmeta-only row is deleted too; a deletion recorded by a sweep that did not complete is
// reported by the run that completes it.
func TestSweepKeepsGonePidsUntilAskedToDelete(t *testing.T) {
	r := newRepo(t, 50)
	only := metacattest.Generate(1000) // a row without identifier: stored without data
	require.NoError(t, metacattest.Insert(context.Background(), connect(t, r.dsn), time.UTC, []metacattest.Object{{Doc: only}}))
	store := newStore(t)
	dir := t.TempDir()
	_, err := pass(t, store, r.open(t, Options{}), dir, nil)
	require.NoError(t, err)
	r.deleteObject(t, 30)
	// A pid still in the database whose row can no longer be read is not gone.
	r.exec(t, `UPDATE systemmetadata SET size = 'big' WHERE guid = $1`, pid(32))
	for range 2 {
		sum, err := pass(t, store, r.open(t, Options{}), dir, sweep)
		require.NoError(t, err)
		assert.Equal(t, map[converter.NoteClass]int64{converter.NoteGone: 1, converter.NoteSysmetaOnly: 1}, sum.Notes)
		assert.Equal(t, []string{pid(30)}, reportPIDs(t, sum.NoteReports[converter.NoteGone]))
		_, err = store.FindObject(context.Background(), pid(30))
		require.NoError(t, err, "still in the store")
	}

	// A sweep whose outputs cannot be written deletes, records, and stops before compacting.
	r.deleteObject(t, 31)
	r.deletePID(t, only.Identifier)
	blocked := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocked, nil, 0o644))
	_, err = pass(t, store, r.open(t, Options{}), dir, func(o *converter.BulkOptions) {
		sweepDelete(o)
		o.ReportDir = filepath.Join(blocked, "reports")
	})
	require.Error(t, err)
	for _, i := range []int{30, 31} {
		_, err = store.FindObject(context.Background(), pid(i))
		require.ErrorIs(t, err, hashstore.ErrNotFound)
	}
	_, err = store.RetrieveMetadata(context.Background(), only.Identifier)
	require.ErrorIs(t, err, hashstore.ErrNotFound, "the sysmeta of a sysmeta-only pid is deleted")
	sum, err := pass(t, store, r.open(t, Options{}), dir, sweepDelete)
	require.NoError(t, err)
	assert.Equal(t, map[converter.NoteClass]int64{converter.NoteDeleted: 3}, sum.Notes, "the interrupted sweep's deletions are reported")
	assert.Equal(t, []string{pid(30), pid(31), only.Identifier}, reportPIDs(t, sum.NoteReports[converter.NoteDeleted]))
	assert.Equal(t, int64(1), sum.Failures[converter.ClassInvalidSysmeta])
	_, err = store.FindObject(context.Background(), pid(32))
	require.NoError(t, err, "a pid whose row fails is still in the database: kept")
}

// TestResumedPassFindsGonePids: a first pass interrupted, then a pid it stored deleted from the
// database, then the pass resumed: the pid is reported gone, not forgotten, and a sweep with
// DeleteGone deletes it.
func TestResumedPassFindsGonePids(t *testing.T) {
	r := newRepo(t, 200)
	store := newStore(t)
	dir := t.TempDir()
	_, err := pass(t, store, &killer{Source: r.open(t, Options{Batch: 10}), t: t, dsn: r.dsn, n: 120}, dir, nil)
	require.Error(t, err)
	_, err = store.FindObject(context.Background(), pid(3))
	require.NoError(t, err, "the interrupted pass stored it")
	r.deleteObject(t, 3)
	sum, err := pass(t, store, r.open(t, Options{}), dir, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{pid(3)}, reportPIDs(t, sum.NoteReports[converter.NoteGone]))
	sum, err = pass(t, store, r.open(t, Options{}), dir, sweepDelete)
	require.NoError(t, err)
	assert.Equal(t, []string{pid(3)}, reportPIDs(t, sum.NoteReports[converter.NoteDeleted]))
}

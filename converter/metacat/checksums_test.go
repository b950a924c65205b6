package metacat

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/pgtest"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// The digests of the sample's files that the tests below need.
const (
	jtaoMD5      = "f4ea2d07db950873462a064937197b0f"
	jtaoSHA1     = "3d25436c4490b08a2646e283dada5c60e5c0539d"
	mismatchOld  = "f90c23bcf525ec3d2285324c38ecdbcc"
	mismatchNew  = "1370c4f154bee625779e96fcddcbcf20"
	mismatchFile = "data/autogen.2024010112999901.1"
)

// sqlExec runs statements on dsn.
func sqlExec(t *testing.T, dsn string, sql string, args ...any) {
	t.Helper()
	_, err := connect(t, dsn).Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// TestCorrectMismatchAsMetacat converts with --on-checksum-mismatch correct: the object whose
// data does not match its row's checksum is converted with its checksum corrected, one whose
// row names the wrong algorithm gets Metacat's note, and the nonMatchingChecksum report holds
// Metacat's very lines and closing line. With report, the same objects fail and nothing of
// them is stored.
func TestCorrectMismatchAsMetacat(t *testing.T) {
	dsn := pgtest.SampleDB(t)
	sqlExec(t, dsn, `UPDATE systemmetadata SET checksum_algorithm = 'SHA-1' WHERE guid = $1`, jtao) // its MD5 under the wrong name

	reported := newStore(t)
	sum, err := pass(t, reported, openSample(t, dsn, time.UTC), t.TempDir(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), sum.Failures[converter.ClassNonMatchingChecksum])
	assert.Zero(t, sum.Corrected)
	for _, pid := range []string{jtao, pidMismatch} {
		_, err := reported.FindObject(context.Background(), pid)
		assert.ErrorIs(t, err, hashstore.ErrNotFound, pid)
		_, err = reported.RetrieveMetadata(context.Background(), pid)
		assert.ErrorIs(t, err, hashstore.ErrNotFound, pid)
	}

	src := openSample(t, dsn, time.UTC)
	entries, _ := readAll(t, openSample(t, dsn, time.UTC))
	store := newStore(t)
	sum, err = pass(t, store, src, t.TempDir(), func(o *converter.BulkOptions) { o.OnChecksumMismatch = converter.CorrectMismatch })
	require.NoError(t, err)
	assert.Zero(t, sum.Failures[converter.ClassNonMatchingChecksum])
	assert.Equal(t, int64(2), sum.Corrected)
	assert.Equal(t, int64(24), sum.Succeeded)
	b, err := os.ReadFile(sum.CorrectionsReport)
	require.NoError(t, err)
	data := filepath.Join(pgtest.SampleDir(), "data")
	docs := filepath.Join(pgtest.SampleDir(), "documents")
	assert.Equal(t, "Object: jtao.1700.1 was converted successfully, but original SHA-1 checksum ("+jtaoMD5+
		") was incorrect. System metadata was updated with new checksum ("+jtaoSHA1+"). Old object for reference: "+
		filepath.Join(docs, "jtao.1700.1")+" Note: the original checksum would have been correct if the MD5 algorithm was used. Was the wrong algorithm recorded?\n"+
		"Object: "+pidMismatch+" was converted successfully, but original MD5 checksum ("+mismatchOld+
		") was incorrect. System metadata was updated with new checksum ("+mismatchNew+"). Old object for reference: "+
		filepath.Join(data, filepath.Base(mismatchFile))+"\n"+
		"If this instance is a registered member node of the DataONE network, please submit this file to knb-help@nceas.ucsb.edu so we can also update the CN to reflect the above changes.\n",
		string(b))
	assert.Equal(t, filepath.Base(sum.CorrectionsReport), "nonMatchingChecksum_2024-11-20_22-55-18.txt", "Metacat's file name")

	// The stored sysmeta is the rebuilt one with the checksum replaced, nothing else.
	for pid, want := range map[string]sysmeta.Checksum{jtao: {Algorithm: "SHA-1", Value: jtaoSHA1}, pidMismatch: {Algorithm: "MD5", Value: mismatchNew}} {
		orig, err := sysmeta.DecodeDocument(entries[pid].Sysmeta)
		require.NoError(t, err)
		orig.Checksum = want
		expected, err := orig.Encode()
		require.NoError(t, err)
		assert.Equal(t, string(expected), string(storedSysmeta(t, store, pid)), pid)
	}
	assert.Equal(t, int64(1), sum.Failures[converter.ClassSizeMismatch], "a wrong size is never corrected")
}

// countChecksums returns the rows of checksums and the distinct pids among them.
func countChecksums(t *testing.T, dsn string) (rows, pids int64) {
	t.Helper()
	require.NoError(t, connect(t, dsn).QueryRow(context.Background(), `SELECT count(*), count(DISTINCT guid) FROM checksums`).Scan(&rows, &pids))
	return rows, pids
}

// TestLoadChecksumsAndFixes loads a pass's checksums into the database: five rows per pid
// converted with data, a sixth for a SHA-512/256 sysmeta, a pid's earlier rows replaced, no
// duplicates when loaded again, pids deleted since the snapshot left out; and the corrected
// checksums written into systemmetadata without touching date_modified or serial_version. A
// sweep after that finds nothing left to correct and stores the same documents.
func TestLoadChecksumsAndFixes(t *testing.T) {
	dsn := pgtest.SampleDB(t)
	ctx := context.Background()
	doc1, err := os.ReadFile(filepath.Join(pgtest.SampleDir(), "documents", "sample.101.2"))
	require.NoError(t, err)
	sum256 := sha512.Sum512_256(doc1)
	sqlExec(t, dsn, `UPDATE systemmetadata SET checksum = $1, checksum_algorithm = 'SHA-512/256' WHERE guid = 'doi:10.5063/SAMPLE01'`, hex.EncodeToString(sum256[:]))
	sqlExec(t, dsn, `INSERT INTO checksums (guid, checksum, checksum_algorithm) VALUES ($1, 'stale', 'MD5')`, jtao)
	var modified time.Time
	var serial string
	require.NoError(t, connect(t, dsn).QueryRow(ctx, `SELECT date_modified, serial_version FROM systemmetadata WHERE guid = $1`, pidMismatch).Scan(&modified, &serial))

	store := newStore(t)
	dir := t.TempDir()
	sum, err := pass(t, store, openSample(t, dsn, time.UTC), dir, func(o *converter.BulkOptions) { o.OnChecksumMismatch = converter.CorrectMismatch })
	require.NoError(t, err)
	before := storedSysmeta(t, store, pidMismatch)
	// Deleted from the database after the snapshot: its rows cannot go in.
	sqlExec(t, dsn, `DELETE FROM smreplicationpolicy WHERE guid = 'doi:10.5063/SAMPLE02'; DELETE FROM smreplicationstatus WHERE guid = 'doi:10.5063/SAMPLE02';
		DELETE FROM systemmetadata WHERE guid = 'doi:10.5063/SAMPLE02'`)

	st, err := Load(ctx, dsn, sum.Journal, LoadOptions{Checksums: true, ApplyFixes: true, Batch: 5})
	require.NoError(t, err)
	assert.Equal(t, LoadStats{PIDs: 22, Rows: 22*5 + 1, Fixes: 1, Vanished: 1}, st)
	rows, pids := countChecksums(t, dsn)
	assert.Equal(t, [2]int64{22*5 + 1, 22}, [2]int64{rows, pids})
	got := map[string]string{}
	r, err := connect(t, dsn).Query(ctx, `SELECT checksum_algorithm, checksum FROM checksums WHERE guid = $1`, jtao)
	require.NoError(t, err)
	for r.Next() {
		var a, c string
		require.NoError(t, r.Scan(&a, &c))
		got[a] = c
	}
	require.NoError(t, r.Err())
	assert.Len(t, got, 5, "the stale row was replaced")
	assert.Equal(t, jtaoMD5, got["MD5"])
	assert.Equal(t, jtaoSHA1, got["SHA-1"])
	var sixth string
	require.NoError(t, connect(t, dsn).QueryRow(ctx, `SELECT checksum FROM checksums WHERE guid = 'doi:10.5063/SAMPLE01' AND checksum_algorithm = 'SHA-512/256'`).Scan(&sixth))
	assert.Equal(t, hex.EncodeToString(sum256[:]), sixth)

	_, err = Load(ctx, dsn, sum.Journal, LoadOptions{Checksums: true})
	require.NoError(t, err)
	rows2, _ := countChecksums(t, dsn)
	assert.Equal(t, rows, rows2, "loading again replaces, never duplicates")

	var checksum, alg, serial2 string
	var modified2 time.Time
	require.NoError(t, connect(t, dsn).QueryRow(ctx, `SELECT checksum, checksum_algorithm, date_modified, serial_version FROM systemmetadata WHERE guid = $1`,
		pidMismatch).Scan(&checksum, &alg, &modified2, &serial2))
	assert.Equal(t, [2]string{mismatchNew, "MD5"}, [2]string{checksum, alg})
	assert.True(t, modified.Equal(modified2), "date_modified untouched")
	assert.Equal(t, serial, serial2, "serial_version untouched")

	// The database now says what the store holds.
	sum, err = pass(t, store, openSample(t, dsn, time.UTC), dir, func(o *converter.BulkOptions) {
		o.OnChecksumMismatch, o.Sweep = converter.CorrectMismatch, true
	})
	require.NoError(t, err)
	assert.Zero(t, sum.Corrected)
	assert.Equal(t, string(before), string(storedSysmeta(t, store, pidMismatch)))
}

// TestPre31Database converts a database Metacat's 3.1 upgrade has not reached, and refuses to
// load checksums into it.
func TestPre31Database(t *testing.T) {
	dsn := pgtest.DB(t, pgtest.SchemaPath(), pgtest.SamplePath(), pgtest.Pre31Path())
	src := openSample(t, dsn, time.UTC)
	assert.False(t, src.HasChecksumsTable())
	assert.Equal(t, "3.0.0", src.Version())
	sum, err := pass(t, newStore(t), src, t.TempDir(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(23), sum.Succeeded)
	_, err = Load(context.Background(), dsn, sum.Journal, LoadOptions{Checksums: true})
	assert.ErrorIs(t, err, ErrNoChecksumsTable)
}

// TestBadDatabases: an unreachable server, a DSN that does not parse, and schemas that are not
// Metacat's are refused at Open, saying what is wrong.
func TestBadDatabases(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, Options{DSN: "host=127.0.0.1 port=1 user=postgres dbname=metacat connect_timeout=5"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "postgres://postgres@127.0.0.1:1/metacat: cannot connect")

	_, err = Open(ctx, Options{DSN: "postgres://x:y@[bad"})
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	assert.NotContains(t, err.Error(), "x:y@", "no password in messages")

	dsn := pgtest.DB(t, pgtest.SchemaPath())
	sqlExec(t, dsn, `DROP TABLE smmediatypeproperties; ALTER TABLE systemmetadata DROP COLUMN media_type; ALTER TABLE xml_access DROP COLUMN perm_order`)
	_, err = Open(ctx, Options{DSN: dsn})
	require.ErrorIs(t, err, ErrNotMetacat)
	for _, want := range []string{"table smmediatypeproperties", "column systemmetadata.media_type", "column xml_access.perm_order"} {
		assert.Contains(t, err.Error(), want)
	}

	empty := pgtest.DB(t)
	_, err = Open(ctx, Options{DSN: empty})
	require.ErrorIs(t, err, ErrNotMetacat)
	assert.True(t, strings.Contains(err.Error(), "table systemmetadata"), err.Error())
	assert.False(t, errors.Is(err, hashstore.ErrInvalidArgument))
}

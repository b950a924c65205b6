package metacat

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/internal/pgtest"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// The pids of testdata/metacat/db/README.md's cases.
const (
	pidMismatch     = "urn:uuid:bad00000-0000-4000-8000-000000000001"
	pidNoIdentifier = "urn:uuid:db000000-0000-4000-8000-000000000001"
	pidNoSysmeta    = "urn:uuid:db000000-0000-4000-8000-000000000002"
	jtao            = "jtao.1700.1"
)

// openSample opens a source on a database made from the sample, with the sample's files.
func openSample(t *testing.T, dsn string, loc *time.Location) *Source {
	t.Helper()
	s, err := Open(context.Background(), Options{DSN: dsn, Location: loc,
		DocumentsDir: filepath.Join(pgtest.SampleDir(), "documents"), DataDir: filepath.Join(pgtest.SampleDir(), "data")})
	require.NoError(t, err)
	return s
}

// reportPIDs returns the first column of each line of a report.
func reportPIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var pids []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		pid, _, _ := strings.Cut(l, "\t")
		pids = append(pids, pid)
	}
	sort.Strings(pids)
	return pids
}

// TestSamplePass converts the sample repository from its database: every candidate Metacat
// would take, each broken row in its class, the local documents Metacat would still convert
// itself in theirs, the sysmeta without identifier row stored alone and listed.
func TestSamplePass(t *testing.T) {
	dsn := pgtest.SampleDB(t)
	store := newStore(t)
	dir := t.TempDir()
	src := openSample(t, dsn, time.UTC)
	t0 := src.T0()
	assert.Equal(t, int64(33), src.Len(), "30 systemmetadata rows, 2 documents without identifier row, 1 identifier without sysmeta")
	assert.Equal(t, "3.3.0", src.Version())
	assert.True(t, src.HasChecksumsTable())
	sum, err := pass(t, store, src, dir, func(o *converter.BulkOptions) { o.ChecksumsOut = filepath.Join(dir, "checksums.csv") })
	require.NoError(t, err)

	assert.Equal(t, int64(33), sum.Objects)
	assert.Equal(t, int64(23), sum.Succeeded)
	assert.Equal(t, map[converter.FailureClass]int64{
		converter.ClassNonMatchingChecksum: 1, converter.ClassNoSuchAlgorithm: 1, converter.ClassNoChecksumInSysmeta: 1,
		converter.ClassSizeMismatch: 1, converter.ClassFileNotFound: 1, converter.ClassInvalidSysmeta: 1,
		converter.ClassInvalidPID: 1, converter.ClassNoIdentifierRow: 2, converter.ClassNoSystemMetadata: 1,
	}, sum.Failures)
	assert.Equal(t, map[converter.NoteClass]int64{converter.NoteSysmetaOnly: 1}, sum.Notes)
	assert.Equal(t, []string{"autogen.2024010112999908.1", "sample.102.2"}, reportPIDs(t, sum.Reports[converter.ClassNoIdentifierRow]))
	assert.Equal(t, []string{pidNoSysmeta}, reportPIDs(t, sum.Reports[converter.ClassNoSystemMetadata]))
	assert.Equal(t, []string{pidNoIdentifier}, reportPIDs(t, sum.NoteReports[converter.NoteSysmetaOnly]))
	assert.Equal(t, []string{pidMismatch}, reportPIDs(t, sum.Reports[converter.ClassNonMatchingChecksum]))
	assert.Equal(t, []string{"urn:uuid:bad00000-0000-4000-8000-000000000007"}, reportPIDs(t, sum.Reports[converter.ClassInvalidSysmeta]))
	assert.Equal(t, int64(22*5), sum.ChecksumRows, "five rows for each object stored with data")

	require.NotNil(t, sum.T0)
	assert.True(t, sum.T0.Equal(t0), "the summary reports the snapshot's T0")
	assert.Contains(t, journalRecords(t, sum.Journal)[0], `"records":33`)
	head, err := os.ReadFile(sum.Journal)
	require.NoError(t, err)
	assert.Contains(t, string(head[:bytes.IndexByte(head, '\n')]), `"t0":"`+t0.UTC().Format(time.RFC3339Nano)+`"`, "the journal keeps T0")

	// The documents the sample holds in the marshaller's form are built as they are, and
	// stored so when their object converts.
	again := openSample(t, dsn, time.UTC)
	entries, _ := readAll(t, again)
	require.NoError(t, again.Close())
	files, err := filepath.Glob(filepath.Join(pgtest.SampleDir(), "sysmeta", "*.xml"))
	require.NoError(t, err)
	same := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if !bytes.HasPrefix(b, []byte(marshallerHead)) {
			continue
		}
		d, err := sysmeta.DecodeDocument(b)
		require.NoError(t, err)
		assert.Equal(t, string(b), string(entries[d.Identifier].Sysmeta), f)
		if d.Identifier == "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a" {
			continue // its file is not the one its row describes
		}
		assert.Equal(t, string(b), string(storedSysmeta(t, store, d.Identifier)), f)
		same++
	}
	assert.Equal(t, 2, same)

	// The sysmeta without identifier row is there, without an object.
	_, err = store.FindObject(context.Background(), pidNoIdentifier)
	require.Error(t, err)
	d, err := sysmeta.DecodeDocument(storedSysmeta(t, store, pidNoIdentifier))
	require.NoError(t, err)
	assert.True(t, *d.Archived, "an archived pid is converted too")
	info, err := store.FindObject(context.Background(), jtao)
	require.NoError(t, err)
	assert.NotEmpty(t, info.CID)
}

// TestTimestampsReadInTheGivenZone reads the sample's wall clock times as Los Angeles time:
// every date moves by that zone's offset on that day.
func TestTimestampsReadInTheGivenZone(t *testing.T) {
	dsn := pgtest.SampleDB(t)
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	dates := func(loc *time.Location) *sysmeta.Document {
		s := openSample(t, dsn, loc)
		defer s.Close()
		entries, _ := readAll(t, s)
		d, err := sysmeta.DecodeDocument(entries[jtao].Sysmeta)
		require.NoError(t, err)
		return d
	}
	utc, local := dates(time.UTC), dates(la)
	assert.Equal(t, "2019-11-02T00:28:25.503Z", utc.DateUploaded.Format(time.RFC3339Nano))
	assert.Equal(t, "2019-11-02T07:28:25.503Z", local.DateUploaded.Format(time.RFC3339Nano), "daylight saving time: 7 hours")
}

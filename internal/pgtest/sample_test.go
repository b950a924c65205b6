package pgtest

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/sysmeta"
)

// The pids of the cases testdata/metacat/db/README.md documents.
const (
	pidMissingFile  = "urn:uuid:bad00000-0000-4000-8000-000000000002"
	pidNoChecksum   = "urn:uuid:bad00000-0000-4000-8000-000000000006"
	pidMalformed    = "urn:uuid:bad00000-0000-4000-8000-000000000007"
	pidNoIdentifier = "urn:uuid:db000000-0000-4000-8000-000000000001"
	pidNoSysmeta    = "urn:uuid:db000000-0000-4000-8000-000000000002"
)

// sampleSysmetaRows is the number of systemmetadata rows in sample.sql: one per sysmeta/*.xml
// file (28), the malformed manifest line's pid, and pidNoIdentifier.
const sampleSysmetaRows = 30

// smRow is a systemmetadata row; NULL is nil.
type smRow struct {
	GUID                  string     `db:"guid"`
	SeriesID              *string    `db:"series_id"`
	SerialVersion         *string    `db:"serial_version"`
	DateUploaded          *time.Time `db:"date_uploaded"`
	RightsHolder          *string    `db:"rights_holder"`
	Checksum              *string    `db:"checksum"`
	ChecksumAlgorithm     *string    `db:"checksum_algorithm"`
	OriginMemberNode      *string    `db:"origin_member_node"`
	AuthoritiveMemberNode *string    `db:"authoritive_member_node"`
	DateModified          *time.Time `db:"date_modified"`
	Submitter             *string    `db:"submitter"`
	ObjectFormat          *string    `db:"object_format"`
	Size                  *string    `db:"size"`
	Archived              *bool      `db:"archived"`
	ReplicationAllowed    *bool      `db:"replication_allowed"`
	NumberReplicas        *int64     `db:"number_replicas"`
	Obsoletes             *string    `db:"obsoletes"`
	ObsoletedBy           *string    `db:"obsoleted_by"`
	MediaType             *string    `db:"media_type"`
	FileName              *string    `db:"file_name"`
}

// sideFields are the parts of a SystemMetadata document that package sysmeta does not decode
// and the side tables hold.
type sideFields struct {
	SerialVersion string    `xml:"serialVersion"`
	Checksum      *struct{} `xml:"checksum"`
	Allow         []rule    `xml:"accessPolicy>allow"`
	Replication   *struct {
		Allowed   *bool    `xml:"replicationAllowed,attr"`
		Number    *int64   `xml:"numberReplicas,attr"`
		Preferred []string `xml:"preferredMemberNode"`
		Blocked   []string `xml:"blockedMemberNode"`
	} `xml:"replicationPolicy"`
	Replicas  []replica `xml:"replica"`
	MediaType *struct{} `xml:"mediaType"`
	FileName  *string   `xml:"fileName"`
}

// rule is an allow rule of an access policy.
type rule struct {
	Subjects    []string `xml:"subject"`
	Permissions []string `xml:"permission"`
}

type replica struct {
	Node     string    `xml:"replicaMemberNode"`
	Status   string    `xml:"replicationStatus"`
	Verified time.Time `xml:"replicaVerified"`
}

// permissions turns an xml_access bit mask into the permissions Metacat reads from it: 7 is
// read, write, changePermission; otherwise bit 1 changePermission, 4 read, 2 write, in that
// order.
func permissions(mask int64) []string {
	if mask == 7 {
		return []string{"read", "write", "changePermission"}
	}
	var out []string
	for _, b := range []struct {
		bit  int64
		name string
	}{{1, "changePermission"}, {4, "read"}, {2, "write"}} {
		if mask&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

// nullable is the column value an optional element decodes to: NULL when absent (empty).
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func queryStrings(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// accessRules returns guid's allow rules as Metacat reads them: one rule per row, in row order.
func accessRules(t *testing.T, conn *pgx.Conn, guid string) []rule {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		"SELECT principal_name, permission FROM xml_access WHERE guid = $1 AND perm_type = 'allow' ORDER BY ctid", guid)
	require.NoError(t, err)
	var out []rule
	for rows.Next() {
		var subject string
		var mask int64
		require.NoError(t, rows.Scan(&subject, &mask))
		out = append(out, rule{[]string{subject}, permissions(mask)})
	}
	require.NoError(t, rows.Err())
	return out
}

func policyNodes(t *testing.T, conn *pgx.Conn, guid, kind string) []string {
	t.Helper()
	return queryStrings(t, conn,
		"SELECT member_node FROM smReplicationPolicy WHERE guid = $1 AND policy = $2 ORDER BY policy_id", guid, kind)
}

func sysmetaRow(t *testing.T, conn *pgx.Conn, guid string) smRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT * FROM systemMetadata WHERE guid = $1", guid)
	require.NoError(t, err)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[smRow])
	require.NoError(t, err, guid)
	return r
}

// TestSampleMatchesSysmetaXML checks that every sysmeta/*.xml file of the sample has the
// systemmetadata row and side-table rows from which Metacat builds the same field values.
func TestSampleMatchesSysmetaXML(t *testing.T) {
	t.Parallel()
	conn := open(t, SampleDB(t))
	files, err := filepath.Glob(filepath.Join(SampleDir(), "sysmeta", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 28)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		var side sideFields
		require.NoError(t, xml.Unmarshal(data, &side), file)
		sm, err := sysmeta.Parse(data)
		if side.Checksum == nil {
			// sysmeta.Parse refuses a document without a checksum; the row has NULLs.
			require.ErrorIs(t, err, sysmeta.ErrMissingField, file)
			r := sysmetaRow(t, conn, pidNoChecksum)
			assert.Nil(t, r.Checksum)
			assert.Nil(t, r.ChecksumAlgorithm)
			continue
		}
		require.NoError(t, err, file)
		r := sysmetaRow(t, conn, sm.Identifier)
		name := filepath.Base(file)

		require.NotNil(t, r.Size, name)
		size, err := strconv.ParseInt(*r.Size, 10, 64)
		require.NoError(t, err, name)
		assert.Equal(t, sm.Size, size, name)
		assert.Equal(t, &sm.Checksum, r.Checksum, name)
		assert.Equal(t, &sm.ChecksumAlgorithm, r.ChecksumAlgorithm, name)
		assert.Equal(t, &sm.FormatID, r.ObjectFormat, name)
		assert.Equal(t, nullable(sm.Submitter), r.Submitter, name)
		assert.Equal(t, nullable(sm.RightsHolder), r.RightsHolder, name)
		assert.Equal(t, nullable(sm.OriginMemberNode), r.OriginMemberNode, name)
		assert.Equal(t, nullable(sm.AuthoritativeMemberNode), r.AuthoritiveMemberNode, name)
		assert.Equal(t, nullable(sm.Obsoletes), r.Obsoletes, name)
		assert.Equal(t, nullable(sm.ObsoletedBy), r.ObsoletedBy, name)
		assert.Equal(t, nullable(sm.SeriesID), r.SeriesID, name)
		assert.Equal(t, sm.Archived, r.Archived, name)
		require.NotNil(t, r.DateUploaded, name)
		require.NotNil(t, r.DateModified, name)
		assert.Equal(t, sm.DateUploaded.UTC(), r.DateUploaded.UTC(), name)
		assert.Equal(t, sm.DateSysMetadataModified.UTC(), r.DateModified.UTC(), name)

		assert.Equal(t, &side.SerialVersion, r.SerialVersion, name)
		assert.Equal(t, side.FileName, r.FileName, name)
		assert.Nil(t, side.MediaType, name)
		assert.Nil(t, r.MediaType, name)
		assert.Equal(t, side.Allow, accessRules(t, conn, r.GUID), name)
		if rp := side.Replication; rp == nil {
			// Absent in the XML: NULL and "not set". Metacat still writes a policy for it.
			assert.Nil(t, r.ReplicationAllowed, name)
			assert.Equal(t, int64(-1), *r.NumberReplicas, name)
			assert.Empty(t, policyNodes(t, conn, r.GUID, "preferred"), name)
			assert.Empty(t, policyNodes(t, conn, r.GUID, "blocked"), name)
		} else {
			assert.Equal(t, rp.Allowed, r.ReplicationAllowed, name)
			want := int64(-1)
			if rp.Number != nil {
				want = *rp.Number
			}
			assert.Equal(t, want, *r.NumberReplicas, name)
			assert.Equal(t, rp.Preferred, nilIfEmpty(policyNodes(t, conn, r.GUID, "preferred")), name)
			assert.Equal(t, rp.Blocked, nilIfEmpty(policyNodes(t, conn, r.GUID, "blocked")), name)
		}
		rows, err := conn.Query(context.Background(),
			"SELECT member_node, lower(status), date_verified FROM smReplicationStatus WHERE guid = $1 ORDER BY ctid", r.GUID)
		require.NoError(t, err)
		replicas, err := pgx.CollectRows(rows, pgx.RowToStructByPos[replica])
		require.NoError(t, err)
		for i := range side.Replicas {
			side.Replicas[i].Verified = side.Replicas[i].Verified.UTC()
		}
		assert.Equal(t, side.Replicas, nilIfEmptyReplicas(replicas), name)
	}

	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM systemMetadata").Scan(&n))
	assert.Equal(t, sampleSysmetaRows, n)
	assert.Equal(t, len(files)+2, n, "one row per XML file, plus the malformed line's and the database-only pid")
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyReplicas(s []replica) []replica {
	if len(s) == 0 {
		return nil
	}
	return s
}

// manifestEntry is a line of the sample's manifest.csv.
type manifestEntry struct{ pid, path string }

// sampleManifest returns the manifest's entries, each pid once.
func sampleManifest(t *testing.T) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(SampleDir(), "manifest.csv"))
	require.NoError(t, err)
	defer f.Close()
	lines, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	var out []manifestEntry
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		if !seen[l[0]] {
			seen[l[0]] = true
			out = append(out, manifestEntry{l[0], l[1]})
		}
	}
	return out
}

// TestSampleRowsLocateFiles checks that each manifest pid's identifier row names its file, found
// where Metacat looks (documents/, then data/), and that every file of the sample is named by
// exactly one identifier row.
func TestSampleRowsLocateFiles(t *testing.T) {
	t.Parallel()
	conn := open(t, SampleDB(t))
	entries := sampleManifest(t)
	require.Len(t, entries, 29)
	for _, e := range entries {
		var docid string
		var rev int64
		require.NoError(t, conn.QueryRow(context.Background(),
			"SELECT docid, rev FROM identifier WHERE guid = $1", e.pid).Scan(&docid, &rev), e.pid)
		localID := docid + "." + strconv.FormatInt(rev, 10)
		assert.Equal(t, filepath.Base(e.path), localID, e.pid)

		var doctype string
		require.NoError(t, conn.QueryRow(context.Background(),
			"SELECT doctype FROM xml_documents WHERE docid = $1 AND rev = $2", docid, rev).Scan(&doctype), e.pid)
		assert.Equal(t, strings.HasPrefix(e.path, "data/"), doctype == "BIN", e.pid)

		found := ""
		for _, dir := range []string{"documents", "data"} {
			if _, err := os.Stat(filepath.Join(SampleDir(), dir, localID)); err == nil {
				found = dir + "/" + localID
				break
			}
		}
		if e.pid == pidMissingFile || e.pid == pidMalformed {
			assert.Empty(t, found, e.pid)
		} else {
			assert.Equal(t, e.path, found, e.pid)
		}
	}

	named := map[string]int{}
	for _, id := range queryStrings(t, conn, "SELECT docid || '.' || rev FROM identifier") {
		named[id]++
	}
	for _, dir := range []string{"documents", "data"} {
		files, err := os.ReadDir(filepath.Join(SampleDir(), dir))
		require.NoError(t, err)
		for _, f := range files {
			assert.Equal(t, 1, named[f.Name()], "%s/%s", dir, f.Name())
		}
	}
}

// TestSampleCandidates runs Metacat's three candidate queries (docid.rev without identifier
// row; sysmeta without checksums rows; identifier row of a local document without sysmeta) and
// checks they find exactly the cases the README lists.
func TestSampleCandidates(t *testing.T) {
	t.Parallel()
	conn := open(t, SampleDB(t))
	const local = "(SELECT docid, rev FROM xml_documents UNION SELECT docid, rev FROM xml_revisions) d"
	partA := queryStrings(t, conn, "SELECT d.docid || '.' || d.rev FROM "+local+
		" WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.docid = d.docid AND i.rev = d.rev)")
	assert.Equal(t, []string{"autogen.2024010112999908.1", "sample.102.2"}, sorted(partA))

	partB := queryStrings(t, conn, "SELECT s.guid FROM systemMetadata s"+
		" WHERE NOT EXISTS (SELECT 1 FROM checksums c WHERE c.guid = s.guid)")
	assert.Len(t, partB, sampleSysmetaRows, "nothing is converted yet")

	partC := queryStrings(t, conn, "SELECT i.guid FROM identifier i JOIN "+local+" ON i.docid = d.docid AND i.rev = d.rev"+
		" WHERE NOT EXISTS (SELECT 1 FROM systemMetadata s WHERE s.guid = i.guid)")
	assert.Equal(t, []string{pidNoSysmeta}, partC)

	noIdentifier := queryStrings(t, conn, "SELECT s.guid FROM systemMetadata s"+
		" WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.guid = s.guid)")
	assert.Equal(t, []string{pidNoIdentifier}, noIdentifier)

	var malformed string
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT size FROM systemMetadata WHERE guid = $1", pidMalformed).Scan(&malformed))
	assert.Equal(t, "12kB", malformed)
}

// TestSampleDatabaseOnlyRows checks the rows that exercise what the sample's XML files do not:
// the side tables of pidNoIdentifier, bit masks Metacat only reads, the event log and the
// conversion status.
func TestSampleDatabaseOnlyRows(t *testing.T) {
	t.Parallel()
	conn := open(t, SampleDB(t))
	assert.Equal(t, []rule{
		{[]string{"public"}, []string{"read"}},
		{[]string{"CN=sample-editors,DC=dataone,DC=org"}, []string{"read", "write"}},
		{[]string{"http://orcid.org/0000-0000-0000-0003"}, []string{"changePermission", "read"}},
	}, accessRules(t, conn, pidNoIdentifier), "the deny row is not read")
	assert.Equal(t, []string{"http://orcid.org/0000-0000-0000-0004"}, queryStrings(t, conn,
		"SELECT principal_name FROM xml_access WHERE guid = $1 AND perm_type = 'deny'", pidNoIdentifier))
	assert.Equal(t, []string{"urn:node:KNB", "urn:node:ARCTIC"}, policyNodes(t, conn, pidNoIdentifier, "preferred"))
	assert.Equal(t, []string{"urn:node:SAMPLE"}, policyNodes(t, conn, pidNoIdentifier, "blocked"))
	assert.Equal(t, []string{"header=present", "delimiter=,"}, queryStrings(t, conn,
		"SELECT name || '=' || value FROM smMediaTypeProperties WHERE guid = $1 ORDER BY ctid", pidNoIdentifier))
	r := sysmetaRow(t, conn, pidNoIdentifier)
	assert.NotNil(t, r.SeriesID)
	assert.Equal(t, "text/csv", *r.MediaType)
	assert.True(t, *r.Archived)

	assert.Equal(t, []string{"sample.105.2"}, queryStrings(t, conn,
		"SELECT i.docid || '.' || i.rev FROM identifier i JOIN xml_revisions r ON r.docid = i.docid AND r.rev = i.rev WHERE i.guid = $1",
		pidNoSysmeta))

	// One create per manifest pid, entry ids in time order.
	var creates int
	var ordered bool
	require.NoError(t, conn.QueryRow(context.Background(), `
		SELECT count(*) FILTER (WHERE event = 'create'),
		       bool_and(date_logged >= prev)
		FROM (SELECT event, date_logged, lag(date_logged, 1, '-infinity') OVER (ORDER BY entryid) AS prev FROM access_log) l`,
	).Scan(&creates, &ordered))
	assert.Equal(t, 29, creates)
	assert.True(t, ordered)

	assert.Equal(t, []string{"pending"}, queryStrings(t, conn,
		"SELECT storage_upgrade_status::text FROM version_history WHERE version = '3.1.0'"))
	assert.Equal(t, []string{"3.3.0"}, queryStrings(t, conn, "SELECT version FROM version_history WHERE status = 1"))
}

package metacat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/sysmeta"
)

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: true} }
func int8v(n int64) pgtype.Int8 { return pgtype.Int8{Int64: n, Valid: true} }

// stamp is a timestamp without time zone holding the wall clock time given.
func stamp(s string) pgtype.Timestamp {
	t, err := time.Parse("2006-01-02 15:04:05.000000", s)
	if err != nil {
		panic(err)
	}
	return pgtype.Timestamp{Time: t, Valid: true}
}

// goodRow is a systemmetadata row every column of which Metacat reads without trouble.
func goodRow() smRow {
	return smRow{guid: "urn:uuid:x", serialVersion: text("3"), size: text("42"), checksum: text("abc"),
		checksumAlgorithm: text("MD5"), objectFormat: text("text/csv"), rightsHolder: text("CN=r"),
		numberReplicas: int8v(-1), dateUploaded: stamp("2020-01-02 03:04:05.678901")}
}

func buildOK(t *testing.T, r smRow, side sideRows) *sysmeta.Document {
	t.Helper()
	d, err := build(&r, &side, time.UTC)
	require.NoError(t, err)
	_, err = d.Encode()
	require.NoError(t, err)
	return d
}

// refused requires the row to be refused with class and a message containing want.
func refused(t *testing.T, r smRow, side sideRows, class converter.FailureClass, want string) {
	t.Helper()
	_, err := encode(&r, &side, time.UTC)
	var re *rowError
	require.True(t, errors.As(err, &re), "want a row error, got %v", err)
	assert.Equal(t, class, re.class)
	assert.Contains(t, re.msg, want)
}

func TestScalarColumns(t *testing.T) {
	d := buildOK(t, goodRow(), sideRows{})
	assert.Equal(t, uint64(3), *d.SerialVersion)
	assert.Equal(t, uint64(42), d.Size)
	assert.Equal(t, sysmeta.Checksum{Algorithm: "MD5", Value: "abc"}, d.Checksum)
	assert.False(t, *d.Archived, "archived NULL reads as false and is always written")
	require.NotNil(t, d.ReplicationPolicy, "a replication policy is always attached")
	assert.False(t, *d.ReplicationPolicy.ReplicationAllowed, "replication_allowed NULL reads as false")
	assert.Nil(t, d.ReplicationPolicy.NumberReplicas, "-1 leaves numberReplicas unset")
	assert.Nil(t, d.Submitter)
	assert.Nil(t, d.FileName)
	assert.Nil(t, d.DateSysMetadataModified)
	assert.Equal(t, "2020-01-02T03:04:05.678901Z", d.DateUploaded.UTC().Format(time.RFC3339Nano))

	r := goodRow()
	r.serialVersion, r.size, r.numberReplicas = text("+7"), text("-0"), int8v(0)
	r.fileName, r.submitter = text(""), text("CN=s")
	r.archived, r.replicationAllowed = pgtype.Bool{Bool: true, Valid: true}, pgtype.Bool{Bool: true, Valid: true}
	d = buildOK(t, r, sideRows{})
	assert.Equal(t, uint64(7), *d.SerialVersion, "a leading + is accepted, as Java's BigInteger does")
	assert.Equal(t, uint64(0), d.Size)
	assert.Equal(t, int32(0), *d.ReplicationPolicy.NumberReplicas, "0 is written")
	assert.Equal(t, "", *d.FileName, "an empty file name is written")
	assert.True(t, *d.Archived)
	assert.True(t, *d.ReplicationPolicy.ReplicationAllowed)
}

func TestRowsMetacatFailsOn(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*smRow)
		class  converter.FailureClass
		want   string
	}{
		{"serial_version NULL", func(r *smRow) { r.serialVersion = pgtype.Text{} }, converter.ClassInvalidSysmeta, "serial_version is NULL"},
		{"size NULL", func(r *smRow) { r.size = pgtype.Text{} }, converter.ClassInvalidSysmeta, "size is NULL"},
		{"size text", func(r *smRow) { r.size = text("12kB") }, converter.ClassInvalidSysmeta, `size "12kB" is not a number`},
		{"size spaced", func(r *smRow) { r.size = text(" 12") }, converter.ClassInvalidSysmeta, "is not a number"},
		{"size negative", func(r *smRow) { r.size = text("-1") }, converter.ClassInvalidSysmeta, "is negative"},
		{"size huge", func(r *smRow) { r.size = text("18446744073709551616") }, converter.ClassInvalidSysmeta, "too large"},
		{"number_replicas NULL", func(r *smRow) { r.numberReplicas = pgtype.Int8{} }, converter.ClassInvalidSysmeta, "number_replicas is NULL"},
		{"number_replicas over 32 bits", func(r *smRow) { r.numberReplicas = int8v(1 << 31) }, converter.ClassInvalidSysmeta, "32-bit"},
		{"checksum NULL", func(r *smRow) { r.checksum = pgtype.Text{} }, converter.ClassNoChecksumInSysmeta, "checksum NULL"},
		{"algorithm blank", func(r *smRow) { r.checksumAlgorithm = text(" ") }, converter.ClassNoChecksumInSysmeta, "no checksum"},
		{"object_format NULL", func(r *smRow) { r.objectFormat = pgtype.Text{} }, converter.ClassInvalidSysmeta, "object_format is NULL"},
		{"object_format empty", func(r *smRow) { r.objectFormat = text("") }, converter.ClassInvalidSysmeta, "(column object_format)"},
		{"rights_holder NULL", func(r *smRow) { r.rightsHolder = pgtype.Text{} }, converter.ClassInvalidSysmeta, "rights_holder is NULL"},
		{"rights_holder blank", func(r *smRow) { r.rightsHolder = text("  ") }, converter.ClassInvalidSysmeta, "(column rights_holder)"},
		{"submitter empty", func(r *smRow) { r.submitter = text("") }, converter.ClassInvalidSysmeta, "(column submitter)"},
		{"obsoletes with a space", func(r *smRow) { r.obsoletes = text("a b") }, converter.ClassInvalidSysmeta, "(column obsoletes)"},
		{"date infinite", func(r *smRow) { r.dateModified = pgtype.Timestamp{Valid: true, InfinityModifier: pgtype.Infinity} }, converter.ClassInvalidSysmeta, "date_modified is infinite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := goodRow()
			c.change(&r)
			refused(t, r, sideRows{}, c.class, c.want)
		})
	}
}

func allow(principal string, mask int64) accessRow {
	return accessRow{principal: text(principal), permission: int8v(mask), permType: text("allow"), permOrder: text("allowFirst")}
}

func TestAccessRowsAsMetacatReadsThem(t *testing.T) {
	deny := allow("public", 7)
	deny.permType = text("deny")
	zero := allow("nobody", 0)
	zero.principal = pgtype.Text{} // never read: the rule has no permission
	noMask := allow("nobody", 0)
	noMask.permission = pgtype.Int8{}
	wide := allow("wide", 1<<32|4)
	d := buildOK(t, goodRow(), sideRows{access: []accessRow{
		allow("a", 7), deny, allow("b", 5), zero, allow("c", 6), allow("a", 4), noMask, allow("d", 15), wide, allow("e", 3),
	}})
	r, w, c := sysmeta.PermissionRead, sysmeta.PermissionWrite, sysmeta.PermissionChangePermission
	assert.Equal(t, []sysmeta.AccessRule{
		{Subjects: []string{"a"}, Permissions: []sysmeta.Permission{r, w, c}},
		{Subjects: []string{"b"}, Permissions: []sysmeta.Permission{c, r}},
		{Subjects: []string{"c"}, Permissions: []sysmeta.Permission{r, w}},
		{Subjects: []string{"a"}, Permissions: []sysmeta.Permission{r}},
		{Subjects: []string{"d"}, Permissions: []sysmeta.Permission{c, r, w}},
		{Subjects: []string{"wide"}, Permissions: []sysmeta.Permission{r}},
		{Subjects: []string{"e"}, Permissions: []sysmeta.Permission{c, w}},
	}, d.AccessPolicy, "one rule per allow row, in row order, never merged; deny rows and rules without permission dropped")

	// perm_order: leading NULLs (and empty strings) are tolerated, then every row must agree.
	lead := allow("x", 4)
	lead.permOrder = pgtype.Text{}
	empty := allow("y", 4)
	empty.permOrder = text("")
	buildOK(t, goodRow(), sideRows{access: []accessRow{lead, empty, allow("z", 4)}})
	other := allow("z", 4)
	other.permOrder = text("denyFirst")
	refused(t, goodRow(), sideRows{access: []accessRow{allow("x", 4), other}}, converter.ClassInvalidSysmeta, "conflicting perm_order")
	refused(t, goodRow(), sideRows{access: []accessRow{allow("x", 4), lead}}, converter.ClassInvalidSysmeta, "conflicting perm_order")

	noType := allow("x", 4)
	noType.permType = text("")
	refused(t, goodRow(), sideRows{access: []accessRow{noType}}, converter.ClassInvalidSysmeta, "perm_type")
	noPrincipal := allow("", 4)
	refused(t, goodRow(), sideRows{access: []accessRow{noPrincipal}}, converter.ClassInvalidSysmeta, "principal_name")
	blank := allow(" ", 4)
	refused(t, goodRow(), sideRows{access: []accessRow{blank}}, converter.ClassInvalidSysmeta, "table xml_access")
}

func TestSideTables(t *testing.T) {
	r := goodRow()
	r.mediaType = text("text/csv")
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	side := sideRows{
		policies: []policyRow{{memberNode: text("urn:node:B1"), policy: "blocked"}, {memberNode: text("urn:node:P1"), policy: "preferred"},
			{memberNode: text("urn:node:B2"), policy: "blocked"}},
		replicas: []replicaRow{{memberNode: text("urn:node:R"), status: text("COMPLETED"), verified: stamp("2021-07-01 12:00:00.000000")}},
		properties: []propertyRow{{name: text("charset"), value: text("utf-8")}, {name: text("header")},
			{name: text("charset"), value: text("utf-8")}},
	}
	d, err := build(&r, &side, la)
	require.NoError(t, err)
	assert.Equal(t, []string{"urn:node:P1"}, d.ReplicationPolicy.PreferredMemberNodes)
	assert.Equal(t, []string{"urn:node:B1", "urn:node:B2"}, d.ReplicationPolicy.BlockedMemberNodes)
	require.Len(t, d.Replicas, 1)
	assert.Equal(t, sysmeta.StatusCompleted, d.Replicas[0].Status)
	assert.Equal(t, "2021-07-01T19:00:00Z", d.Replicas[0].Verified.UTC().Format(time.RFC3339),
		"a wall clock time of Los Angeles in July is 7 hours behind UTC")
	assert.Equal(t, "2020-01-02T11:04:05.678901Z", d.DateUploaded.UTC().Format(time.RFC3339Nano), "and in January 8")
	require.NotNil(t, d.MediaType)
	assert.Equal(t, []sysmeta.MediaTypeProperty{{Name: "charset", Value: new("utf-8")}, {Name: "header"},
		{Name: "charset", Value: new("utf-8")}}, d.MediaType.Properties, "duplicates kept, a NULL value is no content")
	b, err := d.Encode()
	require.NoError(t, err)
	assert.Contains(t, string(b), `<property name="header"/>`)

	r.mediaType = pgtype.Text{}
	d = buildOK(t, r, side)
	assert.Nil(t, d.MediaType, "properties without media_type are ignored")

	for _, c := range []struct {
		name string
		side sideRows
		want string
	}{
		{"status in lower case", sideRows{replicas: []replicaRow{{memberNode: text("n"), status: text("completed"), verified: stamp("2021-07-01 12:00:00.000000")}}}, `status "completed"`},
		{"status NULL", sideRows{replicas: []replicaRow{{memberNode: text("n"), verified: stamp("2021-07-01 12:00:00.000000")}}}, "status NULL"},
		{"verified NULL", sideRows{replicas: []replicaRow{{memberNode: text("n"), status: text("QUEUED")}}}, "date_verified is NULL"},
		{"replica node NULL", sideRows{replicas: []replicaRow{{status: text("QUEUED"), verified: stamp("2021-07-01 12:00:00.000000")}}}, "member_node is NULL"},
		{"policy node NULL", sideRows{policies: []policyRow{{policy: "preferred"}}}, "member_node NULL"},
	} {
		t.Run(c.name, func(t *testing.T) { refused(t, goodRow(), c.side, converter.ClassInvalidSysmeta, c.want) })
	}
	r.mediaType = text("text/csv")
	refused(t, r, sideRows{properties: []propertyRow{{value: text("v")}}}, converter.ClassInvalidSysmeta, "name NULL")
}

func TestLocalFiles(t *testing.T) {
	assert.Equal(t, "knb.12.3", localID(text("knb.12"), int8v(3)))
	assert.Equal(t, "null.0", localID(pgtype.Text{}, pgtype.Int8{}), "Java's string of NULLs")
	dir := t.TempDir()
	f := files{documents: dir + "/documents", data: dir + "/data"}
	for _, bad := range []string{"../etc/passwd.1", "a/b.1", ".", ".."} {
		_, _, err := f.path(bad)
		require.Error(t, err, bad)
		assert.True(t, strings.Contains(err.Error(), "not a file name"), err.Error())
	}
	p, fi, err := f.path("x.1")
	require.NoError(t, err)
	assert.Equal(t, dir+"/data/x.1", p, "neither exists: the data directory's name, which fails as not found")
	assert.Nil(t, fi)

	// Where the file is, its state comes with it (the pipeline does not stat it again).
	for _, sub := range []string{"data", "documents"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, sub, "x.1"), []byte(sub), 0o644))
		p, fi, err = f.path("x.1")
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, sub, "x.1"), p)
		require.NotNil(t, fi, sub)
		assert.Equal(t, int64(len(sub)), fi.Size(), "the state of the file found")
	}
}

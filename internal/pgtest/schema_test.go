package pgtest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaColumns is what the converter may rely on: every table of schema.sql with its columns
// in order, as PostgreSQL reports their names (folded to lower case), types and NOT NULL.
var schemaColumns = map[string]string{
	"identifier": "guid text NOT NULL, docid character varying(250), rev bigint",
	"systemmetadata": "guid text NOT NULL, series_id text, serial_version character varying(256), " +
		"date_uploaded timestamp without time zone, rights_holder character varying(250), checksum character varying(512), " +
		"checksum_algorithm character varying(250), origin_member_node character varying(250), " +
		"authoritive_member_node character varying(250), date_modified timestamp without time zone, " +
		"submitter character varying(256), object_format character varying(256), size character varying(256), " +
		"archived boolean, replication_allowed boolean, number_replicas bigint, obsoletes text, obsoleted_by text, " +
		"media_type text, file_name text",
	"smmediatypeproperties": "guid text, name text, value text",
	"smreplicationpolicy":   "policy_id bigint, guid text, member_node character varying(250), policy text",
	"smreplicationstatus":   "guid text, member_node character varying(250), status character varying(250), date_verified timestamp without time zone",
	"xml_access": "guid text, accessfileid text, principal_name character varying(100), permission bigint, " +
		"perm_type character varying(32), perm_order character varying(32), begin_time date, end_time date, " +
		"ticket_count bigint, subtreeid character varying(32), startnodeid bigint, endnodeid bigint",
	"xml_documents": "docid character varying(250) NOT NULL, rootnodeid bigint, docname character varying(100), " +
		"doctype character varying(100), user_owner character varying(100), user_updated character varying(100), " +
		"rev bigint, date_created date, date_updated date, catalog_id bigint",
	"xml_revisions": "revisionid bigint NOT NULL, docid character varying(250), rootnodeid bigint, docname character varying(100), " +
		"doctype character varying(100), user_owner character varying(100), user_updated character varying(100), " +
		"rev bigint, date_created date, date_updated date, catalog_id bigint",
	"checksums": "checksum_id bigint, guid text NOT NULL, checksum character varying(512) NOT NULL, " +
		"checksum_algorithm character varying(250) NOT NULL",
	"version_history": "version_history_id bigint NOT NULL, version character varying(250), status bigint, " +
		"date_created timestamp without time zone, solr_upgraded boolean, storage_upgrade_status version_history_upgrade_status",
	"access_log": "entryid bigint NOT NULL, ip_address character varying(512), user_agent character varying(512), " +
		"principal character varying(512), docid character varying(250), event character varying(512), " +
		"date_logged timestamp without time zone",
}

// columns returns each table of the public schema with its columns, in the form of schemaColumns.
func columns(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
		       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
		GROUP BY c.relname`)
	require.NoError(t, err)
	got := map[string]string{}
	for rows.Next() {
		var table, cols string
		require.NoError(t, rows.Scan(&table, &cols))
		got[table] = cols
	}
	require.NoError(t, rows.Err())
	return got
}

// constraints returns the public schema's primary and foreign keys as name → "p" or "f",
// with " deferrable" for a deferrable one.
func constraints(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT conname, contype::text || CASE WHEN condeferrable THEN ' deferrable' ELSE '' END
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'f')`)
	require.NoError(t, err)
	got := map[string]string{}
	for rows.Next() {
		var name, kind string
		require.NoError(t, rows.Scan(&name, &kind))
		got[name] = kind
	}
	require.NoError(t, rows.Err())
	return got
}

func TestSchemaHasMetacatTables(t *testing.T) {
	t.Parallel()
	conn := open(t, DB(t, SchemaPath()))
	assert.Equal(t, schemaColumns, columns(t, conn))
	assert.Equal(t, map[string]string{
		"identifier_pk": "p", "systemmetadata_pk": "p", "xml_documents_pk": "p", "xml_revisions_pk": "p",
		"version_history_pk": "p", "access_log_pk": "p",
		"smmediatypeproperties_fk": "f deferrable", "smreplicationpolicy_fk": "f deferrable",
		"smreplicationstatus_fk": "f deferrable", "checksums_fk": "f deferrable",
	}, constraints(t, conn))
	var labels []string
	require.NoError(t, conn.QueryRow(context.Background(),
		"SELECT enum_range(NULL::version_history_upgrade_status)::text[]").Scan(&labels))
	assert.Equal(t, []string{"in progress", "failed", "complete", "not required", "pending"}, labels)
}

func TestPre31HasNoChecksumsTable(t *testing.T) {
	t.Parallel()
	conn := open(t, DB(t, SchemaPath(), SamplePath(), Pre31Path()))
	want := map[string]string{}
	for table, cols := range schemaColumns {
		want[table] = cols
	}
	delete(want, "checksums")
	delete(want, "version_history")
	want["db_version"] = "db_version_id bigint NOT NULL, version character varying(250), status bigint, " +
		"date_created timestamp without time zone, solr_upgraded boolean"
	assert.Equal(t, want, columns(t, conn))

	var enum *string
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT to_regtype('version_history_upgrade_status')::text").Scan(&enum))
	assert.Nil(t, enum)
	rows, err := conn.Query(context.Background(), "SELECT version, status FROM db_version ORDER BY db_version_id")
	require.NoError(t, err)
	type version struct {
		Version string
		Status  int64
	}
	versions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[version])
	require.NoError(t, err)
	assert.Equal(t, []version{{"3.0.0", 1}}, versions)
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM systemmetadata").Scan(&n))
	assert.Equal(t, sampleSysmetaRows, n, "the sample rows survive")
}

// TestSchemaAndSampleApplyWithPsql checks the files are what psql -v ON_ERROR_STOP=1 accepts,
// as the README promises, not only what pgx accepts.
func TestSchemaAndSampleApplyWithPsql(t *testing.T) {
	t.Parallel()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	for _, files := range [][]string{{SchemaPath(), SamplePath()}, {SchemaPath(), SamplePath(), Pre31Path()}} {
		dsn := DB(t)
		args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		cmd := exec.Command(psql, args...)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Empty(t, string(out))
		var n int
		require.NoError(t, open(t, dsn).QueryRow(context.Background(), "SELECT count(*) FROM systemmetadata").Scan(&n))
		assert.Equal(t, sampleSysmetaRows, n)
	}
}

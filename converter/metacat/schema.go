package metacat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrNotMetacat is matched by the error of Open for a database that lacks a table or column
// the source reads: the message names every one missing.
var ErrNotMetacat = errors.New("not a Metacat 3.x database")

// ErrNoChecksumsTable is matched by the error of loading checksums into a database that has no
// checksums table: Metacat's 3.1 upgrade has not run on it.
var ErrNoChecksumsTable = errors.New("the database has no checksums table (Metacat's 3.1 upgrade has not run on it)")

// required lists the tables and columns the source reads, as Metacat 3.x names them.
var required = []struct {
	table   string
	columns []string
}{
	{"systemmetadata", []string{"guid", "series_id", "serial_version", "date_uploaded", "rights_holder", "checksum",
		"checksum_algorithm", "origin_member_node", "authoritive_member_node", "date_modified", "submitter",
		"object_format", "size", "archived", "replication_allowed", "number_replicas", "obsoletes", "obsoleted_by",
		"media_type", "file_name"}},
	{"identifier", []string{"guid", "docid", "rev"}},
	{"xml_access", []string{"guid", "principal_name", "permission", "perm_type", "perm_order"}},
	{"smreplicationpolicy", []string{"policy_id", "guid", "member_node", "policy"}},
	{"smreplicationstatus", []string{"guid", "member_node", "status", "date_verified"}},
	{"smmediatypeproperties", []string{"guid", "name", "value"}},
	{"xml_documents", []string{"docid", "rev"}},
	{"xml_revisions", []string{"docid", "rev"}},
}

// checksumsColumns are the columns of the checksums table that loading writes.
var checksumsColumns = []string{"guid", "checksum", "checksum_algorithm"}

// columnsOf returns the columns of each of the tables (found through the search path, as
// Metacat's unqualified queries find them); a table that does not exist is absent.
func columnsOf(ctx context.Context, q pgx.Tx, tables []string) (map[string][]string, error) {
	rows, err := q.Query(ctx, `
		SELECT t.name, a.attname
		FROM unnest($1::text[]) AS t(name)
		JOIN pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped`, tables)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	var table, col string
	_, err = pgx.ForEachRow(rows, []any{&table, &col}, func() error {
		out[table] = append(out[table], col)
		return nil
	})
	return out, err
}

// checkSchema refuses a database without the tables and columns the source reads, naming
// each one missing, and reports whether it has the checksums table of Metacat 3.1.
func checkSchema(ctx context.Context, tx pgx.Tx) (hasChecksums bool, err error) {
	tables := []string{"checksums"}
	for _, r := range required {
		tables = append(tables, r.table)
	}
	have, err := columnsOf(ctx, tx, tables)
	if err != nil {
		return false, fmt.Errorf("reading the schema: %w", err)
	}
	var missing []string
	for _, r := range required {
		cols, ok := have[r.table]
		if !ok {
			missing = append(missing, "table "+r.table)
			continue
		}
		for _, c := range r.columns {
			if !slices.Contains(cols, c) {
				missing = append(missing, "column "+r.table+"."+c)
			}
		}
	}
	if len(missing) > 0 {
		return false, fmt.Errorf("%w: %s missing", ErrNotMetacat, strings.Join(missing, ", "))
	}
	cols, ok := have["checksums"]
	if !ok {
		return false, nil
	}
	for _, c := range checksumsColumns {
		if !slices.Contains(cols, c) {
			return false, fmt.Errorf("%w: column checksums.%s missing", ErrNotMetacat, c)
		}
	}
	return true, nil
}

// schemaVersion is the version Metacat's version table marks as current ("" if there is no
// such table or row), for messages. Before Metacat 3.1 the table was db_version.
func schemaVersion(ctx context.Context, outer pgx.Tx) string {
	// In a savepoint: a failing query must not abort the snapshot transaction.
	tx, err := outer.Begin(ctx)
	if err != nil {
		return ""
	}
	defer tx.Rollback(ctx)
	var table string
	if tx.QueryRow(ctx, `SELECT CASE WHEN to_regclass('version_history') IS NOT NULL THEN 'version_history'
		WHEN to_regclass('db_version') IS NOT NULL THEN 'db_version' ELSE '' END`).Scan(&table) != nil || table == "" {
		return ""
	}
	var v string
	_ = tx.QueryRow(ctx, `SELECT coalesce((SELECT version FROM `+table+` WHERE status = 1 LIMIT 1), '')`).Scan(&v)
	return v
}

package metacat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoSystemMetadata is returned by BuildOne for a pid without a systemmetadata row.
var ErrNoSystemMetadata = errors.New("no system metadata")

// BuildOne builds the system metadata of one pid the way Metacat reads it: one query per
// table (the systemmetadata row, the identifier row, the access rules, the preferred and the
// blocked member nodes, the replicas, the media type's properties), each as Metacat writes
// it, without an ORDER BY but for the member nodes. It returns the document's bytes, or a
// refusal naming the column as a pass does. A pass (Open) reads every table once instead; this
// is Metacat's per-pid pattern, for looking at one pid and for comparison.
func BuildOne(ctx context.Context, q *pgx.Conn, pid string, loc *time.Location) ([]byte, error) {
	var r smRow
	targets := r.scanTargets()
	err := q.QueryRow(ctx, `SELECT guid, series_id, serial_version, date_uploaded, rights_holder, checksum,
		checksum_algorithm, origin_member_node, authoritive_member_node, date_modified, submitter, object_format,
		size, archived, replication_allowed, number_replicas, obsoletes, obsoleted_by, media_type, file_name
		FROM systemmetadata WHERE guid = $1`, pid).Scan(targets[:20]...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%q: %w", pid, ErrNoSystemMetadata)
	}
	if err != nil {
		return nil, err
	}
	err = q.QueryRow(ctx, `SELECT docid, rev FROM identifier WHERE guid = $1`, pid).Scan(&r.docid, &r.rev)
	switch {
	case err == nil:
		r.hasIdentifier = true
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, err
	}
	var side sideRows
	if side.access, err = perPID[accessRow](ctx, q, `SELECT guid, principal_name, permission, perm_type, perm_order FROM xml_access WHERE guid = $1`, pid); err != nil {
		return nil, err
	}
	for _, policy := range []string{"preferred", "blocked"} {
		rows, err := perPID[policyRow](ctx, q, `SELECT guid, member_node, policy FROM smreplicationpolicy WHERE guid = $1 AND policy = $2 ORDER BY policy_id ASC`, pid, policy)
		if err != nil {
			return nil, err
		}
		side.policies = append(side.policies, rows...)
	}
	if side.replicas, err = perPID[replicaRow](ctx, q, `SELECT guid, member_node, status, date_verified FROM smreplicationstatus WHERE guid = $1`, pid); err != nil {
		return nil, err
	}
	if r.mediaType.Valid {
		if side.properties, err = perPID[propertyRow](ctx, q, `SELECT guid, name, value FROM smmediatypeproperties WHERE guid = $1`, pid); err != nil {
			return nil, err
		}
	}
	return encode(&r, &side, loc)
}

// perPID runs one query of a pid's rows.
func perPID[T any, PT interface {
	*T
	scanner
}](ctx context.Context, q *pgx.Conn, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var out []T
	for rows.Next() {
		out = append(out, *new(T))
		if err := rows.Scan(PT(&out[len(out)-1]).scanTargets()...); err != nil {
			rows.Close()
			return nil, err
		}
	}
	return out, rows.Err()
}

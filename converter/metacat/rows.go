package metacat

import (
	"github.com/jackc/pgx/v5/pgtype"
)

// smRow is a systemmetadata row joined with the pid's identifier row (if any). NULL is a
// zero Valid.
type smRow struct {
	guid                                        string
	seriesID, serialVersion, rightsHolder       pgtype.Text
	checksum, checksumAlgorithm                 pgtype.Text
	originMemberNode, authoritativeMemberNode   pgtype.Text
	submitter, objectFormat, size               pgtype.Text
	obsoletes, obsoletedBy, mediaType, fileName pgtype.Text
	dateUploaded, dateModified                  pgtype.Timestamp
	archived, replicationAllowed                pgtype.Bool
	numberReplicas                              pgtype.Int8
	// hasIdentifier is true when the pid has an identifier row, whose docid and rev follow.
	hasIdentifier bool
	docid         pgtype.Text
	rev           pgtype.Int8
}

// scanTargets returns the destinations of the columns of smQuery, in order.
func (r *smRow) scanTargets() []any {
	return []any{&r.guid, &r.seriesID, &r.serialVersion, &r.dateUploaded, &r.rightsHolder, &r.checksum,
		&r.checksumAlgorithm, &r.originMemberNode, &r.authoritativeMemberNode, &r.dateModified, &r.submitter,
		&r.objectFormat, &r.size, &r.archived, &r.replicationAllowed, &r.numberReplicas, &r.obsoletes,
		&r.obsoletedBy, &r.mediaType, &r.fileName, &r.hasIdentifier, &r.docid, &r.rev}
}

// accessRow is an xml_access row.
type accessRow struct {
	guid                           string
	principal, permType, permOrder pgtype.Text
	permission                     pgtype.Int8
}

func (r *accessRow) key() string { return r.guid }
func (r *accessRow) scanTargets() []any {
	return []any{&r.guid, &r.principal, &r.permission, &r.permType, &r.permOrder}
}

// policyRow is an smreplicationpolicy row whose policy is "preferred" or "blocked".
type policyRow struct {
	guid       string
	memberNode pgtype.Text
	policy     string
}

func (r *policyRow) key() string        { return r.guid }
func (r *policyRow) scanTargets() []any { return []any{&r.guid, &r.memberNode, &r.policy} }

// replicaRow is an smreplicationstatus row.
type replicaRow struct {
	guid               string
	memberNode, status pgtype.Text
	verified           pgtype.Timestamp
}

func (r *replicaRow) key() string { return r.guid }
func (r *replicaRow) scanTargets() []any {
	return []any{&r.guid, &r.memberNode, &r.status, &r.verified}
}

// propertyRow is an smmediatypeproperties row.
type propertyRow struct {
	guid        string
	name, value pgtype.Text
}

func (r *propertyRow) key() string        { return r.guid }
func (r *propertyRow) scanTargets() []any { return []any{&r.guid, &r.name, &r.value} }

// sideRows are the rows of the side tables for one pid, in the order Metacat reads them.
type sideRows struct {
	access     []accessRow
	policies   []policyRow
	replicas   []replicaRow
	properties []propertyRow
}

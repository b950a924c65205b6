package metacat

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// rowError is a row from which no system metadata can be built the way Metacat builds it:
// Metacat would fail reading it, or write a document its marshaller refuses. Class is the
// failure class the run records.
type rowError struct {
	class converter.FailureClass
	msg   string
}

// Error returns the message, which names the column at fault.
func (e *rowError) Error() string { return e.msg }

func invalidRow(format string, args ...any) error {
	return &rowError{class: converter.ClassInvalidSysmeta, msg: fmt.Sprintf(format, args...)}
}

// build returns the system metadata Metacat builds from a systemmetadata row and the pid's
// side rows (docs/METACAT.md, "From rows to system metadata"), reading timestamps as wall
// clock time in loc. A row Metacat would fail on, or whose document its marshaller would
// refuse, is a *rowError naming the column.
func build(r *smRow, side *sideRows, loc *time.Location) (*sysmeta.Document, error) {
	d := &sysmeta.Document{Identifier: r.guid}
	var err error
	serial, err := bigUnsigned("serial_version", r.serialVersion)
	if err != nil {
		return nil, err
	}
	d.SerialVersion = &serial
	if d.Size, err = bigUnsigned("size", r.size); err != nil {
		return nil, err
	}
	if !r.checksum.Valid || !r.checksumAlgorithm.Valid || strings.TrimSpace(r.checksum.String) == "" ||
		strings.TrimSpace(r.checksumAlgorithm.String) == "" {
		return nil, &rowError{class: converter.ClassNoChecksumInSysmeta,
			msg: fmt.Sprintf("no checksum: checksum %s, checksum_algorithm %s", describe(r.checksum), describe(r.checksumAlgorithm))}
	}
	d.Checksum = sysmeta.Checksum{Algorithm: r.checksumAlgorithm.String, Value: r.checksum.String}
	if !r.objectFormat.Valid {
		return nil, invalidRow("object_format is NULL (Metacat's marshaller refuses a document without formatId)")
	}
	d.FormatID = r.objectFormat.String
	if !r.rightsHolder.Valid {
		return nil, invalidRow("rights_holder is NULL (Metacat's marshaller refuses a document without rightsHolder)")
	}
	d.RightsHolder = r.rightsHolder.String
	d.Submitter = optional(r.submitter)
	d.OriginMemberNode = optional(r.originMemberNode)
	d.AuthoritativeMemberNode = optional(r.authoritativeMemberNode)
	d.Obsoletes = optional(r.obsoletes)
	d.ObsoletedBy = optional(r.obsoletedBy)
	d.SeriesID = optional(r.seriesID)
	d.FileName = optional(r.fileName)
	archived := r.archived.Valid && r.archived.Bool
	d.Archived = &archived
	if d.DateUploaded, err = wallClock("date_uploaded", r.dateUploaded, loc); err != nil {
		return nil, err
	}
	if d.DateSysMetadataModified, err = wallClock("date_modified", r.dateModified, loc); err != nil {
		return nil, err
	}
	if d.ReplicationPolicy, err = replicationPolicy(r, side.policies); err != nil {
		return nil, err
	}
	if d.AccessPolicy, err = accessPolicy(side.access); err != nil {
		return nil, err
	}
	if d.Replicas, err = replicas(side.replicas, loc); err != nil {
		return nil, err
	}
	if r.mediaType.Valid {
		if d.MediaType, err = mediaType(r.mediaType.String, side.properties); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// encode builds the document and writes it as Metacat's marshaller does; what the marshaller
// would refuse (a blank required field, whitespace in an identifier, ...) is a *rowError.
func encode(r *smRow, side *sideRows, loc *time.Location) ([]byte, error) {
	d, err := build(r, side, loc)
	if err != nil {
		return nil, err
	}
	b, err := d.Encode()
	if err != nil {
		return nil, invalidRow("%s", column(err))
	}
	return b, nil
}

// columns names the database column behind each element Validate may name.
var columns = map[string]string{
	"identifier": "guid", "formatId": "object_format", "checksum": "checksum",
	"checksum/@algorithm": "checksum_algorithm", "submitter": "submitter", "rightsHolder": "rights_holder",
	"obsoletes": "obsoletes", "obsoletedBy": "obsoleted_by", "originMemberNode": "origin_member_node",
	"authoritativeMemberNode": "authoritive_member_node", "seriesId": "series_id", "fileName": "file_name",
	"mediaType/@name": "media_type", "dateUploaded": "date_uploaded", "dateSysMetadataModified": "date_modified",
}

// column is a Validate error with the column it comes from, where that is one column, so that
// the operator knows what to repair.
func column(err error) string {
	var field string
	var mf *sysmeta.MissingFieldError
	var inv *sysmeta.InvalidFieldError
	switch {
	case errors.As(err, &mf):
		field = mf.Field
	case errors.As(err, &inv):
		field = inv.Field
	}
	msg := strings.TrimPrefix(err.Error(), "sysmeta: ")
	switch {
	case columns[field] != "":
		return fmt.Sprintf("Metacat's marshaller refuses the document: %s (column %s)", msg, columns[field])
	case strings.HasPrefix(field, "accessPolicy"):
		return fmt.Sprintf("Metacat's marshaller refuses the document: %s (table xml_access)", msg)
	case strings.HasPrefix(field, "replicationPolicy"):
		return fmt.Sprintf("Metacat's marshaller refuses the document: %s (table smreplicationpolicy)", msg)
	case strings.HasPrefix(field, "replica"):
		return fmt.Sprintf("Metacat's marshaller refuses the document: %s (table smreplicationstatus)", msg)
	case strings.HasPrefix(field, "mediaType"):
		return fmt.Sprintf("Metacat's marshaller refuses the document: %s (table smmediatypeproperties)", msg)
	}
	return "Metacat's marshaller refuses the document: " + msg
}

// describe shows a nullable text value in a message.
func describe(t pgtype.Text) string {
	if !t.Valid {
		return "NULL"
	}
	return strconv.Quote(t.String)
}

// optional is a nullable text column as an optional element: NULL omits it, anything else
// (the empty string too) is written.
func optional(t pgtype.Text) *string {
	if !t.Valid {
		return nil
	}
	s := t.String
	return &s
}

// bigUnsigned parses a text column as Metacat does (Java's BigInteger: an optional sign and
// decimal digits; NULL fails the read), for an element of type xs:unsignedLong.
func bigUnsigned(col string, t pgtype.Text) (uint64, error) {
	if !t.Valid {
		return 0, invalidRow("%s is NULL (Metacat fails reading the row)", col)
	}
	s := t.String
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, invalidRow("%s %q is not a number (Metacat fails reading the row)", col, t.String)
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return 0, nil // zero, whatever its sign
	}
	if neg {
		return 0, invalidRow("%s %q is negative (Metacat's marshaller refuses it)", col, t.String)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, invalidRow("%s %q is too large for the document (Metacat's marshaller refuses it)", col, t.String)
	}
	return n, nil
}

// wallClock reads a timestamp without time zone as wall clock time in loc, as Metacat's JVM
// reads it in its own zone; NULL is nil.
func wallClock(col string, ts pgtype.Timestamp, loc *time.Location) (*time.Time, error) {
	if !ts.Valid {
		return nil, nil
	}
	if ts.InfinityModifier != pgtype.Finite {
		return nil, invalidRow("%s is infinite (Metacat cannot read it)", col)
	}
	t := ts.Time
	local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return &local, nil
}

// replicationPolicy is always present, as Metacat always attaches one: replication_allowed
// (NULL is false), number_replicas (-1 leaves it unset; NULL fails the read), and the
// preferred and blocked nodes, each in policy_id order.
func replicationPolicy(r *smRow, rows []policyRow) (*sysmeta.ReplicationPolicy, error) {
	if !r.numberReplicas.Valid {
		return nil, invalidRow("number_replicas is NULL (Metacat fails reading the row)")
	}
	allowed := r.replicationAllowed.Valid && r.replicationAllowed.Bool
	p := &sysmeta.ReplicationPolicy{ReplicationAllowed: &allowed}
	if n := r.numberReplicas.Int64; n != -1 {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, invalidRow("number_replicas %d does not fit the document's 32-bit numberReplicas (Metacat would write it cut to 32 bits)", n)
		}
		n32 := int32(n)
		p.NumberReplicas = &n32
	}
	for _, row := range rows {
		if !row.memberNode.Valid {
			return nil, invalidRow("smreplicationpolicy: a %s row has member_node NULL (Metacat's marshaller refuses an empty node)", row.policy)
		}
		if row.policy == "preferred" {
			p.PreferredMemberNodes = append(p.PreferredMemberNodes, row.memberNode.String)
		} else {
			p.BlockedMemberNodes = append(p.BlockedMemberNodes, row.memberNode.String)
		}
	}
	return p, nil
}

// Permission bits of xml_access.permission.
const (
	permChangePermission = 1
	permWrite            = 2
	permRead             = 4
	permAll              = 7
)

// accessPolicy turns the xml_access rows of a pid, in the order Metacat reads them, into
// allow rules: the rows' perm_order values (the empty string counting as NULL) must agree from
// the first non-NULL one on, or Metacat treats the pid as having no system metadata; every
// row needs a perm_type; each "allow" row with at least one permission becomes a rule of one
// subject; "deny" rows are ignored.
func accessPolicy(rows []accessRow) ([]sysmeta.AccessRule, error) {
	order := ""
	for _, row := range rows {
		o := nonEmpty(row.permOrder)
		switch {
		case order == "":
			order = o
		case o != order:
			return nil, invalidRow("xml_access: conflicting perm_order values %q and %q (Metacat then treats the pid as having no system metadata, and its upgrader would make up new system metadata for it)", order, o)
		}
	}
	var rules []sysmeta.AccessRule
	for _, row := range rows {
		typ := nonEmpty(row.permType)
		if typ == "" {
			return nil, invalidRow("xml_access: a row has perm_type %s (Metacat fails reading the access rules)", describe(row.permType))
		}
		if typ != "allow" {
			continue
		}
		perms := permissions(row.permission)
		if len(perms) == 0 {
			continue // Metacat skips a rule without permissions
		}
		if nonEmpty(row.principal) == "" {
			return nil, invalidRow("xml_access: an allow row has principal_name %s (Metacat's marshaller refuses an empty subject)", describe(row.principal))
		}
		rules = append(rules, sysmeta.AccessRule{Subjects: []string{row.principal.String}, Permissions: perms})
	}
	return rules, nil
}

// nonEmpty is a text column as Metacat's access DAO holds it: NULL and "" are both "".
func nonEmpty(t pgtype.Text) string {
	if !t.Valid {
		return ""
	}
	return t.String
}

// permissions converts a permission bit mask as Metacat does: NULL is 0 and the value is cut
// to 32 bits (Java's Long.intValue); exactly 7 is read, write, changePermission; anything else
// yields its bits in the order changePermission, read, write.
func permissions(mask pgtype.Int8) []sysmeta.Permission {
	var m int32
	if mask.Valid {
		m = int32(mask.Int64)
	}
	if m == permAll {
		return []sysmeta.Permission{sysmeta.PermissionRead, sysmeta.PermissionWrite, sysmeta.PermissionChangePermission}
	}
	var p []sysmeta.Permission
	if m&permChangePermission != 0 {
		p = append(p, sysmeta.PermissionChangePermission)
	}
	if m&permRead != 0 {
		p = append(p, sysmeta.PermissionRead)
	}
	if m&permWrite != 0 {
		p = append(p, sysmeta.PermissionWrite)
	}
	return p
}

// replicaStatuses maps the Java constant names Metacat stores to the XML values.
var replicaStatuses = map[string]sysmeta.ReplicationStatus{
	"QUEUED": sysmeta.StatusQueued, "REQUESTED": sysmeta.StatusRequested, "COMPLETED": sysmeta.StatusCompleted,
	"FAILED": sysmeta.StatusFailed, "INVALIDATED": sysmeta.StatusInvalidated,
}

// replicas turns smreplicationstatus rows into replicas; a status that is not one of the five
// constant names (exactly) or a NULL date_verified fails Metacat's read.
func replicas(rows []replicaRow, loc *time.Location) ([]sysmeta.Replica, error) {
	var out []sysmeta.Replica
	for _, row := range rows {
		status, ok := replicaStatuses[row.status.String]
		if !row.status.Valid || !ok {
			return nil, invalidRow("smreplicationstatus: status %s is not one of QUEUED, REQUESTED, COMPLETED, FAILED, INVALIDATED (Metacat fails reading the row)", describe(row.status))
		}
		verified, err := wallClock("smreplicationstatus.date_verified", row.verified, loc)
		if err != nil {
			return nil, err
		}
		if verified == nil {
			return nil, invalidRow("smreplicationstatus: date_verified is NULL (Metacat fails reading the row)")
		}
		if !row.memberNode.Valid {
			return nil, invalidRow("smreplicationstatus: member_node is NULL (Metacat's marshaller refuses an empty node)")
		}
		out = append(out, sysmeta.Replica{MemberNode: row.memberNode.String, Status: status, Verified: *verified})
	}
	return out, nil
}

// mediaType is the media type named by systemmetadata.media_type with one property per
// smmediatypeproperties row (duplicates kept); a NULL value is a property without content, a
// NULL name is refused (the marshaller requires it).
func mediaType(name string, rows []propertyRow) (*sysmeta.MediaType, error) {
	mt := &sysmeta.MediaType{Name: name}
	for _, row := range rows {
		if !row.name.Valid {
			return nil, invalidRow("smmediatypeproperties: a property has name NULL (Metacat's marshaller refuses it)")
		}
		mt.Properties = append(mt.Properties, sysmeta.MediaTypeProperty{Name: row.name.String, Value: optional(row.value)})
	}
	return mt, nil
}

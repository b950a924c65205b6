package sysmeta

import "time"

// Document is a complete DataONE SystemMetadata in the shape of the v2
// type: every element and attribute Metacat can produce, in a form that
// Encode writes byte for byte as Metacat's marshaller would and that
// DecodeDocument fills from a v1 or v2 document.
//
// Presence follows the marshaller. A nil pointer is an element (or
// attribute) that is not written; a non-nil pointer is written even when
// it points to an empty string or a zero value. Plain (non-pointer)
// fields are required and always written. Slices are written in order,
// one element per entry; an empty slice writes nothing.
//
// Strings are written exactly as held: no trimming, no case folding, no
// normalisation. Dates are written in UTC with exactly three fractional
// digits; any part finer than a millisecond is dropped, rounding towards
// the past, which is what Java's java.sql.Timestamp.getTime() does when
// Metacat reads a PostgreSQL timestamp into a java.util.Date.
//
// The zero Document is not encodable: Validate states the rules.
type Document struct {
	// SerialVersion is the serialVersion element; Metacat always sets it.
	SerialVersion *uint64
	// Identifier is the object's persistent identifier (required): at
	// least one character, no XML whitespace, at most 800 characters.
	Identifier string
	// FormatID is the formatId element (required, not blank).
	FormatID string
	// Size is the object's size in bytes (required).
	Size uint64
	// Checksum is the checksum element with its algorithm attribute
	// (both required, not blank).
	Checksum Checksum
	// Submitter is the submitter subject; nil omits the element.
	Submitter *string
	// RightsHolder is the rightsHolder subject (required, not blank).
	RightsHolder string
	// AccessPolicy holds the allow rules of the accessPolicy element, in
	// order. With no rules the element is omitted, as the marshaller does.
	AccessPolicy []AccessRule
	// ReplicationPolicy is the replicationPolicy element; nil omits it.
	// A policy with no member nodes and neither attribute set is omitted
	// too, as the marshaller does.
	ReplicationPolicy *ReplicationPolicy
	// Obsoletes and ObsoletedBy are the identifiers of the previous and
	// next versions; nil omits the element.
	Obsoletes, ObsoletedBy *string
	// Archived is the archived element; nil omits it. Metacat always sets
	// it (a NULL database value is written as false).
	Archived *bool
	// DateUploaded and DateSysMetadataModified are the two dates of the
	// object; nil omits the element.
	DateUploaded, DateSysMetadataModified *time.Time
	// OriginMemberNode and AuthoritativeMemberNode are node identifiers
	// such as "urn:node:KNB"; nil omits the element.
	OriginMemberNode, AuthoritativeMemberNode *string
	// Replicas are the replica elements, in order.
	Replicas []Replica
	// SeriesID is the seriesId element (v2); nil omits it.
	SeriesID *string
	// MediaType is the mediaType element (v2); nil omits it.
	MediaType *MediaType
	// FileName is the fileName element (v2); nil omits it. An empty
	// string is written as an element with no content.
	FileName *string
}

// Checksum is the checksum element: the digest as written (usually lower
// case hex) and the name of its algorithm, e.g. "MD5" or "SHA-256".
type Checksum struct {
	Algorithm string
	Value     string
}

// AccessRule is one allow element of an access policy: every subject in
// it is granted every permission in it. Both lists must be non-empty.
type AccessRule struct {
	Subjects    []string
	Permissions []Permission
}

// Permission is a permission of an access rule, as written in XML.
type Permission string

// The permissions DataONE defines; Validate refuses any other value.
const (
	PermissionRead             Permission = "read"
	PermissionWrite            Permission = "write"
	PermissionChangePermission Permission = "changePermission"
)

// ReplicationPolicy is the replicationPolicy element.
type ReplicationPolicy struct {
	// PreferredMemberNodes and BlockedMemberNodes are node identifiers,
	// written in order, preferred ones first.
	PreferredMemberNodes, BlockedMemberNodes []string
	// ReplicationAllowed is the replicationAllowed attribute; nil omits it.
	ReplicationAllowed *bool
	// NumberReplicas is the numberReplicas attribute (an xs:int, so
	// negative values are written too); nil omits it.
	NumberReplicas *int32
}

// Replica is a replica element; all three fields are required.
type Replica struct {
	// MemberNode is the replicaMemberNode element (not blank).
	MemberNode string
	// Status is the replicationStatus element.
	Status ReplicationStatus
	// Verified is the replicaVerified element; the zero time (or any
	// time within its first millisecond, which is written the same way)
	// counts as unset and is refused.
	Verified time.Time
}

// ReplicationStatus is the status of a replica, as written in XML (lower
// case; Metacat's database holds the upper-case Java constant names).
type ReplicationStatus string

// The replication statuses DataONE defines; Validate refuses any other.
const (
	StatusQueued      ReplicationStatus = "queued"
	StatusRequested   ReplicationStatus = "requested"
	StatusCompleted   ReplicationStatus = "completed"
	StatusFailed      ReplicationStatus = "failed"
	StatusInvalidated ReplicationStatus = "invalidated"
)

// MediaType is the mediaType element (v2). Name is its required name
// attribute; the schema lets it be empty.
type MediaType struct {
	Name       string
	Properties []MediaTypeProperty
}

// MediaTypeProperty is a property element of a media type. Name is its
// required name attribute (may be empty). Value nil writes the element
// self-closed, as the marshaller does for a Java null (a NULL database
// value); a non-nil empty Value writes a start and an end tag.
type MediaTypeProperty struct {
	Name  string
	Value *string
}

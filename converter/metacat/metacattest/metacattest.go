// Package metacattest writes system metadata documents into a Metacat-shaped database
// (testdata/metacat/db/schema.sql) as Metacat stores them, for tests and benchmarks of the
// metacat source: the inverse of the mapping in docs/METACAT.md.
package metacattest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hashstore-go/hashstore/sysmeta"
)

// Object is one pid as a Metacat database holds it: its system metadata and, when DocID is
// not empty, an identifier row naming its local document DocID.Rev (with a row in
// xml_documents).
type Object struct {
	Doc   *sysmeta.Document
	DocID string
	Rev   int64
}

// Insert writes the rows of objs with COPY, in order, so that each table's rows of one pid
// lie in the order Metacat reads them back: systemmetadata; one xml_access allow row per
// subject of each rule (perm_order allowFirst), its permission the OR of read 4, write 2,
// changePermission 1 (a rule whose permissions read back in another order, such as
// changePermission after read, does not round-trip, and neither does a rule of several
// subjects: Metacat never writes those); the preferred then the blocked member nodes with
// increasing policy_id; the replicas (status in upper case); the media type's properties; and
// the identifier and xml_documents rows. Dates are written as wall clock time in loc, as a
// Metacat running in that zone writes them. A nil SerialVersion writes NULL, a nil
// ReplicationPolicy NULL replication_allowed and number_replicas -1, a nil Archived NULL.
func Insert(ctx context.Context, conn *pgx.Conn, loc *time.Location, objs []Object) error {
	var sm, access, policy, replica, props, ident, docs [][]any
	for _, o := range objs {
		d := o.Doc
		var serial any
		if d.SerialVersion != nil {
			serial = strconv.FormatUint(*d.SerialVersion, 10)
		}
		var allowed, archived any
		replicas := int64(-1)
		if p := d.ReplicationPolicy; p != nil {
			if p.ReplicationAllowed != nil {
				allowed = *p.ReplicationAllowed
			}
			if p.NumberReplicas != nil {
				replicas = int64(*p.NumberReplicas)
			}
			for _, n := range p.PreferredMemberNodes {
				policy = append(policy, []any{d.Identifier, n, "preferred"})
			}
			for _, n := range p.BlockedMemberNodes {
				policy = append(policy, []any{d.Identifier, n, "blocked"})
			}
		}
		if d.Archived != nil {
			archived = *d.Archived
		}
		var media any
		if d.MediaType != nil {
			media = d.MediaType.Name
			for _, p := range d.MediaType.Properties {
				props = append(props, []any{d.Identifier, p.Name, ptr(p.Value)})
			}
		}
		sm = append(sm, []any{d.Identifier, ptr(d.SeriesID), serial, wall(d.DateUploaded, loc), d.RightsHolder,
			d.Checksum.Value, d.Checksum.Algorithm, ptr(d.OriginMemberNode), ptr(d.AuthoritativeMemberNode),
			wall(d.DateSysMetadataModified, loc), ptr(d.Submitter), d.FormatID, strconv.FormatUint(d.Size, 10),
			archived, allowed, replicas, ptr(d.Obsoletes), ptr(d.ObsoletedBy), media, ptr(d.FileName)})
		for _, rule := range d.AccessPolicy {
			mask := Mask(rule.Permissions)
			for _, subject := range rule.Subjects {
				access = append(access, []any{d.Identifier, subject, mask, "allow", "allowFirst"})
			}
		}
		for _, r := range d.Replicas {
			v := r.Verified
			replica = append(replica, []any{d.Identifier, r.MemberNode, strings.ToUpper(string(r.Status)), wall(&v, loc)})
		}
		if o.DocID != "" {
			ident = append(ident, []any{d.Identifier, o.DocID, o.Rev})
			docs = append(docs, []any{o.DocID, o.Rev, "BIN"})
		}
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"systemmetadata", []string{"guid", "series_id", "serial_version", "date_uploaded", "rights_holder", "checksum",
			"checksum_algorithm", "origin_member_node", "authoritive_member_node", "date_modified", "submitter",
			"object_format", "size", "archived", "replication_allowed", "number_replicas", "obsoletes", "obsoleted_by",
			"media_type", "file_name"}, sm},
		{"xml_access", []string{"guid", "principal_name", "permission", "perm_type", "perm_order"}, access},
		{"smreplicationpolicy", []string{"guid", "member_node", "policy"}, policy},
		{"smreplicationstatus", []string{"guid", "member_node", "status", "date_verified"}, replica},
		{"smmediatypeproperties", []string{"guid", "name", "value"}, props},
		{"identifier", []string{"guid", "docid", "rev"}, ident},
		{"xml_documents", []string{"docid", "rev", "doctype"}, docs},
	} {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("metacattest: COPY %s: %w", t.table, err)
		}
	}
	return nil
}

// Mask is the xml_access permission bit mask of perms (read 4, write 2, changePermission 1).
func Mask(perms []sysmeta.Permission) int64 {
	var m int64
	for _, p := range perms {
		switch p {
		case sysmeta.PermissionRead:
			m |= 4
		case sysmeta.PermissionWrite:
			m |= 2
		case sysmeta.PermissionChangePermission:
			m |= 1
		}
	}
	return m
}

// ptr is an optional string as a column value (nil: NULL).
func ptr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// wall is t as a timestamp without time zone holding its wall clock time in loc (nil: NULL).
func wall(t *time.Time, loc *time.Location) any {
	if t == nil {
		return nil
	}
	l := t.In(loc)
	return pgtype.Timestamp{Time: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC), Valid: true}
}

// Generate returns the i-th of a family of documents that vary every field the database
// holds, deterministically: with or without submitter, series id, obsoletes and obsoletedBy,
// file name (empty too), media type (with properties, one without value), replicas,
// preferred and blocked nodes, numberReplicas (absent, zero, negative), access rules of every
// permission set Metacat writes back in the same order, archived, non-ASCII text and
// characters the marshaller escapes. Every generated document survives Insert and the
// metacat source unchanged. Its size and checksum are those of Data(i).
func Generate(i int) *sysmeta.Document {
	pid := fmt.Sprintf("urn:uuid:gen-%08d", i)
	data := Data(i)
	sum := md5.Sum(data)
	serial := uint64(i % 7)
	at := time.Date(2015+i%10, time.Month(1+i%12), 1+i%28, i%24, i%60, i%60, (i%1000)*int(time.Millisecond), time.UTC)
	modified := at.Add(time.Duration(i%5000) * time.Hour)
	archived := i%9 == 0
	allowed := i%3 == 0
	d := &sysmeta.Document{
		SerialVersion: &serial, Identifier: pid, FormatID: "application/octet-stream", Size: uint64(len(data)),
		Checksum:                sysmeta.Checksum{Algorithm: "MD5", Value: hex.EncodeToString(sum[:])},
		RightsHolder:            "http://orcid.org/0000-0002-" + strconv.Itoa(1000+i%9000) + "-0001",
		AccessPolicy:            []sysmeta.AccessRule{{Subjects: []string{"public"}, Permissions: []sysmeta.Permission{sysmeta.PermissionRead}}},
		ReplicationPolicy:       &sysmeta.ReplicationPolicy{ReplicationAllowed: &allowed},
		Archived:                &archived,
		DateUploaded:            &at,
		DateSysMetadataModified: &modified,
		OriginMemberNode:        str("urn:node:GEN"),
		AuthoritativeMemberNode: str("urn:node:GEN"),
	}
	if i%4 != 1 {
		d.Submitter = str("CN=submitter " + strconv.Itoa(i%50) + ",DC=dataone,DC=org")
	}
	perms := [][]sysmeta.Permission{
		{sysmeta.PermissionRead, sysmeta.PermissionWrite, sysmeta.PermissionChangePermission},
		{sysmeta.PermissionRead, sysmeta.PermissionWrite},
		{sysmeta.PermissionChangePermission, sysmeta.PermissionRead},
		{sysmeta.PermissionWrite},
		{sysmeta.PermissionChangePermission, sysmeta.PermissionWrite},
	}
	for k := range i % 3 {
		d.AccessPolicy = append(d.AccessPolicy, sysmeta.AccessRule{Subjects: []string{fmt.Sprintf("uid=user%d,o=NCEAS & <friends>", (i+k)%97)},
			Permissions: perms[(i+k)%len(perms)]})
	}
	switch i % 5 {
	case 0:
		n := int32(i % 4)
		d.ReplicationPolicy.NumberReplicas = &n
	case 1:
		n := int32(-2)
		d.ReplicationPolicy.NumberReplicas = &n
	}
	if i%6 == 0 {
		d.ReplicationPolicy.PreferredMemberNodes = []string{"urn:node:KNB", "urn:node:mnUCSB1"}
		d.ReplicationPolicy.BlockedMemberNodes = []string{"urn:node:BAD"}
	}
	if i%8 == 0 {
		d.Replicas = []sysmeta.Replica{
			{MemberNode: "urn:node:GEN", Status: sysmeta.StatusCompleted, Verified: modified},
			{MemberNode: "urn:node:KNB", Status: sysmeta.ReplicationStatus([]string{"queued", "requested", "failed", "invalidated"}[i%4]), Verified: at},
		}
	}
	if i%10 == 0 {
		d.SeriesID = str(fmt.Sprintf("series.%d", i/10))
		d.Obsoletes = str(fmt.Sprintf("urn:uuid:gen-%08d", i+1000000))
	}
	if i%11 == 0 {
		d.ObsoletedBy = str(fmt.Sprintf("urn:uuid:gen-%08d", i+2000000))
	}
	switch i % 7 {
	case 0:
		d.FileName = str(fmt.Sprintf("données %d.csv", i))
	case 1:
		d.FileName = str("")
	case 2:
		d.FileName = str("a \"quoted\"\tname\r\n.txt")
	}
	if i%12 == 0 {
		d.MediaType = &sysmeta.MediaType{Name: "text/csv", Properties: []sysmeta.MediaTypeProperty{
			{Name: "charset", Value: str("utf-8")}, {Name: "header", Value: nil}, {Name: "charset", Value: str("utf-8")}}}
	}
	return d
}

// Data is the content of the i-th generated object: 64 to 4,159 bytes.
func Data(i int) []byte {
	n := 64 + (i*7919)%4096
	b := make([]byte, n)
	x := uint32(i*2654435761 + 1)
	for k := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[k] = byte(x)
	}
	return b
}

func str(s string) *string { return &s }

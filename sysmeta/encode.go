package sysmeta

import (
	"strconv"
	"time"
)

// xmlDeclaration is the first line the marshaller writes.
const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`

// rootName is the root element as the marshaller names it: the JAXB
// context of the v2 type knows the v1 namespace first (prefix ns2) and the
// v2.0 namespace second (prefix ns3), and declares both on the root even
// though only the root itself is qualified.
const rootName = "ns3:systemMetadata"

// dateLayout and utcOffset render a UTC time the way DataONE's date
// adapter does (Joda-Time pattern yyyy-MM-dd'T'HH:mm:ss.SSSZZ in UTC,
// which writes the zero offset as +00:00, never Z).
const (
	dateLayout = "2006-01-02T15:04:05.000"
	utcOffset  = "+00:00"
)

// Encode returns d as a SystemMetadata v2.0 document, byte for byte as
// Metacat 3.x's marshaller (DataONE's TypeMarshaller on the JAXB reference
// implementation 2.3.x, formatted output, UTF-8) writes the same object:
//
//   - the declaration `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
//     a LF, the root element ns3:systemMetadata declaring xmlns:ns2 (the
//     v1 namespace) and xmlns:ns3 (the v2.0 namespace), in that order, and
//     a LF after the root's end tag;
//   - child elements unqualified, in the schema's order, indented by four
//     spaces per level, one element per line, lines ended by LF;
//   - text escaped as the marshaller escapes it (see appendEscaped), all
//     non-ASCII characters written as UTF-8;
//   - dates in UTC as 2006-01-02T15:04:05.000+00:00, cut to the
//     millisecond;
//   - elements omitted as described on Document's fields.
//
// Encode always writes v2.0, whatever the version of a document d was
// decoded from, as Metacat 3.x stores every system metadata as v2.0.
//
// When Validate refuses d, Encode returns that error and no bytes; Encode
// never writes a document that is not well-formed. d is not changed.
func (d *Document) Encode() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	w := &xmlWriter{b: make([]byte, 0, 2048)}
	w.b = append(w.b, xmlDeclaration...)
	w.start(0, rootName, attr{"xmlns:ns2", NamespaceV1}, attr{"xmlns:ns3", NamespaceV2})

	if d.SerialVersion != nil {
		w.leaf(1, "serialVersion", strconv.FormatUint(*d.SerialVersion, 10))
	}
	w.leaf(1, "identifier", d.Identifier)
	w.leaf(1, "formatId", d.FormatID)
	w.leaf(1, "size", strconv.FormatUint(d.Size, 10))
	w.leaf(1, "checksum", d.Checksum.Value, attr{"algorithm", d.Checksum.Algorithm})
	optionalLeaf(w, "submitter", d.Submitter)
	w.leaf(1, "rightsHolder", d.RightsHolder)
	d.encodeAccessPolicy(w)
	d.encodeReplicationPolicy(w)
	optionalLeaf(w, "obsoletes", d.Obsoletes)
	optionalLeaf(w, "obsoletedBy", d.ObsoletedBy)
	if d.Archived != nil {
		w.leaf(1, "archived", strconv.FormatBool(*d.Archived))
	}
	if d.DateUploaded != nil {
		w.leaf(1, "dateUploaded", formatDate(*d.DateUploaded))
	}
	if d.DateSysMetadataModified != nil {
		w.leaf(1, "dateSysMetadataModified", formatDate(*d.DateSysMetadataModified))
	}
	optionalLeaf(w, "originMemberNode", d.OriginMemberNode)
	optionalLeaf(w, "authoritativeMemberNode", d.AuthoritativeMemberNode)
	for _, r := range d.Replicas {
		w.start(1, "replica")
		w.leaf(2, "replicaMemberNode", r.MemberNode)
		w.leaf(2, "replicationStatus", string(r.Status))
		w.leaf(2, "replicaVerified", formatDate(r.Verified))
		w.end(1, "replica")
	}
	optionalLeaf(w, "seriesId", d.SeriesID)
	d.encodeMediaType(w)
	optionalLeaf(w, "fileName", d.FileName)

	w.end(0, rootName)
	w.b = append(w.b, '\n')
	return w.b, nil
}

// optionalLeaf writes a child of the root if s is not nil.
func optionalLeaf(w *xmlWriter, name string, s *string) {
	if s != nil {
		w.leaf(1, name, *s)
	}
}

func (d *Document) encodeAccessPolicy(w *xmlWriter) {
	if len(d.AccessPolicy) == 0 {
		return
	}
	w.start(1, "accessPolicy")
	for _, rule := range d.AccessPolicy {
		w.start(2, "allow")
		for _, s := range rule.Subjects {
			w.leaf(3, "subject", s)
		}
		for _, p := range rule.Permissions {
			w.leaf(3, "permission", string(p))
		}
		w.end(2, "allow")
	}
	w.end(1, "accessPolicy")
}

func (d *Document) encodeReplicationPolicy(w *xmlWriter) {
	rp := d.ReplicationPolicy
	if rp == nil {
		return
	}
	var attrs []attr
	if rp.ReplicationAllowed != nil {
		attrs = append(attrs, attr{"replicationAllowed", strconv.FormatBool(*rp.ReplicationAllowed)})
	}
	if rp.NumberReplicas != nil {
		attrs = append(attrs, attr{"numberReplicas", strconv.FormatInt(int64(*rp.NumberReplicas), 10)})
	}
	nodes := len(rp.PreferredMemberNodes) + len(rp.BlockedMemberNodes)
	switch {
	case nodes == 0 && len(attrs) == 0:
		// DataONE's adapter drops a policy with nothing in it.
	case nodes == 0:
		w.empty(1, "replicationPolicy", attrs...)
	default:
		w.start(1, "replicationPolicy", attrs...)
		for _, n := range rp.PreferredMemberNodes {
			w.leaf(2, "preferredMemberNode", n)
		}
		for _, n := range rp.BlockedMemberNodes {
			w.leaf(2, "blockedMemberNode", n)
		}
		w.end(1, "replicationPolicy")
	}
}

func (d *Document) encodeMediaType(w *xmlWriter) {
	mt := d.MediaType
	if mt == nil {
		return
	}
	name := attr{"name", mt.Name}
	if len(mt.Properties) == 0 {
		w.empty(1, "mediaType", name)
		return
	}
	w.start(1, "mediaType", name)
	for _, p := range mt.Properties {
		if p.Value == nil {
			w.empty(2, "property", attr{"name", p.Name})
		} else {
			w.leaf(2, "property", *p.Value, attr{"name", p.Name})
		}
	}
	w.end(1, "mediaType")
}

// formatDate renders t in UTC, truncated to the millisecond (towards the
// past, as java.util.Date holds it).
func formatDate(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(dateLayout) + utcOffset
}

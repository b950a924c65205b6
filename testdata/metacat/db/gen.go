//go:build ignore

// gen writes sample.sql, the rows a Metacat database would hold for the sample repository in
// testdata/metacat, from that repository's own files: every pid of manifest.csv gets its
// systemMetadata row (and access, replication and replica rows) from its sysmeta/*.xml file,
// an identifier row from its docid.rev file name, and an xml_documents row; a few rows exist
// only in the database, to give the converter the cases a manifest cannot have. README.md says
// which pid is which case. Re-run it whenever ../gen.go changes the sample:
//
//	go run testdata/metacat/db/gen.go   (from the repository root)
//
// It refuses a sysmeta document whose content the tables cannot hold (several subjects in one
// rule, deny rules, unknown elements), so that sample.sql and the XML files cannot disagree.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sampleDir = "testdata/metacat"
	outFile   = "testdata/metacat/db/sample.sql"
)

// The pids and local documents that exist only in the database (see README.md).
const (
	pidNoIdentifier = "urn:uuid:db000000-0000-4000-8000-000000000001" // sysmeta, no identifier row
	pidNoSysmeta    = "urn:uuid:db000000-0000-4000-8000-000000000002" // identifier row, no sysmeta
	pidMalformed    = "urn:uuid:bad00000-0000-4000-8000-000000000007" // manifest line without sysmeta file
)

// noFile are the pids of the manifest whose docid.rev file is absent on purpose.
var noFile = map[string]bool{"urn:uuid:bad00000-0000-4000-8000-000000000002": true, pidMalformed: true}

// notes are the comments written above each pid's rows, for the cases that are not plain.
var notes = map[string]string{
	"urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a": "sizeMismatch: the row says 18934 bytes and a SHA-1 the 18699-byte file does not have",
	"urn:uuid:bad00000-0000-4000-8000-000000000001": "nonMatchingChecksum: the row holds the MD5 of other bytes",
	"urn:uuid:bad00000-0000-4000-8000-000000000002": "fileNotFound: identifier and xml_documents rows, but no file data/autogen.2024010112999902.1",
	"urn:uuid:bad00000-0000-4000-8000-000000000003": "noSuchAlgorithm: checksum_algorithm CRC32",
	"sample pid.1": "invalidPid: a pid with a space",
	"urn:uuid:bad00000-0000-4000-8000-000000000006": "noChecksumInSysmeta: checksum and checksum_algorithm are NULL",
	pidMalformed:    "malformed row: size is '12kB', which is not a number (no sysmeta file, no data file)",
	pidNoIdentifier: "database only: system metadata of an object this node does not hold (no identifier row, no file)",
	pidNoSysmeta:    "database only: an identifier row for an old revision, sample.105.2, with no system metadata and no file",
}

// doc is a SystemMetadata document (v1 or v2) with every element the sample uses. Optional
// elements are pointers, so that an absent element becomes NULL.
type doc struct {
	SerialVersion string `xml:"serialVersion"`
	Identifier    string `xml:"identifier"`
	FormatID      string `xml:"formatId"`
	Size          string `xml:"size"`
	Checksum      *struct {
		Algorithm string `xml:"algorithm,attr"`
		Value     string `xml:",chardata"`
	} `xml:"checksum"`
	Submitter    *string `xml:"submitter"`
	RightsHolder string  `xml:"rightsHolder"`
	AccessPolicy *struct {
		Allow []struct {
			Subject    []string `xml:"subject"`
			Permission []string `xml:"permission"`
		} `xml:"allow"`
		Other []struct{ XMLName xml.Name } `xml:",any"`
	} `xml:"accessPolicy"`
	ReplicationPolicy *struct {
		Allowed   *bool    `xml:"replicationAllowed,attr"`
		Number    *int64   `xml:"numberReplicas,attr"`
		Preferred []string `xml:"preferredMemberNode"`
		Blocked   []string `xml:"blockedMemberNode"`
	} `xml:"replicationPolicy"`
	Obsoletes               *string `xml:"obsoletes"`
	ObsoletedBy             *string `xml:"obsoletedBy"`
	Archived                *bool   `xml:"archived"`
	DateUploaded            *string `xml:"dateUploaded"`
	DateSysMetadataModified *string `xml:"dateSysMetadataModified"`
	OriginMemberNode        *string `xml:"originMemberNode"`
	AuthoritativeMemberNode *string `xml:"authoritativeMemberNode"`
	Replica                 []struct {
		Node     string `xml:"replicaMemberNode"`
		Status   string `xml:"replicationStatus"`
		Verified string `xml:"replicaVerified"`
	} `xml:"replica"`
	SeriesID *string                      `xml:"seriesId"`
	FileName *string                      `xml:"fileName"`
	Other    []struct{ XMLName xml.Name } `xml:",any"`
}

// access is one xml_access row.
type access struct {
	principal string
	mask      int
	permType  string
}

// policy is one smReplicationPolicy row; replica one smReplicationStatus row; prop one
// smMediaTypeProperties row.
type (
	policy  struct{ node, kind string }
	replica struct{ node, status, verified string }
	prop    struct{ name, value string }
)

// row is everything the database holds about one pid's system metadata. nil is NULL.
type row struct {
	guid                                                     string
	seriesID, serial, uploaded, rightsHolder, checksum, alg  *string
	origin, authoritative, modified, submitter, format, size *string
	obsoletes, obsoletedBy, mediaType, fileName              *string
	archived, replAllowed                                    *bool
	numberReplicas                                           int64
	access                                                   []access
	policies                                                 []policy
	replicas                                                 []replica
	props                                                    []prop
}

// localDoc is a row of xml_documents (current) or xml_revisions (older).
type localDoc struct {
	docid            string
	rev              int64
	revision         bool // in xml_revisions, not xml_documents
	docname          *string
	doctype          string
	owner, updater   string
	created, updated string
}

// logEntry is one access_log row.
type logEntry struct{ principal, localID, event, when string }

func p(s string) *string { return &s }

// permissionMask is the bit mask Metacat stores for a rule's permissions: read 4, write 2,
// changePermission 7 (Metacat writes changePermission as all three).
func permissionMask(perms []string) int {
	mask := 0
	for _, perm := range perms {
		switch perm {
		case "read":
			mask |= 4
		case "write":
			mask |= 2
		case "changePermission":
			mask |= 7
		default:
			log.Fatalf("unknown permission %q", perm)
		}
	}
	return mask
}

// timestamp turns an xs:dateTime into the UTC wall clock Metacat would store, to the millisecond.
func timestamp(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		log.Fatalf("date %q: %v", s, err)
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

func optTimestamp(s *string) *string {
	if s == nil {
		return nil
	}
	return p(timestamp(*s))
}

// fromXML reads a sysmeta file into a row, refusing what the tables cannot express.
func fromXML(path string) row {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var d doc
	if err := xml.Unmarshal(data, &d); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	if len(d.Other) > 0 {
		log.Fatalf("%s: element %s has no column here", path, d.Other[0].XMLName.Local)
	}
	r := row{
		guid: d.Identifier, serial: p(d.SerialVersion), format: p(d.FormatID), size: p(d.Size),
		submitter: d.Submitter, rightsHolder: p(d.RightsHolder), obsoletes: d.Obsoletes,
		obsoletedBy: d.ObsoletedBy, archived: d.Archived, uploaded: optTimestamp(d.DateUploaded),
		modified: optTimestamp(d.DateSysMetadataModified), origin: d.OriginMemberNode,
		authoritative: d.AuthoritativeMemberNode, seriesID: d.SeriesID, fileName: d.FileName,
		numberReplicas: -1,
	}
	if d.Checksum != nil {
		r.checksum, r.alg = p(d.Checksum.Value), p(d.Checksum.Algorithm)
	}
	if ap := d.AccessPolicy; ap != nil {
		if len(ap.Other) > 0 {
			log.Fatalf("%s: access rule %s cannot be read back from xml_access", path, ap.Other[0].XMLName.Local)
		}
		for _, rule := range ap.Allow {
			if len(rule.Subject) != 1 {
				log.Fatalf("%s: a rule with %d subjects comes back as one rule per subject", path, len(rule.Subject))
			}
			r.access = append(r.access, access{rule.Subject[0], permissionMask(rule.Permission), "allow"})
		}
	}
	if rp := d.ReplicationPolicy; rp != nil {
		r.replAllowed = rp.Allowed
		if rp.Number != nil {
			r.numberReplicas = *rp.Number
		}
		for _, n := range rp.Preferred {
			r.policies = append(r.policies, policy{n, "preferred"})
		}
		for _, n := range rp.Blocked {
			r.policies = append(r.policies, policy{n, "blocked"})
		}
	}
	for _, rep := range d.Replica {
		r.replicas = append(r.replicas, replica{rep.Node, strings.ToUpper(rep.Status), timestamp(rep.Verified)})
	}
	return r
}

// sampleRow is the template of the generated objects of ../gen.go, for the rows without a file.
func sampleRow(pid, format, size string, alg, sum *string, serial int) row {
	when := fmt.Sprintf("2024-01-01 12:%02d:00.000", serial%60)
	subject := "uid=sample,o=NCEAS,dc=ecoinformatics,dc=org"
	return row{
		guid: pid, serial: p(strconv.Itoa(serial)), format: p(format), size: p(size), checksum: sum, alg: alg,
		submitter: p(subject), rightsHolder: p(subject), archived: new(bool), uploaded: p(when), modified: p(when),
		origin: p("urn:node:SAMPLE"), authoritative: p("urn:node:SAMPLE"), numberReplicas: -1,
		access: []access{{"public", 4, "allow"}},
	}
}

// dbOnlyRow is the system metadata of pidNoIdentifier: a replica-style entry that uses every
// column and side table the sample objects leave empty, and bit masks Metacat only reads.
func dbOnlyRow() row {
	yes := true
	return row{
		guid: pidNoIdentifier, seriesID: p("urn:uuid:db000000-0000-4000-8000-5e7135000001"), serial: p("3"),
		uploaded: p("2023-05-04 03:02:01.123"), modified: p("2023-06-07 08:09:10.456"),
		rightsHolder: p("http://orcid.org/0000-0000-0000-0001"), checksum: p("0123456789abcdef0123456789abcdef"),
		alg: p("MD5"), origin: p("urn:node:OTHER"), authoritative: p("urn:node:OTHER"),
		submitter: p("http://orcid.org/0000-0000-0000-0002"), format: p("text/csv"), size: p("120"),
		archived: &yes, replAllowed: &yes, numberReplicas: 2,
		obsoletes: p("urn:uuid:db000000-0000-4000-8000-000000000000"), mediaType: p("text/csv"),
		fileName: p("replica-only.csv"),
		access: []access{
			{"public", 4, "allow"},
			{"CN=sample-editors,DC=dataone,DC=org", 6, "allow"},
			{"http://orcid.org/0000-0000-0000-0003", 5, "allow"}, // older data: changePermission, read
			{"http://orcid.org/0000-0000-0000-0004", 4, "deny"},  // ignored when read
		},
		policies: []policy{{"urn:node:KNB", "preferred"}, {"urn:node:SAMPLE", "blocked"}, {"urn:node:ARCTIC", "preferred"}},
		replicas: []replica{{"urn:node:OTHER", "COMPLETED", "2023-06-07 08:09:10.456"}},
		props:    []prop{{"header", "present"}, {"delimiter", ","}},
	}
}

// splitLocalID splits docid.rev at its last dot.
func splitLocalID(localID string) (string, int64) {
	i := strings.LastIndexByte(localID, '.')
	rev, err := strconv.ParseInt(localID[i+1:], 10, 64)
	if i < 0 || err != nil {
		log.Fatalf("local id %q is not docid.rev", localID)
	}
	return localID[:i], rev
}

// rootName is the local name of an XML document's root element.
func rootName(path string) *string {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return p(se.Name.Local)
		}
	}
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func opt(s *string) string {
	if s == nil {
		return "NULL"
	}
	return lit(*s)
}

func optBool(b *bool) string {
	if b == nil {
		return "NULL"
	}
	return strconv.FormatBool(*b)
}

// values writes one multi-row INSERT, or nothing for no rows.
func values(w *bytes.Buffer, table, cols string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "INSERT INTO %s (%s) VALUES\n", table, cols)
	for i, r := range rows {
		end := ",\n"
		if i == len(rows)-1 {
			end = ";\n"
		}
		fmt.Fprintf(w, "    (%s)%s", strings.Join(r, ", "), end)
	}
}

func writeRow(w *bytes.Buffer, r row) {
	values(w, "systemMetadata", "guid, series_id, serial_version, date_uploaded, rights_holder, checksum, "+
		"checksum_algorithm, origin_member_node, authoritive_member_node, date_modified, submitter, object_format, "+
		"size, archived, replication_allowed, number_replicas, obsoletes, obsoleted_by, media_type, file_name",
		[][]string{{lit(r.guid), opt(r.seriesID), opt(r.serial), opt(r.uploaded), opt(r.rightsHolder), opt(r.checksum),
			opt(r.alg), opt(r.origin), opt(r.authoritative), opt(r.modified), opt(r.submitter), opt(r.format),
			opt(r.size), optBool(r.archived), optBool(r.replAllowed), strconv.FormatInt(r.numberReplicas, 10),
			opt(r.obsoletes), opt(r.obsoletedBy), opt(r.mediaType), opt(r.fileName)}})
	var rows [][]string
	for _, a := range r.access {
		rows = append(rows, []string{lit(r.guid), lit(a.principal), strconv.Itoa(a.mask), lit(a.permType), lit("allowFirst")})
	}
	values(w, "xml_access", "guid, principal_name, permission, perm_type, perm_order", rows)
	rows = nil
	for _, pol := range r.policies {
		rows = append(rows, []string{lit(r.guid), lit(pol.node), lit(pol.kind)})
	}
	values(w, "smReplicationPolicy", "guid, member_node, policy", rows)
	rows = nil
	for _, rep := range r.replicas {
		rows = append(rows, []string{lit(r.guid), lit(rep.node), lit(rep.status), lit(rep.verified)})
	}
	values(w, "smReplicationStatus", "guid, member_node, status, date_verified", rows)
	rows = nil
	for _, pr := range r.props {
		rows = append(rows, []string{lit(r.guid), lit(pr.name), lit(pr.value)})
	}
	values(w, "smMediaTypeProperties", "guid, name, value", rows)
}

func writeIdentifier(w *bytes.Buffer, pid, docid string, rev int64) {
	values(w, "identifier", "guid, docid, rev", [][]string{{lit(pid), lit(docid), strconv.FormatInt(rev, 10)}})
}

func writeLocalDoc(w *bytes.Buffer, d localDoc) {
	table := "xml_documents"
	if d.revision {
		table = "xml_revisions"
	}
	values(w, table, "docid, docname, doctype, user_owner, user_updated, rev, date_created, date_updated",
		[][]string{{lit(d.docid), opt(d.docname), lit(d.doctype), lit(d.owner), lit(d.updater), strconv.FormatInt(d.rev, 10),
			lit(d.created), lit(d.updated)}})
}

// day is the date part of a stored timestamp.
func day(ts *string) string { return (*ts)[:10] }

func main() {
	f, err := os.Open(filepath.Join(sampleDir, "manifest.csv"))
	if err != nil {
		log.Fatal(err)
	}
	lines, err := csv.NewReader(f).ReadAll()
	if err != nil {
		log.Fatal(err)
	}
	f.Close()

	var w bytes.Buffer
	w.WriteString(`-- Rows of a Metacat database holding the sample repository of testdata/metacat.
-- Generated by gen.go from ../manifest.csv and ../sysmeta/*.xml: do not edit, re-run it.
-- Apply after schema.sql. Timestamps are UTC wall clock (as written by a Metacat running in
-- UTC). The checksums table is left empty: nothing has been converted yet. README.md lists
-- which pid exercises which case.

BEGIN;

`)
	var logs []logEntry
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		pid, path, sysRel := l[0], l[1], l[2]
		if seen[pid] {
			fmt.Fprintf(&w, "-- %s again (manifest line duplicatePid): a pid is a primary key here, so no rows.\n\n", pid)
			continue
		}
		seen[pid] = true
		var r row
		if pid == pidMalformed {
			r = sampleRow(pid, "text/csv", l[5], p("MD5"), p("d41d8cd98f00b204e9800998ecf8427e"), 47)
		} else {
			r = fromXML(filepath.Join(sampleDir, sysRel))
			if r.guid != pid {
				log.Fatalf("%s holds pid %q, the manifest says %q", sysRel, r.guid, pid)
			}
		}
		note := notes[pid]
		if note == "" {
			note = "good"
		}
		fmt.Fprintf(&w, "-- %s (%s): %s\n", pid, path, note)
		writeRow(&w, r)

		localID := filepath.Base(path)
		docid, rev := splitLocalID(localID)
		writeIdentifier(&w, pid, docid, rev)
		d := localDoc{docid: docid, rev: rev, doctype: "BIN", owner: *r.rightsHolder, updater: *r.submitter,
			created: day(r.uploaded), updated: day(r.modified)}
		file := filepath.Join(sampleDir, path)
		_, statErr := os.Stat(file)
		if statErr == nil && strings.HasPrefix(path, "documents/") {
			d.doctype, d.docname = *r.format, rootName(file)
		}
		if missing := os.IsNotExist(statErr); missing != noFile[pid] {
			log.Fatalf("%s: file present is %v, not what the sample says", path, !missing)
		}
		writeLocalDoc(&w, d)
		logs = append(logs, logEntry{*r.submitter, localID, "create", *r.uploaded})
		if *r.modified != *r.uploaded {
			logs = append(logs, logEntry{*r.submitter, localID, "updateSystemMetadata", *r.modified})
		}
		w.WriteString("\n")
	}

	fmt.Fprintf(&w, "-- %s: %s\n", pidNoIdentifier, notes[pidNoIdentifier])
	writeRow(&w, dbOnlyRow())
	w.WriteString("\n")

	older := func(docid string, rev int64) localDoc {
		return localDoc{docid: docid, rev: rev, revision: true, docname: p("eml"),
			doctype: "https://eml.ecoinformatics.org/eml-2.2.0", owner: "uid=sample,o=NCEAS,dc=ecoinformatics,dc=org",
			updater: "uid=sample,o=NCEAS,dc=ecoinformatics,dc=org", created: "2023-12-01", updated: "2023-12-01"}
	}
	fmt.Fprintf(&w, "-- %s: %s\n", pidNoSysmeta, notes[pidNoSysmeta])
	writeIdentifier(&w, pidNoSysmeta, "sample.105", 2)
	writeLocalDoc(&w, older("sample.105", 2))
	w.WriteString("\n")

	w.WriteString("-- sample.102.2: database only: an old revision of sample.102 with no identifier row, no system\n" +
		"-- metadata and no file (Metacat would make up system metadata for it and fail on the file).\n")
	writeLocalDoc(&w, older("sample.102", 2))
	w.WriteString("\n")

	w.WriteString("-- autogen.2024010112999908.1: database only: a data document with no identifier row, no system\n" +
		"-- metadata and no file (Metacat refuses to make up system metadata for an autogen docid).\n")
	writeLocalDoc(&w, localDoc{docid: "autogen.2024010112999908", rev: 1, doctype: "BIN",
		owner: "uid=sample,o=NCEAS,dc=ecoinformatics,dc=org", updater: "uid=sample,o=NCEAS,dc=ecoinformatics,dc=org",
		created: "2024-01-01", updated: "2024-01-01"})
	w.WriteString("\n")

	// The event log in time order, so that entryid grows with date_logged as in a live log.
	sort.SliceStable(logs, func(i, j int) bool { return logs[i].when < logs[j].when })
	var rows [][]string
	for _, e := range logs {
		rows = append(rows, []string{lit("127.0.0.1"), lit("hashstore sample"), lit(e.principal), lit(e.localID), lit(e.event), lit(e.when)})
	}
	w.WriteString("-- What the event log says about the objects with an identifier row.\n")
	values(&w, "access_log", "ip_address, user_agent, principal, docid, event, date_logged", rows)
	w.WriteString("\n")

	w.WriteString("-- A database upgraded to 3.3.0 whose storage conversion (kept on the 3.1.0 row) has not run.\n")
	values(&w, "version_history", "version, status, date_created, solr_upgraded, storage_upgrade_status", [][]string{
		{lit("3.0.0"), "0", lit("2023-06-01 00:00:00"), "true", "NULL"},
		{lit("3.1.0"), "0", lit("2024-06-01 00:00:00"), "true", lit("pending")},
		{lit("3.3.0"), "1", lit("2025-12-15 00:00:00"), "true", "NULL"},
	})
	w.WriteString("\nCOMMIT;\n")

	if err := os.WriteFile(outFile, w.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

package sysmeta

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected bytes below are written out by hand from the marshaller's
// rules (declaration, ns2/ns3 root, four-space indentation, LF line ends,
// self-closed empty elements, escaping), not captured from Encode.

// marshallerRoot is the root start tag Encode writes.
const marshallerRoot = `<ns3:systemMetadata xmlns:ns2="http://ns.dataone.org/service/types/v1" xmlns:ns3="http://ns.dataone.org/service/types/v2.0">`

// marshallerHead is the first two lines of every document Encode writes,
// without the LF that ends the second.
const marshallerHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + marshallerRoot

// marshallerTail ends every document Encode writes.
const marshallerTail = "\n</ns3:systemMetadata>\n"

// requiredLines are the required elements of minimalDocument, as written.
const requiredLines = `
    <identifier>pid.1</identifier>
    <formatId>text/plain</formatId>
    <size>42</size>
    <checksum algorithm="MD5">d41d8cd98f00b204e9800998ecf8427e</checksum>
    <rightsHolder>http://orcid.org/0000-0000-0000-0001</rightsHolder>`

// minimalDocument returns a fresh Document with the required fields only.
func minimalDocument() *Document {
	return &Document{
		Identifier:   "pid.1",
		FormatID:     "text/plain",
		Size:         42,
		Checksum:     Checksum{Algorithm: "MD5", Value: "d41d8cd98f00b204e9800998ecf8427e"},
		RightsHolder: "http://orcid.org/0000-0000-0000-0001",
	}
}

// fullDocument sets every optional element, with dates given in a zone
// other than UTC and finer than a millisecond.
func fullDocument() *Document {
	pst := time.FixedZone("PST", -8*3600)
	return &Document{
		SerialVersion: new(uint64(7)),
		Identifier:    "urn:uuid:full-1",
		FormatID:      "eml://ecoinformatics.org/eml-2.1.1",
		Size:          18446744073709551615,
		Checksum:      Checksum{Algorithm: "SHA-256", Value: "abc123"},
		Submitter:     new("CN=submitter,DC=dataone,DC=org"),
		RightsHolder:  "http://orcid.org/0000-0000-0000-0001",
		AccessPolicy: []AccessRule{
			{
				Subjects:    []string{"http://orcid.org/0000-0000-0000-0001", "CN=group,DC=dataone,DC=org"},
				Permissions: []Permission{PermissionRead, PermissionWrite, PermissionChangePermission},
			},
			{Subjects: []string{"public"}, Permissions: []Permission{PermissionRead}},
		},
		ReplicationPolicy: &ReplicationPolicy{
			PreferredMemberNodes: []string{"urn:node:A", "urn:node:B"},
			BlockedMemberNodes:   []string{"urn:node:C"},
			ReplicationAllowed:   new(true),
			NumberReplicas:       new(int32(3)),
		},
		Obsoletes:               new("urn:uuid:full-0"),
		ObsoletedBy:             new("urn:uuid:full-2"),
		Archived:                new(true),
		DateUploaded:            new(time.Date(2020, 2, 29, 15, 4, 5, 123456789, pst)),
		DateSysMetadataModified: new(time.Date(2021, 12, 31, 23, 59, 59, 999999999, time.UTC)),
		OriginMemberNode:        new("urn:node:ORIGIN"),
		AuthoritativeMemberNode: new("urn:node:AUTH"),
		Replicas: []Replica{
			{MemberNode: "urn:node:A", Status: StatusCompleted, Verified: time.Date(2022, 1, 26, 1, 27, 20, 741000000, time.UTC)},
			{MemberNode: "urn:node:B", Status: StatusQueued, Verified: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		SeriesID: new("series-1"),
		MediaType: &MediaType{Name: "text/csv", Properties: []MediaTypeProperty{
			{Name: "charset", Value: new("utf-8")},
			{Name: "header", Value: new("")},
			{Name: "null"},
		}},
		FileName: new("data.csv"),
	}
}

const fullDocumentXML = marshallerHead + `
    <serialVersion>7</serialVersion>
    <identifier>urn:uuid:full-1</identifier>
    <formatId>eml://ecoinformatics.org/eml-2.1.1</formatId>
    <size>18446744073709551615</size>
    <checksum algorithm="SHA-256">abc123</checksum>
    <submitter>CN=submitter,DC=dataone,DC=org</submitter>
    <rightsHolder>http://orcid.org/0000-0000-0000-0001</rightsHolder>
    <accessPolicy>
        <allow>
            <subject>http://orcid.org/0000-0000-0000-0001</subject>
            <subject>CN=group,DC=dataone,DC=org</subject>
            <permission>read</permission>
            <permission>write</permission>
            <permission>changePermission</permission>
        </allow>
        <allow>
            <subject>public</subject>
            <permission>read</permission>
        </allow>
    </accessPolicy>
    <replicationPolicy replicationAllowed="true" numberReplicas="3">
        <preferredMemberNode>urn:node:A</preferredMemberNode>
        <preferredMemberNode>urn:node:B</preferredMemberNode>
        <blockedMemberNode>urn:node:C</blockedMemberNode>
    </replicationPolicy>
    <obsoletes>urn:uuid:full-0</obsoletes>
    <obsoletedBy>urn:uuid:full-2</obsoletedBy>
    <archived>true</archived>
    <dateUploaded>2020-02-29T23:04:05.123+00:00</dateUploaded>
    <dateSysMetadataModified>2021-12-31T23:59:59.999+00:00</dateSysMetadataModified>
    <originMemberNode>urn:node:ORIGIN</originMemberNode>
    <authoritativeMemberNode>urn:node:AUTH</authoritativeMemberNode>
    <replica>
        <replicaMemberNode>urn:node:A</replicaMemberNode>
        <replicationStatus>completed</replicationStatus>
        <replicaVerified>2022-01-26T01:27:20.741+00:00</replicaVerified>
    </replica>
    <replica>
        <replicaMemberNode>urn:node:B</replicaMemberNode>
        <replicationStatus>queued</replicationStatus>
        <replicaVerified>1999-01-01T00:00:00.000+00:00</replicaVerified>
    </replica>
    <seriesId>series-1</seriesId>
    <mediaType name="text/csv">
        <property name="charset">utf-8</property>
        <property name="header"></property>
        <property name="null"/>
    </mediaType>
    <fileName>data.csv</fileName>` + marshallerTail

func encodeString(t *testing.T, d *Document) string {
	t.Helper()
	b, err := d.Encode()
	require.NoError(t, err)
	return string(b)
}

func TestEncodeFullDocument(t *testing.T) {
	assert.Equal(t, fullDocumentXML, encodeString(t, fullDocument()))
}

func TestEncodeMinimalDocument(t *testing.T) {
	assert.Equal(t, marshallerHead+requiredLines+marshallerTail, encodeString(t, minimalDocument()))
}

// TestEncodeDoesNotChangeDocument guards the dates and slices Encode
// reads: converting to UTC or truncating must happen on copies.
func TestEncodeDoesNotChangeDocument(t *testing.T) {
	d, before := fullDocument(), fullDocument()
	_, err := d.Encode()
	require.NoError(t, err)
	assert.Equal(t, before, d)
}

// TestEncodeOptionalElements pins, for each optional element, how it is
// written when present and that nothing is written when it is absent.
func TestEncodeOptionalElements(t *testing.T) {
	date := time.Date(2016, 9, 22, 21, 1, 40, 979000000, time.UTC)
	tests := []struct {
		name string
		set  func(d *Document)
		// lines are what the change adds; they go where the schema puts
		// them, so before lists the required lines the addition precedes
		// ("" for after all of them).
		lines, before string
	}{
		{"serialVersion 0", func(d *Document) { d.SerialVersion = new(uint64(0)) },
			"\n    <serialVersion>0</serialVersion>", "identifier"},
		{"submitter", func(d *Document) { d.Submitter = new("uid=a,o=b") },
			"\n    <submitter>uid=a,o=b</submitter>", "rightsHolder"},
		{"archived false is written", func(d *Document) { d.Archived = new(false) },
			"\n    <archived>false</archived>", ""},
		{"obsoletes only", func(d *Document) { d.Obsoletes = new("pid.0") },
			"\n    <obsoletes>pid.0</obsoletes>", ""},
		{"obsoletedBy only", func(d *Document) { d.ObsoletedBy = new("pid.2") },
			"\n    <obsoletedBy>pid.2</obsoletedBy>", ""},
		{"dateUploaded only", func(d *Document) { d.DateUploaded = &date },
			"\n    <dateUploaded>2016-09-22T21:01:40.979+00:00</dateUploaded>", ""},
		{"dateSysMetadataModified only", func(d *Document) { d.DateSysMetadataModified = &date },
			"\n    <dateSysMetadataModified>2016-09-22T21:01:40.979+00:00</dateSysMetadataModified>", ""},
		{"originMemberNode only", func(d *Document) { d.OriginMemberNode = new("urn:node:O") },
			"\n    <originMemberNode>urn:node:O</originMemberNode>", ""},
		{"authoritativeMemberNode only", func(d *Document) { d.AuthoritativeMemberNode = new("urn:node:A") },
			"\n    <authoritativeMemberNode>urn:node:A</authoritativeMemberNode>", ""},
		{"seriesId only", func(d *Document) { d.SeriesID = new("s.1") },
			"\n    <seriesId>s.1</seriesId>", ""},
		{"empty fileName gives start and end tag", func(d *Document) { d.FileName = new("") },
			"\n    <fileName></fileName>", ""},
		{"empty access policy is omitted", func(d *Document) { d.AccessPolicy = []AccessRule{} }, "", ""},
		{"empty replication policy is omitted", func(d *Document) { d.ReplicationPolicy = &ReplicationPolicy{} }, "", ""},
		{"replication policy with replicationAllowed only", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{ReplicationAllowed: new(false)}
		}, "\n    <replicationPolicy replicationAllowed=\"false\"/>", ""},
		{"replication policy with numberReplicas only, negative", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{NumberReplicas: new(int32(-1))}
		}, "\n    <replicationPolicy numberReplicas=\"-1\"/>", ""},
		{"replication policy with numberReplicas 0", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{ReplicationAllowed: new(false), NumberReplicas: new(int32(0))}
		}, "\n    <replicationPolicy replicationAllowed=\"false\" numberReplicas=\"0\"/>", ""},
		{"replication policy with blocked nodes and no attributes", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{BlockedMemberNodes: []string{"urn:node:KNB"}}
		}, "\n    <replicationPolicy>\n        <blockedMemberNode>urn:node:KNB</blockedMemberNode>\n    </replicationPolicy>", ""},
		{"media type without properties", func(d *Document) { d.MediaType = &MediaType{Name: "text/csv"} },
			"\n    <mediaType name=\"text/csv\"/>", ""},
		{"media type with an empty name", func(d *Document) { d.MediaType = &MediaType{Name: ""} },
			"\n    <mediaType name=\"\"/>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := minimalDocument()
			tt.set(d)
			want := marshallerHead + requiredLines + tt.lines + marshallerTail
			if tt.before != "" {
				at := strings.Index(requiredLines, "\n    <"+tt.before)
				require.GreaterOrEqual(t, at, 0)
				want = marshallerHead + requiredLines[:at] + tt.lines + requiredLines[at:] + marshallerTail
			}
			assert.Equal(t, want, encodeString(t, d))
		})
	}
}

// TestEncodeEscaping pins every escaping rule: in text &, <, > and CR are
// escaped (CR as a decimal reference) while ", ', LF and tab are not; in
// attribute values " and LF are escaped as well, tab still is not;
// non-ASCII characters are written as UTF-8.
func TestEncodeEscaping(t *testing.T) {
	const (
		raw         = "a&b<c>d\"e'f\rg\nh\ti é日本😀"
		textForm    = "a&amp;b&lt;c&gt;d\"e'f&#13;g\nh\ti é日本😀"
		attrForm    = "a&amp;b&lt;c&gt;d&quot;e'f&#13;g&#10;h\ti é日本😀"
		subject     = "CN=O'Brien & <Sons>,DC=\"x\""
		subjectForm = "CN=O'Brien &amp; &lt;Sons&gt;,DC=\"x\""
	)
	d := minimalDocument()
	d.Checksum.Algorithm = raw
	d.Submitter = new(subject)
	d.MediaType = &MediaType{Name: raw, Properties: []MediaTypeProperty{{Name: raw, Value: new(raw)}}}
	d.FileName = new(raw)

	want := marshallerHead + `
    <identifier>pid.1</identifier>
    <formatId>text/plain</formatId>
    <size>42</size>
    <checksum algorithm="` + attrForm + `">d41d8cd98f00b204e9800998ecf8427e</checksum>
    <submitter>` + subjectForm + `</submitter>
    <rightsHolder>http://orcid.org/0000-0000-0000-0001</rightsHolder>
    <mediaType name="` + attrForm + `">
        <property name="` + attrForm + `">` + textForm + `</property>
    </mediaType>
    <fileName>` + textForm + `</fileName>` + marshallerTail
	assert.Equal(t, want, encodeString(t, d))
}

// TestEncodeDates pins the date rendering: UTC, always three fractional
// digits, +00:00, and sub-millisecond parts dropped towards the past,
// also before 1970 and at the ends of the supported range.
func TestEncodeDates(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2021, 11, 2, 23, 8, 20, 770000000, time.UTC), "2021-11-02T23:08:20.770+00:00"},
		{time.Date(2021, 11, 2, 23, 8, 20, 0, time.UTC), "2021-11-02T23:08:20.000+00:00"},
		{time.Date(2021, 11, 2, 23, 8, 20, 999999, time.UTC), "2021-11-02T23:08:20.000+00:00"},
		{time.Date(2021, 11, 2, 23, 8, 20, 1999999, time.UTC), "2021-11-02T23:08:20.001+00:00"},
		{time.Date(2021, 11, 3, 1, 8, 20, 5e8, time.FixedZone("CEST", 2*3600)), "2021-11-02T23:08:20.500+00:00"},
		{time.Date(2019, 11, 1, 17, 28, 25, 503000000, time.FixedZone("PDT", -7*3600)), "2019-11-02T00:28:25.503+00:00"},
		{time.Date(1969, 12, 31, 23, 59, 59, 999500000, time.UTC), "1969-12-31T23:59:59.999+00:00"},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), "0001-01-01T00:00:00.000+00:00"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999+00:00"},
	}
	for _, tt := range tests {
		d := minimalDocument()
		d.DateUploaded = &tt.in
		want := marshallerHead + requiredLines + "\n    <dateUploaded>" + tt.want + "</dateUploaded>" + marshallerTail
		assert.Equal(t, want, encodeString(t, d), "%v", tt.in)
	}
}

// TestEncodeRefuses checks every rule of Validate through Encode: the
// error type and sentinel, the field path, and that no bytes come back.
func TestEncodeRefuses(t *testing.T) {
	long := strings.Repeat("é", maxIdentifierLength+1)
	tests := []struct {
		name    string
		set     func(d *Document)
		missing bool   // a *MissingFieldError, else an *InvalidFieldError
		field   string // the error's Field
		reason  error  // InvalidFieldError.Err, matched with errors.Is
	}{
		{"empty identifier", func(d *Document) { d.Identifier = "" }, true, "identifier", nil},
		{"blank identifier", func(d *Document) { d.Identifier = " \t" }, true, "identifier", nil},
		{"identifier with a space", func(d *Document) { d.Identifier = "a b" }, false, "identifier", errWhitespace},
		{"identifier with a LF", func(d *Document) { d.Identifier = "a\n" }, false, "identifier", errWhitespace},
		{"identifier too long", func(d *Document) { d.Identifier = long }, false, "identifier", errTooLong},
		{"empty formatId", func(d *Document) { d.FormatID = "" }, true, "formatId", nil},
		{"blank checksum", func(d *Document) { d.Checksum.Value = " " }, true, "checksum", nil},
		{"empty algorithm", func(d *Document) { d.Checksum.Algorithm = "" }, false, "checksum/@algorithm", errNoAlgorithm},
		{"blank submitter", func(d *Document) { d.Submitter = new("\r\n") }, false, "submitter", errBlank},
		{"empty rightsHolder", func(d *Document) { d.RightsHolder = "" }, true, "rightsHolder", nil},
		{"rule without subjects", func(d *Document) {
			d.AccessPolicy = []AccessRule{{Subjects: []string{"public"}, Permissions: []Permission{PermissionRead}}, {Permissions: []Permission{PermissionRead}}}
		}, true, "accessPolicy/allow[2]/subject", nil},
		{"blank subject", func(d *Document) {
			d.AccessPolicy = []AccessRule{{Subjects: []string{"public", ""}, Permissions: []Permission{PermissionRead}}}
		}, true, "accessPolicy/allow[1]/subject[2]", nil},
		{"rule without permissions", func(d *Document) {
			d.AccessPolicy = []AccessRule{{Subjects: []string{"public"}}}
		}, true, "accessPolicy/allow[1]/permission", nil},
		{"unknown permission", func(d *Document) {
			d.AccessPolicy = []AccessRule{{Subjects: []string{"public"}, Permissions: []Permission{PermissionRead, "READ"}}}
		}, false, "accessPolicy/allow[1]/permission[2]", errBadPermission},
		{"blank preferred node", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{PreferredMemberNodes: []string{""}}
		}, false, "replicationPolicy/preferredMemberNode[1]", errBlank},
		{"blank blocked node", func(d *Document) {
			d.ReplicationPolicy = &ReplicationPolicy{BlockedMemberNodes: []string{"urn:node:A", " "}}
		}, false, "replicationPolicy/blockedMemberNode[2]", errBlank},
		{"blank obsoletes", func(d *Document) { d.Obsoletes = new("") }, false, "obsoletes", errBlank},
		{"obsoletedBy with a tab", func(d *Document) { d.ObsoletedBy = new("a\tb") }, false, "obsoletedBy", errWhitespace},
		{"year 0", func(d *Document) { d.DateUploaded = new(time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)) }, false, "dateUploaded", errDateRange},
		{"year 10000 in UTC", func(d *Document) {
			d.DateSysMetadataModified = new(time.Date(9999, 12, 31, 20, 0, 0, 0, time.FixedZone("", -5*3600)))
		}, false, "dateSysMetadataModified", errDateRange},
		{"blank originMemberNode", func(d *Document) { d.OriginMemberNode = new("") }, false, "originMemberNode", errBlank},
		{"blank authoritativeMemberNode", func(d *Document) { d.AuthoritativeMemberNode = new(" ") }, false, "authoritativeMemberNode", errBlank},
		{"replica without member node", func(d *Document) {
			d.Replicas = []Replica{{Status: StatusCompleted, Verified: time.Now()}}
		}, true, "replica[1]/replicaMemberNode", nil},
		{"replica without status", func(d *Document) {
			d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusFailed, Verified: time.Now()}, {MemberNode: "urn:node:A", Verified: time.Now()}}
		}, true, "replica[2]/replicationStatus", nil},
		{"replica with the database's status name", func(d *Document) {
			d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: "COMPLETED", Verified: time.Now()}}
		}, false, "replica[1]/replicationStatus", errBadStatus},
		{"replica without verification date", func(d *Document) {
			d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusRequested}}
		}, true, "replica[1]/replicaVerified", nil},
		{"replica verified within the zero time's first millisecond", func(d *Document) {
			d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusRequested, Verified: time.Date(1, 1, 1, 0, 0, 0, 999999, time.UTC)}}
		}, true, "replica[1]/replicaVerified", nil},
		{"replica verified in year 0", func(d *Document) {
			d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusRequested, Verified: time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)}}
		}, false, "replica[1]/replicaVerified", errDateRange},
		{"blank seriesId", func(d *Document) { d.SeriesID = new(" ") }, false, "seriesId", errBlank},
		{"control character in mediaType name", func(d *Document) { d.MediaType = &MediaType{Name: "a\x01"} }, false, "mediaType/@name", errIllegalChar},
		{"U+FFFE in property name", func(d *Document) {
			d.MediaType = &MediaType{Name: "x", Properties: []MediaTypeProperty{{Name: "ok", Value: new("")}, {Name: "\uFFFE"}}}
		}, false, "mediaType/property[2]/@name", errIllegalChar},
		{"NUL in property value", func(d *Document) {
			d.MediaType = &MediaType{Name: "x", Properties: []MediaTypeProperty{{Name: "p", Value: new("\x00")}}}
		}, false, "mediaType/property[1]", errIllegalChar},
		{"invalid UTF-8 in fileName", func(d *Document) { d.FileName = new("a\xffb") }, false, "fileName", errNotUTF8},
		{"encoded surrogate in fileName", func(d *Document) { d.FileName = new("\xed\xa0\x80") }, false, "fileName", errNotUTF8},
		{"escape character in subject", func(d *Document) { d.RightsHolder = "a\x1bb" }, false, "rightsHolder", errIllegalChar},
		{"vertical tab in identifier", func(d *Document) { d.Identifier = "a\vb" }, false, "identifier", errIllegalChar},
		{"form feed in checksum", func(d *Document) { d.Checksum.Value = "ab\f" }, false, "checksum", errIllegalChar},
		{"control character in algorithm", func(d *Document) { d.Checksum.Algorithm = "MD\x055" }, false, "checksum/@algorithm", errIllegalChar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := minimalDocument()
			tt.set(d)
			b, err := d.Encode()
			require.Error(t, err)
			assert.Nil(t, b)
			assert.True(t, strings.HasPrefix(err.Error(), "sysmeta: "), err.Error())
			assert.Equal(t, tt.missing, errors.Is(err, ErrMissingField), "%v", err)
			assert.Equal(t, !tt.missing, errors.Is(err, ErrInvalidField), "%v", err)
			assert.False(t, errors.Is(err, ErrMalformed))
			if tt.missing {
				var mf *MissingFieldError
				require.ErrorAs(t, err, &mf)
				assert.Equal(t, tt.field, mf.Field)
			} else {
				var inv *InvalidFieldError
				require.ErrorAs(t, err, &inv)
				assert.Equal(t, tt.field, inv.Field)
				assert.ErrorIs(t, err, tt.reason)
			}
			assert.Equal(t, err, d.Validate(), "Validate and Encode disagree")
		})
	}
}

// TestEncodeAcceptsBoundaries checks values at the edges of the rules,
// which must not be refused.
func TestEncodeAcceptsBoundaries(t *testing.T) {
	d := minimalDocument()
	d.Identifier = strings.Repeat("é", maxIdentifierLength)          // 800 characters, 1600 bytes
	d.Submitter = new(" x ")                                         // blank around a character
	d.FileName = new(" \t\r\n")                                      // fileName is any string
	d.MediaType = &MediaType{Name: "\u0085\u2028\U0010FFFF\uFFFD\t"} // allowed odd characters
	d.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusInvalidated, Verified: time.Date(1, 1, 1, 0, 0, 0, 1e6, time.UTC)}}
	_, err := d.Encode()
	assert.NoError(t, err)
}

func TestValidateFirstProblemInElementOrder(t *testing.T) {
	d := minimalDocument()
	d.FileName = new("\x00")
	d.Submitter = new("")
	d.Replicas = []Replica{{}}
	var inv *InvalidFieldError
	require.ErrorAs(t, d.Validate(), &inv)
	assert.Equal(t, "submitter", inv.Field)
}

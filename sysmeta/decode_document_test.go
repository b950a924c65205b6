package sysmeta

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v2Doc is a marshaller-form document with the required elements of
// minimalDocument followed by body.
func v2Doc(body string) []byte {
	return []byte(marshallerHead + requiredLines + body + marshallerTail)
}

// v1Doc is a compact v1 document with the required elements of
// minimalDocument followed by body.
func v1Doc(body string) []byte {
	return []byte(`<?xml version="1.0"?><d1:systemMetadata xmlns:d1="` + NamespaceV1 + `">` +
		requiredLines + body + `</d1:systemMetadata>`)
}

func decodeOK(t *testing.T, data []byte) *Document {
	t.Helper()
	d, err := DecodeDocument(data)
	require.NoError(t, err)
	return d
}

// msUTC returns t as DecodeDocument would give it back: in UTC, cut to
// the millisecond.
func msUTC(t time.Time) *time.Time {
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// TestDocumentRoundTrip checks that hand-made documents come back from
// Encode and DecodeDocument as they were, apart from dates, which come
// back in UTC and cut to the millisecond.
func TestDocumentRoundTrip(t *testing.T) {
	escaping := minimalDocument()
	escaping.Submitter = new("CN=O'Brien & <Sons>,DC=\"x\"\r\n")
	escaping.FileName = new(" a&b<c>d\"e'f\rg\nh\r\ni\tj é日本😀 ")
	escaping.MediaType = &MediaType{Name: "n&<>\"'\r\n\t é", Properties: []MediaTypeProperty{
		{Name: "\t", Value: new("\r")}, {Name: "", Value: new("")}, {Name: "nil"},
	}}

	for name, d := range map[string]*Document{
		"minimal":  minimalDocument(),
		"full":     fullDocument(),
		"escaping": escaping,
	} {
		t.Run(name, func(t *testing.T) {
			want := *d
			if d.DateUploaded != nil {
				want.DateUploaded = msUTC(*d.DateUploaded)
			}
			if d.DateSysMetadataModified != nil {
				want.DateSysMetadataModified = msUTC(*d.DateSysMetadataModified)
			}
			want.Replicas = nil
			for _, r := range d.Replicas {
				r.Verified = *msUTC(r.Verified)
				want.Replicas = append(want.Replicas, r)
			}
			b, err := d.Encode()
			require.NoError(t, err)
			assert.Equal(t, &want, decodeOK(t, b))
		})
	}
}

func TestDecodeDocumentV1(t *testing.T) {
	d := decodeOK(t, v1Doc(`<serialVersion>3</serialVersion>
		<obsoletes>knb.42.1</obsoletes><archived>false</archived>
		<replica><replicaMemberNode>urn:node:A</replicaMemberNode><replicationStatus>failed</replicationStatus>
		<replicaVerified>2013-08-09T10:11:12.5-07:00</replicaVerified></replica>`))
	want := minimalDocument()
	want.SerialVersion = new(uint64(3))
	want.Obsoletes = new("knb.42.1")
	want.Archived = new(false)
	want.Replicas = []Replica{{MemberNode: "urn:node:A", Status: StatusFailed, Verified: utc("2013-08-09T17:11:12.5Z")}}
	assert.Equal(t, want, d)

	b, err := d.Encode()
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte(marshallerHead+"\n")), "a v1 document is written as v2.0:\n%s", b)

	for _, el := range []string{"<seriesId>s</seriesId>", `<mediaType name="x"/>`, "<fileName>f</fileName>"} {
		_, err := DecodeDocument(v1Doc(el))
		var inv *InvalidFieldError
		require.ErrorAs(t, err, &inv, el)
		assert.ErrorIs(t, err, errNotInV1)
		assert.Equal(t, el[1:strings.IndexAny(el, " >")], inv.Field)
	}
}

func TestDecodeDocumentNamespaces(t *testing.T) {
	t.Run("default namespace on every element", func(t *testing.T) {
		d := decodeOK(t, []byte(`<systemMetadata xmlns="`+NamespaceV2+`">`+requiredLines+
			`<fileName>f</fileName></systemMetadata>`))
		assert.Equal(t, new("f"), d.FileName)
	})
	t.Run("xsi attributes on the root", func(t *testing.T) {
		decodeOK(t, []byte(`<d1:systemMetadata xmlns:d1="`+NamespaceV2+`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`+
			` xsi:schemaLocation="`+NamespaceV2+` x.xsd">`+requiredLines+`</d1:systemMetadata>`))
	})
	for name, root := range map[string]string{
		"no namespace":    `<systemMetadata>`,
		"other namespace": `<systemMetadata xmlns="http://example.org/">`,
		"unbound prefix":  `<d1:systemMetadata>`,
		"other root":      `<d1:objectInfo xmlns:d1="` + NamespaceV2 + `">`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeDocument([]byte(root + requiredLines + `</` + root[1:strings.IndexAny(root, " >")] + `>`))
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
}

// TestDecodeDocumentPresence checks the cases where the written form
// decides between nil and an empty value.
func TestDecodeDocumentPresence(t *testing.T) {
	d := decodeOK(t, v2Doc(`<mediaType name="m"><property name="a"/><property name="b"></property>`+
		`<property name="c"><!-- nothing --></property><property name="d" >x</property><property name='e' /></mediaType>`+
		`<fileName/>`))
	assert.Equal(t, &MediaType{Name: "m", Properties: []MediaTypeProperty{
		{Name: "a"}, {Name: "b", Value: new("")}, {Name: "c", Value: new("")}, {Name: "d", Value: new("x")}, {Name: "e"},
	}}, d.MediaType)
	assert.Equal(t, new(""), d.FileName, "an empty fileName is present")

	for _, body := range []string{
		`<replicationPolicy/>`,
		`<replicationPolicy>  </replicationPolicy>`,
		`<accessPolicy/>`,
		`<accessPolicy></accessPolicy>`,
	} {
		d := decodeOK(t, v2Doc(body))
		assert.Equal(t, minimalDocument(), d, "%s decodes to nothing, as the marshaller would write nothing", body)
	}

	d = decodeOK(t, v2Doc(`<mediaType name=""></mediaType>`))
	assert.Equal(t, &MediaType{}, d.MediaType)
}

// TestDecodeDocumentValues checks which values keep their whitespace
// (strings) and which are read with it removed, and the lexical forms
// accepted for numbers and booleans.
func TestDecodeDocumentValues(t *testing.T) {
	d := decodeOK(t, []byte(marshallerHead+`
    <serialVersion> 18446744073709551615 </serialVersion>
    <identifier>pid.1</identifier>
    <formatId> text/plain </formatId>
    <size>+42</size>
    <checksum algorithm=" MD5 ">d41d8cd98f00b204e9800998ecf8427e</checksum>
    <submitter><![CDATA[a & b]]>&#13;&#x9;<!-- c --></submitter>
    <rightsHolder>x&#10;y&lt;</rightsHolder>
    <accessPolicy><allow><subject> public </subject><permission>
        read </permission></allow></accessPolicy>
    <replicationPolicy replicationAllowed=" 1 " numberReplicas=" -2147483648 "/>
    <archived>0</archived>
    <dateUploaded>2020-01-01T00:00:00.123999999+00:00</dateUploaded>
    <dateSysMetadataModified>1969-12-31T15:59:59.9999-08:00</dateSysMetadataModified>
    <replica><replicationStatus> invalidated </replicationStatus><replicaVerified>2020-01-01T00:00:00</replicaVerified>
      <replicaMemberNode>urn:node:A</replicaMemberNode></replica>
    <fileName>
 a	b </fileName>`+marshallerTail))
	assert.Equal(t, &Document{
		SerialVersion:     new(uint64(18446744073709551615)),
		Identifier:        "pid.1",
		FormatID:          " text/plain ",
		Size:              42,
		Checksum:          Checksum{Algorithm: " MD5 ", Value: "d41d8cd98f00b204e9800998ecf8427e"},
		Submitter:         new("a & b\r\t"),
		RightsHolder:      "x\ny<",
		AccessPolicy:      []AccessRule{{Subjects: []string{" public "}, Permissions: []Permission{PermissionRead}}},
		ReplicationPolicy: &ReplicationPolicy{ReplicationAllowed: new(true), NumberReplicas: new(int32(-2147483648))},
		Archived:          new(false),
		// Dates are cut to the millisecond, towards the past.
		DateUploaded:            new(utc("2020-01-01T00:00:00.123Z")),
		DateSysMetadataModified: new(utc("1969-12-31T23:59:59.999Z")),
		Replicas:                []Replica{{MemberNode: "urn:node:A", Status: StatusInvalidated, Verified: utc("2020-01-01T00:00:00Z")}},
		FileName:                new("\n a\tb "),
	}, d)

	for in, want := range map[string]uint64{"0": 0, "-0": 0, "+0": 0, "007": 7, "-000": 0} {
		d := decodeOK(t, []byte(strings.Replace(string(v2Doc("")), "<size>42</size>", "<size>"+in+"</size>", 1)))
		assert.Equal(t, want, d.Size, in)
	}
}

// TestDecodeDocumentRefuses checks the field problems DecodeDocument
// reports, with their type, sentinel, field path and reason.
func TestDecodeDocumentRefuses(t *testing.T) {
	replace := func(old, repl string) []byte {
		data := string(v2Doc(""))
		if !strings.Contains(data, old) {
			panic(old)
		}
		return []byte(strings.Replace(data, old, repl, 1))
	}
	tests := []struct {
		name    string
		data    []byte
		missing bool
		field   string
		reason  error // for *InvalidFieldError
	}{
		{"size not a number", replace("<size>42</size>", "<size>4 2</size>"), false, "size", errNotUnsignedLong},
		{"negative size", replace("<size>42</size>", "<size>-1</size>"), false, "size", errNotUnsignedLong},
		{"size over 64 bits", replace("<size>42</size>", "<size>18446744073709551616</size>"), false, "size", errNotUnsignedLong},
		{"sign alone", replace("<size>42</size>", "<size>+</size>"), false, "size", errNotUnsignedLong},
		{"empty serialVersion", v2Doc("<serialVersion/>"), false, "serialVersion", errNotUnsignedLong},
		{"numberReplicas over 32 bits", v2Doc(`<replicationPolicy numberReplicas="2147483648"/>`), false, "replicationPolicy/@numberReplicas", errNotInt},
		{"replicationAllowed yes", v2Doc(`<replicationPolicy replicationAllowed="yes"/>`), false, "replicationPolicy/@replicationAllowed", errNotBoolean},
		{"empty archived", v2Doc("<archived></archived>"), false, "archived", errNotBoolean},
		{"date without time", v2Doc("<dateUploaded>2020-01-01</dateUploaded>"), false, "dateUploaded", errNotDateTime},
		{"year 0000", v2Doc("<dateSysMetadataModified>0000-01-01T00:00:00Z</dateSysMetadataModified>"), false, "dateSysMetadataModified", errDateRange},
		{"bad replicaVerified", v2Doc("<replica><replicaVerified>x</replicaVerified></replica>"), false, "replica[1]/replicaVerified", errNotDateTime},
		{"identifier twice", v2Doc("<identifier>pid.1</identifier>"), false, "identifier", errDuplicate},
		{"accessPolicy twice", v2Doc("<accessPolicy/><accessPolicy/>"), false, "accessPolicy", errDuplicate},
		{"replica child twice", v2Doc("<replica/><replica><replicationStatus>failed</replicationStatus><replicationStatus>failed</replicationStatus></replica>"),
			false, "replica[2]/replicationStatus", errDuplicate},
		{"unknown root child", v2Doc("<deny/>"), false, "deny", errUnknownElement},
		{"unknown accessPolicy child", v2Doc("<accessPolicy><deny/></accessPolicy>"), false, "accessPolicy/deny", errUnknownElement},
		{"unknown allow child", v2Doc("<accessPolicy><allow><subject>s</subject><role/></allow></accessPolicy>"), false, "accessPolicy/allow[1]/role", errUnknownElement},
		{"unknown replicationPolicy child", v2Doc("<replicationPolicy><node/></replicationPolicy>"), false, "replicationPolicy/node", errUnknownElement},
		{"unknown replica child", v2Doc("<replica><note/></replica>"), false, "replica[1]/note", errUnknownElement},
		{"unknown mediaType child", v2Doc(`<mediaType name="x"><prop/></mediaType>`), false, "mediaType/prop", errUnknownElement},
		{"attribute on a leaf", replace("<identifier>", `<identifier lang="en">`), false, "identifier/@lang", errUnknownAttribute},
		{"extra attribute on checksum", replace(`algorithm="MD5"`, `algorithm="MD5" encoding="hex"`), false, "checksum/@encoding", errUnknownAttribute},
		{"xsi attribute on a child", v2Doc(`<submitter xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`),
			false, "submitter/@{http://www.w3.org/2001/XMLSchema-instance}nil", errUnknownAttribute},
		{"attribute on the root", replace(`xmlns:ns3=`, `version="2" xmlns:ns3=`), false, "systemMetadata/@version", errUnknownAttribute},
		{"text in the root", v2Doc("stray"), false, "systemMetadata", errUnexpectedText},
		{"text in accessPolicy", v2Doc("<accessPolicy>x</accessPolicy>"), false, "accessPolicy", errUnexpectedText},
		{"element in a leaf", replace("<identifier>pid.1</identifier>", "<identifier>pid.1<b/></identifier>"), false, "identifier", errHasElements},
		{"no algorithm", replace(` algorithm="MD5"`, ``), false, "checksum/@algorithm", errNoAlgorithm},
		{"mediaType without name", v2Doc("<mediaType/>"), true, "mediaType/@name", nil},
		{"property without name", v2Doc(`<mediaType name="x"><property>v</property></mediaType>`), true, "mediaType/property[1]/@name", nil},
		{"no size", replace("\n    <size>42</size>", ""), true, "size", nil},
		{"no identifier and no size", []byte(strings.Replace(string(replace("\n    <size>42</size>", "")), "<identifier>pid.1</identifier>", "", 1)),
			true, "identifier", nil},
		{"no rightsHolder", replace("<rightsHolder>http://orcid.org/0000-0000-0000-0001</rightsHolder>", ""), true, "rightsHolder", nil},
		{"identifier with a space", replace("<identifier>pid.1", "<identifier>pid 1"), false, "identifier", errWhitespace},
		{"permission in upper case", v2Doc("<accessPolicy><allow><subject>s</subject><permission>READ</permission></allow></accessPolicy>"),
			false, "accessPolicy/allow[1]/permission[1]", errBadPermission},
		{"allow without subject", v2Doc("<accessPolicy><allow><permission>read</permission></allow></accessPolicy>"),
			true, "accessPolicy/allow[1]/subject", nil},
		{"status in upper case", v2Doc("<replica><replicaMemberNode>n</replicaMemberNode><replicationStatus>COMPLETED</replicationStatus>" +
			"<replicaVerified>2020-01-01T00:00:00Z</replicaVerified></replica>"), false, "replica[1]/replicationStatus", errBadStatus},
		{"replica without date", v2Doc("<replica><replicaMemberNode>n</replicaMemberNode><replicationStatus>queued</replicationStatus></replica>"),
			true, "replica[1]/replicaVerified", nil},
		{"blank blocked node", v2Doc("<replicationPolicy><blockedMemberNode> </blockedMemberNode></replicationPolicy>"),
			false, "replicationPolicy/blockedMemberNode[1]", errBlank},
		{"first field problem in document order", v2Doc("<archived>maybe</archived><deny/><size>x</size>"), false, "archived", errNotBoolean},
		{"field problem before a Validate problem", replace("<identifier>pid.1", "<identifier>pid 1<x/>"), false, "identifier", errHasElements},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeDocument(tt.data)
			require.Error(t, err)
			assert.Nil(t, d)
			assert.True(t, strings.HasPrefix(err.Error(), "sysmeta: "), err.Error())
			assert.Equal(t, tt.missing, errors.Is(err, ErrMissingField), "%v", err)
			assert.Equal(t, !tt.missing, errors.Is(err, ErrInvalidField), "%v", err)
			assert.False(t, errors.Is(err, ErrMalformed), "%v", err)
			assert.Equal(t, tt.field, errField(err), "%v", err)
			if !tt.missing {
				assert.ErrorIs(t, err, tt.reason)
			}
		})
	}
}

// TestDecodeDocumentMalformed checks the XML-level errors, which take
// precedence over any field problem.
func TestDecodeDocumentMalformed(t *testing.T) {
	whole := string(v2Doc(""))
	tests := map[string]string{
		"empty":                    "",
		"whitespace":               " \n",
		"truncated":                whole[:len(whole)/2],
		"element after the root":   whole + "<x/>",
		"text after the root":      whole + "x",
		"mismatched end tag":       strings.Replace(whole, "</size>", "</sise>", 1),
		"attribute given twice":    strings.Replace(whole, `algorithm="MD5"`, `algorithm="MD5" algorithm="SHA-1"`, 1),
		"illegal character":        strings.Replace(whole, "pid.1", "pid\x01", 1),
		"invalid UTF-8":            strings.Replace(whole, "pid.1", "pid\xff", 1),
		"undefined entity":         strings.Replace(whole, "pid.1", "pid&nbsp;", 1),
		"XML error after problems": strings.Replace(whole, "<size>42</size>", "<size>x</size><deny/>", 1) + "<x/>",
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := DecodeDocument([]byte(data))
			assert.Nil(t, d)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.False(t, errors.Is(err, ErrInvalidField) || errors.Is(err, ErrMissingField), "%v", err)
		})
	}
}

func TestDecodeDocumentSizeCap(t *testing.T) {
	base := v2Doc("")
	padded := make([]byte, MaxDocumentSize)
	copy(padded, base)
	for i := len(base); i < len(padded); i++ {
		padded[i] = '\n'
	}
	d, err := DecodeDocument(padded)
	require.NoError(t, err, "a document of exactly MaxDocumentSize bytes is accepted")
	assert.Equal(t, minimalDocument(), d)

	_, err = DecodeDocument(append(padded, '\n'))
	assert.ErrorIs(t, err, ErrMalformed)
	assert.ErrorIs(t, err, errTooLarge)
}

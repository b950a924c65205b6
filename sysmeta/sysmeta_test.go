package sysmeta

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func boolPtr(b bool) *bool { return &b }

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// fixtures lists every well-formed document under testdata with the
// complete result it must decode to.
var fixtures = []struct {
	file string
	want SystemMetadata
}{
	{
		file: "doi_10.18739_A2901ZH2M.xml",
		want: SystemMetadata{
			Version:                 2,
			Identifier:              "doi:10.18739/A2901ZH2M",
			FormatID:                "http://www.isotc211.org/2005/gmd",
			Size:                    39993,
			Checksum:                "4d198171eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c",
			ChecksumAlgorithm:       "SHA-256",
			Submitter:               "http://orcid.org/0000-0003-4703-1974",
			RightsHolder:            "http://orcid.org/0000-0003-4703-1974",
			Archived:                boolPtr(false),
			DateUploaded:            utc("2021-11-02T23:08:20.770Z"),
			DateSysMetadataModified: utc("2021-11-02T23:08:20.770Z"),
			OriginMemberNode:        "urn:node:mnTestARCTIC",
			AuthoritativeMemberNode: "urn:node:mnTestARCTIC",
		},
	},
	{
		file: "jtao.1700.1.xml",
		want: SystemMetadata{
			Version:                 2,
			Identifier:              "jtao.1700.1",
			FormatID:                "https://eml.ecoinformatics.org/eml-2.2.0",
			Size:                    8724,
			Checksum:                "f4ea2d07db950873462a064937197b0f",
			ChecksumAlgorithm:       "MD5",
			Submitter:               "http://orcid.org/0000-0002-1209-5268",
			RightsHolder:            "uid=tao,o=NCEAS,dc=ecoinformatics,dc=org",
			Archived:                boolPtr(false),
			DateUploaded:            utc("2019-11-02T00:28:25.503Z"),
			DateSysMetadataModified: utc("2019-11-02T00:28:25.503Z"),
			OriginMemberNode:        "urn:node:mnTestARCTIC",
			AuthoritativeMemberNode: "urn:node:mnSandboxUCSB2",
		},
	},
	{
		// The size written here (18934) is not the size of the data
		// file shipped with it; sysmeta reports what is written.
		file: "urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a.xml",
		want: SystemMetadata{
			Version:                 2,
			Identifier:              "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a",
			FormatID:                "text/csv",
			Size:                    18934,
			Checksum:                "793852a27f007fa0e28f670e8630108d21c8d545",
			ChecksumAlgorithm:       "SHA-1",
			Submitter:               "CN=urn:node:mnTestARCTIC,DC=dataone,DC=org",
			RightsHolder:            "http://orcid.org/0000-0002-0480-2663",
			Archived:                boolPtr(false),
			DateUploaded:            utc("2016-09-22T21:01:40.979Z"),
			DateSysMetadataModified: utc("2017-12-15T08:02:45.762Z"),
			OriginMemberNode:        "urn:node:mnTestARCTIC",
			AuthoritativeMemberNode: "urn:node:mnTestARCTIC",
		},
	},
	{
		file: "v1_obsoletes.xml",
		want: SystemMetadata{
			Version:                 1,
			Identifier:              "knb.42.2",
			FormatID:                "eml://ecoinformatics.org/eml-2.1.1",
			Size:                    1024,
			Checksum:                "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
			ChecksumAlgorithm:       "SHA-1",
			Submitter:               "uid=alice,o=NCEAS,dc=ecoinformatics,dc=org",
			RightsHolder:            "uid=bob,o=NCEAS,dc=ecoinformatics,dc=org",
			Obsoletes:               "knb.42.1",
			ObsoletedBy:             "knb.42.3",
			Archived:                boolPtr(true),
			DateUploaded:            utc("2012-03-04T05:06:07Z"),
			DateSysMetadataModified: utc("2013-08-09T17:11:12.5Z"),
			OriginMemberNode:        "urn:node:KNB",
			AuthoritativeMemberNode: "urn:node:KNB",
		},
	},
	{
		file: "v2_series.xml",
		want: SystemMetadata{
			Version:                 2,
			Identifier:              "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
			SeriesID:                "resource_map_series.1",
			FormatID:                "application/octet-stream",
			Size:                    0,
			Checksum:                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			ChecksumAlgorithm:       "SHA-256",
			Submitter:               "http://orcid.org/0000-0000-0000-0001",
			RightsHolder:            "http://orcid.org/0000-0000-0000-0002",
			Archived:                boolPtr(true),
			DateUploaded:            utc("2024-02-29T23:59:59Z"),
			DateSysMetadataModified: utc("2024-03-01T00:00:00.123456789Z"),
			OriginMemberNode:        "urn:node:mnTestARCTIC",
			AuthoritativeMemberNode: "urn:node:ARCTIC",
		},
	},
	{
		file: "v2_default_ns.xml",
		want: SystemMetadata{
			Version:           2,
			Identifier:        "default-ns.1",
			FormatID:          "text/plain",
			Size:              7,
			Checksum:          "c4ca4238a0b923820dcc509a6f75849b",
			ChecksumAlgorithm: "MD5",
		},
	},
}

func TestParseFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			got, err := Parse(readTestdata(t, fx.file))
			require.NoError(t, err)
			assert.Equal(t, fx.want, *got)
		})
	}
}

// TestDecodeStreams checks that Decode, fed one byte per Read so that
// every token straddles reads, gives the same result as Parse.
func TestDecodeStreams(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			got, err := Decode(iotest.OneByteReader(bytes.NewReader(readTestdata(t, fx.file))))
			require.NoError(t, err)
			assert.Equal(t, fx.want, *got)
		})
	}
}

// TestFixtureDates pins the date values independently of utc(), in the
// offsets as written.
func TestFixtureDates(t *testing.T) {
	m, err := Parse(readTestdata(t, "jtao.1700.1.xml"))
	require.NoError(t, err)
	want := time.Date(2019, 11, 2, 0, 28, 25, 503_000_000, time.UTC)
	assert.True(t, m.DateUploaded.Equal(want), "dateUploaded = %v", m.DateUploaded)
	assert.Equal(t, time.UTC, m.DateUploaded.Location())

	m, err = Parse(readTestdata(t, "v1_obsoletes.xml"))
	require.NoError(t, err)
	want = time.Date(2013, 8, 9, 10, 11, 12, 500_000_000, time.FixedZone("", -7*3600))
	assert.True(t, m.DateSysMetadataModified.Equal(want), "dateSysMetadataModified = %v", m.DateSysMetadataModified)
}

// doc wraps body in a v2 root element.
func doc(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ns3:systemMetadata xmlns:ns2="http://ns.dataone.org/service/types/v1" xmlns:ns3="http://ns.dataone.org/service/types/v2.0">` + "\n" +
		body + "\n</ns3:systemMetadata>\n"
}

const (
	idEl   = `<identifier>pid.1</identifier>`
	sizeEl = `<size>42</size>`
	sumEl  = `<checksum algorithm="MD5">d41d8cd98f00b204e9800998ecf8427e</checksum>`
	// minimal is the body of the smallest valid document.
	minimal = idEl + sizeEl + sumEl
)

func TestMinimalDocument(t *testing.T) {
	got, err := Parse([]byte(doc(minimal)))
	require.NoError(t, err)
	assert.Equal(t, SystemMetadata{
		Version:           2,
		Identifier:        "pid.1",
		Size:              42,
		Checksum:          "d41d8cd98f00b204e9800998ecf8427e",
		ChecksumAlgorithm: "MD5",
	}, *got)
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name, root string
		want       int
	}{
		{"v1 prefixed", `<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v1">`, 1},
		{"v1 default", `<systemMetadata xmlns="http://ns.dataone.org/service/types/v1">`, 1},
		{"v2 prefixed", `<ns3:systemMetadata xmlns:ns3="http://ns.dataone.org/service/types/v2.0">`, 2},
		{"v2 default", `<systemMetadata xmlns="http://ns.dataone.org/service/types/v2.0">`, 2},
		{"v2 root, v1 children", `<v2:systemMetadata xmlns:v2="http://ns.dataone.org/service/types/v2.0" xmlns="http://ns.dataone.org/service/types/v1">`, 2},
		{"no namespace", `<systemMetadata>`, 0},
		{"other namespace", `<x:systemMetadata xmlns:x="http://ns.dataone.org/service/types/v2.1">`, 0},
		{"undeclared prefix", `<d1:systemMetadata>`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := "</systemMetadata>"
			if i := strings.Index(tt.root, ":"); i > 0 && i < strings.Index(tt.root, "systemMetadata") {
				end = "</" + tt.root[1:i] + ":systemMetadata>"
			}
			got, err := Parse([]byte(tt.root + minimal + end))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Version)
			assert.Equal(t, "pid.1", got.Identifier)
		})
	}
}

// TestChildrenAnyNamespace checks that children are matched by local name
// whatever namespace they are in.
func TestChildrenAnyNamespace(t *testing.T) {
	got, err := Parse([]byte(`<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v1">` +
		`<d1:identifier>q.1</d1:identifier><d1:size>3</d1:size>` +
		`<o:checksum xmlns:o="urn:other" algorithm="SHA-256">abc</o:checksum>` +
		`</d1:systemMetadata>`))
	require.NoError(t, err)
	assert.Equal(t, "q.1", got.Identifier)
	assert.Equal(t, int64(3), got.Size)
	assert.Equal(t, "abc", got.Checksum)
	assert.Equal(t, "SHA-256", got.ChecksumAlgorithm)
}

// TestNestedDecoys checks that only direct children of the root are taken.
func TestNestedDecoys(t *testing.T) {
	decoys := `<accessPolicy><allow><identifier>decoy.access</identifier><size>1</size></allow></accessPolicy>` +
		`<replicationPolicy replicationAllowed="true"><identifier>decoy.repl</identifier>` +
		`<obsoletes>decoy.obs</obsoletes><checksum algorithm="SHA-1">decoy</checksum></replicationPolicy>` +
		`<replica><replicaMemberNode>urn:node:X</replicaMemberNode><dateUploaded>not a date</dateUploaded></replica>` +
		`<unknown><deeper><identifier>decoy.deep</identifier><archived>maybe</archived></deeper></unknown>`

	t.Run("decoys before and after the real fields", func(t *testing.T) {
		got, err := Parse([]byte(doc(decoys + minimal + decoys)))
		require.NoError(t, err)
		assert.Equal(t, "pid.1", got.Identifier)
		assert.Equal(t, int64(42), got.Size)
		assert.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", got.Checksum)
		assert.Empty(t, got.Obsoletes)
		assert.Nil(t, got.Archived)
		assert.True(t, got.DateUploaded.IsZero())
	})
	t.Run("only a nested identifier", func(t *testing.T) {
		_, err := Parse([]byte(doc(decoys + sizeEl + sumEl)))
		var mf *MissingFieldError
		require.ErrorAs(t, err, &mf)
		assert.Equal(t, "identifier", mf.Field)
	})
}

func TestOptionalBlankIsAbsent(t *testing.T) {
	got, err := Parse([]byte(doc(minimal +
		`<seriesId> </seriesId><formatId/><archived>
		</archived><dateUploaded></dateUploaded><obsoletes>	</obsoletes>`)))
	require.NoError(t, err)
	assert.Empty(t, got.SeriesID)
	assert.Empty(t, got.FormatID)
	assert.Nil(t, got.Archived)
	assert.True(t, got.DateUploaded.IsZero())
	assert.Empty(t, got.Obsoletes)
}

func TestTrimming(t *testing.T) {
	got, err := Parse([]byte(doc("<identifier>\n\t pid with inner  space \r\n</identifier>" +
		"<size>\n 10\t</size>" +
		"<checksum algorithm=\" SHA-256 \">\n  ABCdef  \n</checksum>" +
		// U+00A0 is not XML whitespace and must be kept.
		"<seriesId>\u00a0s\u00a0</seriesId>")))
	require.NoError(t, err)
	assert.Equal(t, "pid with inner  space", got.Identifier)
	assert.Equal(t, int64(10), got.Size)
	assert.Equal(t, "ABCdef", got.Checksum)
	assert.Equal(t, "SHA-256", got.ChecksumAlgorithm)
	assert.Equal(t, "\u00a0s\u00a0", got.SeriesID)
}

func TestTextForms(t *testing.T) {
	got, err := Parse([]byte(doc(
		`<identifier>a&amp;b&#x2F;<![CDATA[<c>]]><!-- comment -->d</identifier>` + sizeEl + sumEl)))
	require.NoError(t, err)
	assert.Equal(t, "a&b/<c>d", got.Identifier)
}

func TestProlog(t *testing.T) {
	got, err := Parse([]byte("\n<!-- leading comment -->\n<!DOCTYPE systemMetadata>\n<?pi data?>" +
		"<systemMetadata>" + minimal + "</systemMetadata>\n<!-- trailing -->\n<?pi?>\n\n"))
	require.NoError(t, err)
	assert.Equal(t, "pid.1", got.Identifier)
}

func TestSizeValues(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"007", 7},
		{"+5", 5},
		{"-0", 0},
		{" \n 12 \t", 12},
		{"9223372036854775807", 9223372036854775807},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse([]byte(doc(idEl + "<size>" + tt.in + "</size>" + sumEl)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Size)
		})
	}
}

func TestArchivedValues(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false, " true\n": true} {
		t.Run(in, func(t *testing.T) {
			got, err := Parse([]byte(doc(minimal + "<archived>" + in + "</archived>")))
			require.NoError(t, err)
			require.NotNil(t, got.Archived)
			assert.Equal(t, want, *got.Archived)
		})
	}
}

func TestDateValues(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2019-11-02T00:28:25.503+00:00", time.Date(2019, 11, 2, 0, 28, 25, 503e6, time.UTC)},
		{"2019-11-02T00:28:25Z", time.Date(2019, 11, 2, 0, 28, 25, 0, time.UTC)},
		{"2019-11-02T00:28:25.5Z", time.Date(2019, 11, 2, 0, 28, 25, 5e8, time.UTC)},
		{"2019-11-02T00:28:25", time.Date(2019, 11, 2, 0, 28, 25, 0, time.UTC)},
		{"2019-11-02T00:28:25.503", time.Date(2019, 11, 2, 0, 28, 25, 503e6, time.UTC)},
		{"2019-11-02T00:28:25-05:00", time.Date(2019, 11, 2, 5, 28, 25, 0, time.UTC)},
		{"2019-11-02T00:28:25.123456789123Z", time.Date(2019, 11, 2, 0, 28, 25, 123456789, time.UTC)},
		{"\n 2019-11-02T00:28:25Z \n", time.Date(2019, 11, 2, 0, 28, 25, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse([]byte(doc(minimal + "<dateUploaded>" + tt.in + "</dateUploaded>" +
				"<dateSysMetadataModified>" + tt.in + "</dateSysMetadataModified>")))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.DateUploaded)
			assert.Equal(t, tt.want, got.DateSysMetadataModified)
		})
	}
}

// errCase is one document that must be refused.
type errCase struct {
	name  string
	input string
	is    error  // sentinel the error must match
	field string // for Missing/InvalidFieldError: the Field
	value string // for InvalidFieldError: the Value
	msg   string // substring of the message
}

func errorCases(t testing.TB) []errCase {
	realDoc := string(readTestdata(t, "jtao.1700.1.xml"))
	return []errCase{
		// Malformed documents.
		{name: "empty input", input: "", is: ErrMalformed, msg: "empty input"},
		{name: "blank input", input: " \n\t", is: ErrMalformed, msg: "empty input"},
		{name: "declaration only", input: `<?xml version="1.0"?>`, is: ErrMalformed, msg: "empty input"},
		{name: "truncated real document", input: realDoc[:len(realDoc)/2], is: ErrMalformed, msg: "XML syntax error on line 13: unexpected EOF"},
		{name: "truncated in a tag", input: doc(minimal)[:len(doc(minimal))-5], is: ErrMalformed, msg: "XML syntax error on line"},
		{name: "mismatched end tag", input: "<systemMetadata>\n<identifier>x</size>\n</systemMetadata>", is: ErrMalformed, msg: "XML syntax error on line 2"},
		{name: "unclosed root", input: "<systemMetadata>" + minimal, is: ErrMalformed, msg: "unexpected EOF"},
		{name: "not XML", input: "identifier: x\nsize: 1\n", is: ErrMalformed, msg: "text before the root element"},
		{name: "undefined entity", input: doc(minimal + "<formatId>&nbsp;</formatId>"), is: ErrMalformed, msg: "invalid character entity &nbsp;"},
		{name: "invalid UTF-8", input: doc(minimal + "<formatId>\xff</formatId>"), is: ErrMalformed, msg: "invalid UTF-8"},
		{name: "unsupported encoding", input: `<?xml version="1.0" encoding="X-NO-SUCH-SET"?><systemMetadata>` + minimal + `</systemMetadata>`, is: ErrMalformed, msg: `"X-NO-SUCH-SET", which is not supported`},
		{name: "wrong root", input: `<d1:objectInfo xmlns:d1="http://ns.dataone.org/service/types/v1">` + minimal + `</d1:objectInfo>`, is: ErrMalformed, msg: "root element is <{http://ns.dataone.org/service/types/v1}objectInfo>, want <systemMetadata>"},
		{name: "root name case", input: `<SystemMetadata>` + minimal + `</SystemMetadata>`, is: ErrMalformed, msg: "root element is <SystemMetadata>"},
		{name: "second root element", input: doc(minimal) + "<systemMetadata/>", is: ErrMalformed, msg: "content after the root element"},
		{name: "text after root", input: doc(minimal) + "junk", is: ErrMalformed, msg: "content after the root element"},
		{name: "algorithm attribute twice", input: doc(idEl + sizeEl + `<checksum algorithm="MD5" algorithm="SHA-1">x</checksum>`), is: ErrMalformed, msg: "attribute algorithm given twice"},
		{name: "syntax error beats missing field", input: "<systemMetadata><size>1</size>", is: ErrMalformed, msg: "unexpected EOF"},
		{name: "syntax error beats invalid field", input: "<systemMetadata>" + minimal + "<archived>x</archived><", is: ErrMalformed, msg: "XML syntax error"},

		// Missing required fields.
		{name: "missing identifier", input: doc(sizeEl + sumEl), is: ErrMissingField, field: "identifier", msg: `sysmeta: missing required field "identifier"`},
		{name: "blank identifier", input: doc("<identifier> \n\t</identifier>" + sizeEl + sumEl), is: ErrMissingField, field: "identifier"},
		{name: "empty identifier element", input: doc("<identifier/>" + sizeEl + sumEl), is: ErrMissingField, field: "identifier"},
		{name: "missing size", input: doc(idEl + sumEl), is: ErrMissingField, field: "size", msg: `sysmeta: missing required field "size"`},
		{name: "blank size", input: doc(idEl + "<size>  </size>" + sumEl), is: ErrMissingField, field: "size"},
		{name: "missing checksum", input: doc(idEl + sizeEl), is: ErrMissingField, field: "checksum", msg: `sysmeta: missing required field "checksum"`},
		{name: "blank checksum", input: doc(idEl + sizeEl + `<checksum algorithm="MD5"> </checksum>`), is: ErrMissingField, field: "checksum"},
		{name: "missing everything", input: doc(""), is: ErrMissingField, field: "identifier"},
		{name: "missing identifier reported before bad size", input: doc("<size>x</size>" + sumEl), is: ErrMissingField, field: "identifier"},
		{name: "missing identifier reported before later duplicate", input: doc(sizeEl + sumEl + "<obsoletes>a</obsoletes><obsoletes>b</obsoletes>"), is: ErrMissingField, field: "identifier"},
		{name: "missing checksum reported before bad date", input: doc(idEl + sizeEl + "<dateUploaded>x</dateUploaded>"), is: ErrMissingField, field: "checksum"},

		// Invalid field values.
		{name: "checksum without algorithm", input: doc(idEl + sizeEl + `<checksum>abc</checksum>`), is: ErrInvalidField, field: "checksum/@algorithm", value: "", msg: `sysmeta: invalid checksum/@algorithm "": checksum algorithm attribute is missing or empty`},
		{name: "checksum empty algorithm", input: doc(idEl + sizeEl + `<checksum algorithm="">abc</checksum>`), is: ErrInvalidField, field: "checksum/@algorithm", value: ""},
		{name: "checksum blank algorithm", input: doc(idEl + sizeEl + `<checksum algorithm="  ">abc</checksum>`), is: ErrInvalidField, field: "checksum/@algorithm", value: "  "},
		{name: "checksum namespaced algorithm only", input: doc(idEl + sizeEl + `<checksum xmlns:x="urn:x" x:algorithm="MD5">abc</checksum>`), is: ErrInvalidField, field: "checksum/@algorithm"},
		{name: "non-numeric size", input: doc(idEl + "<size>abc</size>" + sumEl), is: ErrInvalidField, field: "size", value: "abc", msg: `sysmeta: invalid size "abc": not a decimal integer`},
		{name: "negative size", input: doc(idEl + "<size>-1</size>" + sumEl), is: ErrInvalidField, field: "size", value: "-1", msg: `sysmeta: invalid size "-1": negative size`},
		{name: "fractional size", input: doc(idEl + "<size>1.5</size>" + sumEl), is: ErrInvalidField, field: "size", value: "1.5"},
		{name: "exponent size", input: doc(idEl + "<size>1e3</size>" + sumEl), is: ErrInvalidField, field: "size", value: "1e3"},
		{name: "hex size", input: doc(idEl + "<size>0x10</size>" + sumEl), is: ErrInvalidField, field: "size", value: "0x10"},
		{name: "size with underscore", input: doc(idEl + "<size>1_000</size>" + sumEl), is: ErrInvalidField, field: "size", value: "1_000"},
		{name: "size with inner space", input: doc(idEl + "<size>1 000</size>" + sumEl), is: ErrInvalidField, field: "size", value: "1 000"},
		{name: "size overflows int64", input: doc(idEl + "<size>9223372036854775808</size>" + sumEl), is: ErrInvalidField, field: "size", value: "9223372036854775808", msg: "out of range"},
		{name: "size value kept as written", input: doc(idEl + "<size> x </size>" + sumEl), is: ErrInvalidField, field: "size", value: " x "},
		{name: "bad dateUploaded", input: doc(minimal + "<dateUploaded>yesterday</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded", value: "yesterday", msg: `sysmeta: invalid dateUploaded "yesterday": not an xs:dateTime`},
		{name: "date without time", input: doc(minimal + "<dateUploaded>2019-11-02</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded", value: "2019-11-02"},
		{name: "date with space separator", input: doc(minimal + "<dateUploaded>2019-11-02 00:28:25Z</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded"},
		{name: "date with compact offset", input: doc(minimal + "<dateUploaded>2019-11-02T00:28:25+0000</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded"},
		{name: "date with one-digit hour", input: doc(minimal + "<dateUploaded>2019-11-02T0:28:25Z</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded"},
		{name: "date out of range", input: doc(minimal + "<dateUploaded>2019-13-02T00:28:25Z</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded", msg: "month out of range"},
		{name: "date Feb 30", input: doc(minimal + "<dateUploaded>2019-02-30T00:00:00Z</dateUploaded>"), is: ErrInvalidField, field: "dateUploaded"},
		{name: "bad dateSysMetadataModified", input: doc(minimal + "<dateSysMetadataModified>2019-11-02T00:28:25.Z</dateSysMetadataModified>"), is: ErrInvalidField, field: "dateSysMetadataModified"},
		{name: "bad archived", input: doc(minimal + "<archived>yes</archived>"), is: ErrInvalidField, field: "archived", value: "yes", msg: `sysmeta: invalid archived "yes": not an xs:boolean`},
		{name: "archived upper case", input: doc(minimal + "<archived>TRUE</archived>"), is: ErrInvalidField, field: "archived", value: "TRUE"},
		{name: "duplicate identifier", input: doc(minimal + "<identifier>pid.2</identifier>"), is: ErrInvalidField, field: "identifier", value: "pid.2", msg: "element occurs more than once"},
		{name: "duplicate checksum", input: doc(minimal + sumEl), is: ErrInvalidField, field: "checksum"},
		{name: "duplicate optional field", input: doc(minimal + "<obsoletes>a</obsoletes><obsoletes>b</obsoletes>"), is: ErrInvalidField, field: "obsoletes", value: "b"},
		{name: "bad size reported before bad archived", input: doc(idEl + "<archived>x</archived><size>x</size>" + sumEl), is: ErrInvalidField, field: "size", value: "x"},
		{name: "bad formatId reported before missing size", input: doc(idEl + "<formatId><a/></formatId>" + sumEl), is: ErrInvalidField, field: "formatId", msg: "child elements"},
		{name: "identifier with child element", input: doc("<identifier>pid<b>.1</b></identifier>" + sizeEl + sumEl), is: ErrInvalidField, field: "identifier", value: "pid", msg: "child elements"},
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range errorCases(t) {
		for _, via := range []string{"Parse", "Decode"} {
			t.Run(via+"/"+tc.name, func(t *testing.T) {
				var got *SystemMetadata
				var err error
				if via == "Parse" {
					got, err = Parse([]byte(tc.input))
				} else {
					got, err = Decode(iotest.HalfReader(strings.NewReader(tc.input)))
				}
				require.Error(t, err)
				assert.Nil(t, got)
				assert.ErrorIs(t, err, tc.is)
				assert.True(t, strings.HasPrefix(err.Error(), "sysmeta: "), "message %q", err)
				if tc.msg != "" {
					assert.Contains(t, err.Error(), tc.msg)
				}
				// Each error matches exactly one sentinel.
				for _, other := range []error{ErrMalformed, ErrMissingField, ErrInvalidField} {
					if other != tc.is {
						assert.NotErrorIs(t, err, other)
					}
				}
				switch tc.is {
				case ErrMissingField:
					var mf *MissingFieldError
					require.ErrorAs(t, err, &mf)
					assert.Equal(t, tc.field, mf.Field)
				case ErrInvalidField:
					var inv *InvalidFieldError
					require.ErrorAs(t, err, &inv)
					assert.Equal(t, tc.field, inv.Field)
					if tc.value != "" || tc.field == "checksum/@algorithm" {
						assert.Equal(t, tc.value, inv.Value)
					}
					assert.Error(t, inv.Err)
				}
			})
		}
	}
}

func TestErrorTypes(t *testing.T) {
	mf := &MissingFieldError{Field: "size"}
	assert.Equal(t, `sysmeta: missing required field "size"`, mf.Error())
	assert.ErrorIs(t, mf, ErrMissingField)
	assert.NotErrorIs(t, mf, ErrInvalidField)

	cause := errors.New("because")
	inv := &InvalidFieldError{Field: "archived", Value: "x", Err: cause}
	assert.Equal(t, `sysmeta: invalid archived "x": because`, inv.Error())
	assert.ErrorIs(t, inv, ErrInvalidField)
	assert.ErrorIs(t, inv, cause)
	assert.NotErrorIs(t, inv, ErrMissingField)
	assert.Equal(t, `sysmeta: invalid archived "x"`, (&InvalidFieldError{Field: "archived", Value: "x"}).Error())

	for _, s := range []error{ErrMalformed, ErrMissingField, ErrInvalidField} {
		assert.True(t, strings.HasPrefix(s.Error(), "sysmeta: "), s.Error())
	}
}

// sized returns a valid document of exactly n bytes, padded with a
// comment after the root element.
func sized(t testing.TB, n int) []byte {
	t.Helper()
	base := doc(minimal) + "<!---->"
	require.GreaterOrEqual(t, n, len(base))
	out := make([]byte, 0, n)
	out = append(out, doc(minimal)...)
	out = append(out, "<!--"...)
	out = append(out, bytes.Repeat([]byte{'x'}, n-len(base))...)
	out = append(out, "-->"...)
	require.Len(t, out, n)
	return out
}

func TestSizeCap(t *testing.T) {
	atCap := sized(t, MaxDocumentSize)
	overCap := sized(t, MaxDocumentSize+1)

	t.Run("Parse at cap", func(t *testing.T) {
		got, err := Parse(atCap)
		require.NoError(t, err)
		assert.Equal(t, "pid.1", got.Identifier)
	})
	t.Run("Decode at cap", func(t *testing.T) {
		got, err := Decode(bytes.NewReader(atCap))
		require.NoError(t, err)
		assert.Equal(t, "pid.1", got.Identifier)
	})
	t.Run("Parse over cap", func(t *testing.T) {
		_, err := Parse(overCap)
		require.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), "sysmeta: malformed document: document exceeds the 16777216-byte limit")
	})
	t.Run("Decode over cap", func(t *testing.T) {
		_, err := Decode(bytes.NewReader(overCap))
		require.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), "document exceeds the 16777216-byte limit")
	})
	t.Run("Parse refuses over cap without parsing", func(t *testing.T) {
		// A syntax error in the first bytes would win if Parse parsed.
		junk := append([]byte("<<"), make([]byte, MaxDocumentSize)...)
		_, err := Parse(junk)
		require.ErrorIs(t, err, ErrMalformed)
		assert.Equal(t, "sysmeta: malformed document: document exceeds the 16777216-byte limit", err.Error())
	})
	t.Run("Decode over cap, EOF with the last bytes", func(t *testing.T) {
		// The reader hands over the byte past the cap together with
		// io.EOF, so the cap must be enforced on that very Read.
		_, err := Decode(iotest.DataErrReader(bytes.NewReader(overCap)))
		require.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), "document exceeds the 16777216-byte limit")
	})
	t.Run("Decode stops reading an endless stream", func(t *testing.T) {
		cr := &countingReader{r: io.MultiReader(strings.NewReader("<systemMetadata><!--"), endless{})}
		_, err := Decode(cr)
		require.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), "exceeds")
		assert.LessOrEqual(t, cr.n, int64(MaxDocumentSize+1))
	})
}

// endless is an io.Reader of infinitely many 'x' bytes.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(doc(minimal)[:60]), iotest.ErrReader(boom))
	_, err := Decode(r)
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrMalformed)
	assert.Equal(t, "sysmeta: reading document: disk on fire", err.Error())
}

// TestDecodeReadsToEOF checks that Decode consumes its whole input, which
// is what lets it refuse trailing content.
func TestDecodeReadsToEOF(t *testing.T) {
	input := doc(minimal) + "\n\n<!-- trailer -->\n"
	r := strings.NewReader(input)
	_, err := Decode(r)
	require.NoError(t, err)
	assert.Zero(t, r.Len())
}

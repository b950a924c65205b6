package sysmeta

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metacatSamples is the sample Metacat repository's sysmeta directory
// (testdata/metacat at the repository root).
const metacatSamples = "../testdata/metacat/sysmeta"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func decodeFile(t *testing.T, path string) *Document {
	t.Helper()
	d, err := DecodeDocument(readFile(t, path))
	require.NoError(t, err)
	return d
}

// TestMarshallerFilesRoundTrip decodes every document written by Metacat's
// marshaller that the repository holds (the three reference vectors, here
// and again in the sample Metacat repository) and encodes it back: the
// bytes must be identical.
func TestMarshallerFilesRoundTrip(t *testing.T) {
	// The package's own copies of the reference vectors; its other
	// fixtures are hand-written (TestHandWrittenFixtures).
	files := []string{
		"testdata/doi_10.18739_A2901ZH2M.xml",
		"testdata/jtao.1700.1.xml",
		"testdata/urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a.xml",
	}
	samples, err := filepath.Glob(metacatSamples + "/*.xml")
	require.NoError(t, err)
	for _, f := range samples {
		if bytes.HasPrefix(readFile(t, f), []byte(marshallerHead+"\n")) {
			files = append(files, f)
		}
	}
	require.Len(t, files, 6, "marshaller-written documents found: %v", files)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data := readFile(t, f)
			got, err := decodeFile(t, f).Encode()
			require.NoError(t, err)
			assert.Equal(t, string(data), string(got))
		})
	}
}

// TestDecodeReferenceDocuments pins the complete decoded model of the two
// reference documents with node lists and replicas, so that a decoder and
// encoder cannot agree on a wrong model (say, preferred and blocked nodes
// swapped both ways) and still round-trip.
func TestDecodeReferenceDocuments(t *testing.T) {
	at := func(s string) *time.Time { u := utc(s); return &u }
	orcid := "http://orcid.org/0000-0003-4703-1974"
	admins := "CN=arctic-data-admins,DC=dataone,DC=org"
	all := []Permission{PermissionRead, PermissionWrite, PermissionChangePermission}
	arctic := "urn:node:mnTestARCTIC"

	assert.Equal(t, &Document{
		SerialVersion: new(uint64(0)),
		Identifier:    "doi:10.18739/A2901ZH2M",
		FormatID:      "http://www.isotc211.org/2005/gmd",
		Size:          39993,
		Checksum:      Checksum{Algorithm: "SHA-256", Value: "4d198171eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c"},
		Submitter:     &orcid,
		RightsHolder:  orcid,
		AccessPolicy: []AccessRule{
			{Subjects: []string{"public"}, Permissions: []Permission{PermissionRead}},
			{Subjects: []string{admins}, Permissions: all},
		},
		ReplicationPolicy: &ReplicationPolicy{
			BlockedMemberNodes: []string{"urn:node:KNB", "urn:node:mnUCSB1"},
			ReplicationAllowed: new(false),
			NumberReplicas:     new(int32(0)),
		},
		Archived:                new(false),
		DateUploaded:            at("2021-11-02T23:08:20.770Z"),
		DateSysMetadataModified: at("2021-11-02T23:08:20.770Z"),
		OriginMemberNode:        &arctic,
		AuthoritativeMemberNode: &arctic,
		FileName:                new("metadata.xml"),
	}, decodeFile(t, "testdata/doi_10.18739_A2901ZH2M.xml"))

	assert.Equal(t, &Document{
		SerialVersion: new(uint64(19)),
		Identifier:    "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a",
		FormatID:      "text/csv",
		Size:          18934,
		Checksum:      Checksum{Algorithm: "SHA-1", Value: "793852a27f007fa0e28f670e8630108d21c8d545"},
		Submitter:     new("CN=urn:node:mnTestARCTIC,DC=dataone,DC=org"),
		RightsHolder:  "http://orcid.org/0000-0002-0480-2663",
		AccessPolicy: []AccessRule{
			{Subjects: []string{"public"}, Permissions: []Permission{PermissionRead}},
			{Subjects: []string{admins}, Permissions: all},
		},
		ReplicationPolicy:       &ReplicationPolicy{ReplicationAllowed: new(false), NumberReplicas: new(int32(0))},
		Archived:                new(false),
		DateUploaded:            at("2016-09-22T21:01:40.979Z"),
		DateSysMetadataModified: at("2017-12-15T08:02:45.762Z"),
		OriginMemberNode:        &arctic,
		AuthoritativeMemberNode: &arctic,
		Replicas: []Replica{
			{MemberNode: arctic, Status: StatusCompleted, Verified: utc("2019-03-20T22:50:41.237Z")},
			{MemberNode: "urn:node:mnStageUCSB2", Status: StatusCompleted, Verified: utc("2019-03-20T22:50:41.934Z")},
		},
		FileName: new("ASDN_Pred_nests.csv"),
	}, decodeFile(t, "testdata/urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a.xml"))
}

// generatedStart and generatedEnd match the root tags of the sample repository's generated
// documents, which use a d1 prefix and declare only their own namespace.
var (
	generatedStart = regexp.MustCompile(`\n<d1:systemMetadata xmlns:d1="[^"]*">`)
	generatedEnd   = regexp.MustCompile(`\n</d1:systemMetadata>\n$`)
)

// TestMetacatSampleGeneratedFiles covers the sample repository's documents
// that its generator wrote rather than Metacat's marshaller. Apart from
// the two deliberately broken ones, which DecodeDocument must refuse, each
// encodes to the same bytes except for the root element: the generator
// writes <d1:systemMetadata> declaring one namespace (v1 or v2.0), the
// marshaller <ns3:systemMetadata> declaring both.
func TestMetacatSampleGeneratedFiles(t *testing.T) {
	files, err := filepath.Glob(metacatSamples + "/*.xml")
	require.NoError(t, err)
	require.Len(t, files, 28)
	refused := map[string]struct {
		missing bool
		field   string
	}{
		"autogen.2024010112999904.1.xml": {false, "identifier"}, // pid with a space
		"autogen.2024010112999906.1.xml": {true, "checksum"},    // no checksum element
	}
	generated := 0
	for _, f := range files {
		data := readFile(t, f)
		if bytes.HasPrefix(data, []byte(marshallerHead)) {
			continue // TestMarshallerFilesRoundTrip
		}
		generated++
		t.Run(filepath.Base(f), func(t *testing.T) {
			d, err := DecodeDocument(data)
			if want, ok := refused[filepath.Base(f)]; ok {
				require.Error(t, err)
				assert.Equal(t, want.missing, errors.Is(err, ErrMissingField), "%v", err)
				assert.Equal(t, !want.missing, errors.Is(err, ErrInvalidField), "%v", err)
				assert.Equal(t, want.field, errField(err))
				return
			}
			require.NoError(t, err)
			require.Len(t, generatedStart.FindAllIndex(data, -1), 1)
			require.Len(t, generatedEnd.FindAllIndex(data, -1), 1)
			want := generatedStart.ReplaceAll(data, []byte("\n"+marshallerRoot))
			want = generatedEnd.ReplaceAll(want, []byte(marshallerTail))
			got, err := d.Encode()
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
	assert.Equal(t, 25, generated)
}

// TestHandWrittenFixtures covers the package's own hand-written documents,
// which are not in marshaller form.
func TestHandWrittenFixtures(t *testing.T) {
	t.Run("v1_obsoletes.xml keeps the spaces around its identifier", func(t *testing.T) {
		_, err := DecodeDocument(readTestdata(t, "v1_obsoletes.xml"))
		var inv *InvalidFieldError
		require.ErrorAs(t, err, &inv)
		assert.Equal(t, "identifier", inv.Field)
		assert.Equal(t, "  knb.42.2  ", inv.Value)
		assert.ErrorIs(t, err, errWhitespace)
	})
	t.Run("v2_default_ns.xml has no rightsHolder", func(t *testing.T) {
		_, err := DecodeDocument(readTestdata(t, "v2_default_ns.xml"))
		var mf *MissingFieldError
		require.ErrorAs(t, err, &mf)
		assert.Equal(t, "rightsHolder", mf.Field)
	})
	t.Run("v2_series.xml is rewritten in marshaller form", func(t *testing.T) {
		// Its dates lack a zone or carry nanoseconds; decoding takes the
		// first as UTC and cuts the second to the millisecond.
		got, err := decodeFile(t, "testdata/v2_series.xml").Encode()
		require.NoError(t, err)
		assert.Equal(t, marshallerHead+`
    <serialVersion>1</serialVersion>
    <identifier>urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</identifier>
    <formatId>application/octet-stream</formatId>
    <size>0</size>
    <checksum algorithm="SHA-256">e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</checksum>
    <submitter>http://orcid.org/0000-0000-0000-0001</submitter>
    <rightsHolder>http://orcid.org/0000-0000-0000-0002</rightsHolder>
    <archived>true</archived>
    <dateUploaded>2024-02-29T23:59:59.000+00:00</dateUploaded>
    <dateSysMetadataModified>2024-03-01T00:00:00.123+00:00</dateSysMetadataModified>
    <originMemberNode>urn:node:mnTestARCTIC</originMemberNode>
    <authoritativeMemberNode>urn:node:ARCTIC</authoritativeMemberNode>
    <seriesId>resource_map_series.1</seriesId>
    <mediaType name="application/octet-stream">
        <property name="identifier">decoy-in-mediaType</property>
    </mediaType>
    <fileName>empty.bin</fileName>`+marshallerTail, string(got))
	})
}

// errField returns the Field of a *MissingFieldError or *InvalidFieldError
// in err's chain, or "" if there is none.
func errField(err error) string {
	var mf *MissingFieldError
	if errors.As(err, &mf) {
		return mf.Field
	}
	var inv *InvalidFieldError
	if errors.As(err, &inv) {
		return inv.Field
	}
	return ""
}

package sysmeta

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkSentinel fails t unless err carries the package prefix and
// matches exactly one of the package's sentinels.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "sysmeta: ") {
		t.Fatalf("error %q lacks the sysmeta: prefix", err)
	}
	matched := 0
	for _, s := range []error{ErrMalformed, ErrMissingField, ErrInvalidField} {
		if errors.Is(err, s) {
			matched++
		}
	}
	if matched != 1 {
		t.Fatalf("error %q matches %d sentinels, want 1", err, matched)
	}
}

// FuzzDocumentRoundTrip checks, for any input DecodeDocument accepts, that
// Encode accepts the result, that decoding Encode's output gives the same
// Document (decode(encode(d)) == d), and that encoding that again gives
// the same bytes (encode(decode(x)) == x for x written by Encode).
func FuzzDocumentRoundTrip(f *testing.F) {
	for _, pattern := range []string{"testdata/*.xml", metacatSamples + "/*.xml"} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed documents for %s: %v", pattern, err)
		}
		for _, name := range files {
			f.Add(readFile(f, name))
		}
	}
	for _, d := range []*Document{minimalDocument(), fullDocument()} {
		b, err := d.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(v1Doc(`<replica><replicaMemberNode>n</replicaMemberNode><replicationStatus>failed</replicationStatus>` +
		`<replicaVerified>2013-08-09T10:11:12.5-07:00</replicaVerified></replica>`))
	f.Add(v2Doc(`<submitter><![CDATA[a & b]]>&#13;&#x9;</submitter><mediaType name="a&#9;&#10;&#13;&quot;">` +
		`<property name="x"/><property name=""></property></mediaType><fileName/>`))

	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDocument(data)
		if err != nil {
			if d != nil {
				t.Fatalf("DecodeDocument returned both a Document and %v", err)
			}
			checkSentinel(t, err)
			return
		}
		enc, err := d.Encode()
		if err != nil {
			t.Fatalf("a decoded document does not encode: %v", err)
		}
		d2, err := DecodeDocument(enc)
		if err != nil {
			t.Fatalf("Encode's output does not decode: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("decode(encode(d)) != d:\n%+v\n%+v", d, d2)
		}
		enc2, err := d2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encode(decode(x)) != x for x from Encode (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

// FuzzEncodeRoundTrip builds Documents from arbitrary strings, numbers and
// instants, so that every character reaches the escaping code in text and
// in attributes. Whatever Encode accepts must decode back to the same
// Document, dates apart (UTC, cut to the millisecond); whatever it refuses
// it must refuse with a field error, never a malformed-document one.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("pid.1", "public", "a&b<c>d\"e'f\rg\nh\ti é", "SHA-256", uint64(42), int64(1635894500770), uint32(123456), true, int32(-1))
	f.Add("x", " ", "", "", uint64(0), int64(-62135596800000), uint32(0), false, int32(0))
	f.Add("doi:10.1/a", "CN=a,DC=b", "\x00", "\uFFFE", ^uint64(0), int64(253402300799999), uint32(999999), false, int32(2147483647))
	f.Fuzz(func(t *testing.T, id, subject, text, attrValue string, size uint64, unixMilli int64, subMilli uint32, flag bool, n int32) {
		statuses := []ReplicationStatus{StatusQueued, StatusRequested, StatusCompleted, StatusFailed, StatusInvalidated}
		status := statuses[uint32(n)%uint32(len(statuses))]
		when := time.UnixMilli(unixMilli).Add(time.Duration(subMilli % 1e6)).In(time.FixedZone("", int(n%86400)))
		d := &Document{
			SerialVersion: &size,
			Identifier:    id,
			FormatID:      subject,
			Size:          size,
			Checksum:      Checksum{Algorithm: attrValue, Value: text},
			Submitter:     &text,
			RightsHolder:  subject,
			AccessPolicy: []AccessRule{{
				Subjects:    []string{subject, text},
				Permissions: []Permission{PermissionChangePermission, PermissionRead},
			}},
			ReplicationPolicy: &ReplicationPolicy{
				PreferredMemberNodes: []string{subject},
				BlockedMemberNodes:   []string{text},
				ReplicationAllowed:   &flag,
				NumberReplicas:       &n,
			},
			Obsoletes:               &id,
			Archived:                &flag,
			DateUploaded:            &when,
			OriginMemberNode:        &subject,
			Replicas:                []Replica{{MemberNode: subject, Status: status, Verified: when}},
			SeriesID:                &id,
			MediaType:               &MediaType{Name: attrValue, Properties: []MediaTypeProperty{{Name: attrValue, Value: &text}, {Name: text}}},
			FileName:                &text,
			AuthoritativeMemberNode: &subject,
		}
		enc, err := d.Encode()
		if err != nil {
			checkSentinel(t, err)
			if errors.Is(err, ErrMalformed) {
				t.Fatalf("Encode refused with a document-level error: %v", err)
			}
			return
		}
		got, err := DecodeDocument(enc)
		if err != nil {
			t.Fatalf("Encode's output does not decode: %v\n%s", err, enc)
		}
		want := *d
		want.DateUploaded = msUTC(when)
		want.Replicas = []Replica{{MemberNode: subject, Status: status, Verified: *msUTC(when)}}
		if !reflect.DeepEqual(&want, got) {
			t.Fatalf("decode(encode(d)) != d:\n%+v\n%+v", &want, got)
		}
	})
}

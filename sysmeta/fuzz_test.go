package sysmeta

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, that whatever it accepts
// has the guaranteed fields, that every error it returns matches exactly
// one sentinel, and that Parse agrees with it.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed documents: %v", err)
	}
	for _, name := range files {
		f.Add(readTestdata(f, filepath.Base(name)))
	}
	whole := doc(minimal)
	for _, s := range []string{
		"",
		"<",
		"<systemMetadata>",
		"<systemMetadata/>",
		whole[:len(whole)/2],
		whole + "<x/>",
		`<d1:objectInfo xmlns:d1="http://ns.dataone.org/service/types/v1"/>`,
		doc(`<accessPolicy><identifier>decoy</identifier></accessPolicy>` + sizeEl + sumEl),
		doc(minimal + `<identifier>again</identifier>`),
		doc(idEl + `<size>-1</size>` + sumEl),
		doc(idEl + sizeEl + `<checksum algorithm="">x</checksum>`),
		doc(minimal + `<dateUploaded>2019-11-02T00:28:25.503</dateUploaded><archived>1</archived>`),
	} {
		f.Add([]byte(s))
	}

	sentinels := []error{ErrMalformed, ErrMissingField, ErrInvalidField}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(bytes.NewReader(data))
		pm, perr := Parse(data)

		if err != nil {
			if m != nil {
				t.Fatalf("Decode returned both %+v and %v", m, err)
			}
			if perr == nil || perr.Error() != err.Error() {
				t.Fatalf("Decode error %q, Parse error %v", err, perr)
			}
			if !strings.HasPrefix(err.Error(), "sysmeta: ") {
				t.Fatalf("error %q lacks the sysmeta: prefix", err)
			}
			matched := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					matched++
				}
			}
			if matched != 1 {
				t.Fatalf("error %q matches %d sentinels, want 1", err, matched)
			}
			return
		}

		if perr != nil {
			t.Fatalf("Decode succeeded but Parse failed: %v", perr)
		}
		if m.Identifier == "" {
			t.Fatal("accepted a document with an empty Identifier")
		}
		if m.Size < 0 {
			t.Fatalf("accepted a negative Size %d", m.Size)
		}
		if m.Checksum == "" || m.ChecksumAlgorithm == "" {
			t.Fatalf("accepted checksum %q with algorithm %q", m.Checksum, m.ChecksumAlgorithm)
		}
		if m.Version < 0 || m.Version > 2 {
			t.Fatalf("Version %d", m.Version)
		}
		for _, s := range []string{m.Identifier, m.Checksum, m.ChecksumAlgorithm, m.SeriesID, m.FormatID} {
			if trimXMLSpace(s) != s {
				t.Fatalf("untrimmed value %q", s)
			}
		}
		if !sameMetadata(m, pm) {
			t.Fatalf("Decode gave %+v, Parse gave %+v", m, pm)
		}
	})
}

// sameMetadata compares two results, following the Archived pointers.
// Both come from the same code path, so their time.Time fields are
// comparable with ==.
func sameMetadata(a, b *SystemMetadata) bool {
	ac, bc := *a, *b
	if (ac.Archived == nil) != (bc.Archived == nil) {
		return false
	}
	if ac.Archived != nil && *ac.Archived != *bc.Archived {
		return false
	}
	ac.Archived, bc.Archived = nil, nil
	return ac == bc
}

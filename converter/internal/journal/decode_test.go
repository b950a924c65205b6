package journal

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// sameAsEncodingJSON asserts that decodeRecord gives what json.Unmarshal gives for line:
// the same record, or an error for the same lines.
func sameAsEncodingJSON(t *testing.T, line []byte) {
	t.Helper()
	agreesWithEncodingJSON(t, line, "decodeRecord", decodeRecord, false)
}

// sameOutcomeAsEncodingJSON is sameAsEncodingJSON for decodeOutcome, which may leave the
// record's objects out.
func sameOutcomeAsEncodingJSON(t *testing.T, line []byte) {
	t.Helper()
	agreesWithEncodingJSON(t, line, "decodeOutcome", decodeOutcome, true)
}

func agreesWithEncodingJSON(t *testing.T, line []byte, name string, decode func([]byte, *Record) error, outcome bool) {
	t.Helper()
	var want, got Record
	wantErr := json.Unmarshal(line, &want)
	gotErr := decode(line, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json says %v, %s %v", line, wantErr, name, gotErr)
	}
	if outcome {
		for _, r := range []*Record{&want, &got} {
			r.Source, r.HexDigests, r.Correction, r.Time = nil, nil, nil, nil
		}
	}
	if wantErr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\nencoding/json %+v\n%s %+v", line, want, name, got)
	}
}

// scanned reports whether the fast scanner, not encoding/json, decodes line.
func scanned(line []byte) bool {
	var rec Record
	s := recordScanner{b: line}
	return s.record(&rec)
}

func randomString(r *rand.Rand) string {
	pieces := []string{"doi:10.5063/F1", "urn:uuid:", "a", "Z", "0", "/", " ", ".", "é", "日本", "<&>",
		`"`, `\`, "\n", "\t", "\x01", "\x7f", "\xff", "\u2028", "+", "%2F"}
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randomRecord(r *rand.Rand) *Record {
	rec := &Record{Line: r.Int64N(1 << 40), PID: randomString(r), Status: []string{StatusOK, StatusFailed, StatusGone, StatusDeleted}[r.IntN(4)]}
	if r.IntN(2) == 0 {
		rec.Class, rec.Message = randomString(r), randomString(r)
	}
	if r.IntN(2) == 0 {
		rec.FP = "00ff12ab34cd56ef"
		rec.Source = &Fingerprint{Dev: r.Uint64(), Ino: r.Uint64(), Size: r.Int64() - r.Int64(), MtimeNS: r.Int64()}
		rec.CID, rec.Size = strings.Repeat("ab", 32), r.Int64N(1<<50)
		rec.HexDigests = map[hashstore.Algorithm]string{hashstore.MD5: "d41d8cd98f00b204e9800998ecf8427e", hashstore.SHA256: rec.CID}
	}
	if r.IntN(4) == 0 {
		rec.Note, rec.Correction = "sysmetaOnly", &Correction{Algorithm: "MD5", Old: randomString(r), New: "x", Path: randomString(r), AlsoMatches: randomString(r)}
	}
	if r.IntN(2) == 0 {
		rec.Time = &RecordTime{Finished: time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).UTC(), Millis: r.Float64() * 1e4}
	}
	return rec
}

// Every record the journal writes decodes to itself, and the usual ones (no escapes in their
// strings) by the fast scanner.
func TestDecodeRecordReadsWhatAppendWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for range 20000 {
		rec := randomRecord(r)
		line, err := appendJSON(nil, rec)
		require.NoError(t, err)
		sameAsEncodingJSON(t, line)
		sameOutcomeAsEncodingJSON(t, line)
		if scanned(line) {
			fast++
		}
	}
	require.Greater(t, fast, 1000)

	plain := &Record{Line: 7, PID: "doi:10.5063/F1Z1Z1Z1", Status: StatusOK, FP: "0123456789abcdef",
		Source: &Fingerprint{Dev: 2049, Ino: 123, Size: 4096, MtimeNS: 1700000000123456789},
		CID:    strings.Repeat("0f", 32), Size: 4096, HexDigests: map[hashstore.Algorithm]string{hashstore.MD5: "x", hashstore.SHA1: "y"},
		Correction: &Correction{Algorithm: "MD5", Old: "a", New: "b", Path: "/var/metacat/data/x.1"},
		Time:       &RecordTime{Finished: time.Date(2026, 12, 5, 1, 2, 3, 4, time.UTC), Millis: 0.25}}
	line, err := appendJSON(nil, plain)
	require.NoError(t, err)
	require.True(t, scanned(line), "a record without escapes takes the fast path: %s", line)
	var got Record
	require.NoError(t, decodeRecord(line, &got))
	require.Equal(t, *plain, got)
}

// Lines the journal does not write (other layouts, odd values, damage) decode as encoding/json
// decodes them, errors included.
func TestDecodeRecordAgreesWithEncodingJSON(t *testing.T) {
	for _, line := range []string{
		`{"line":1,"pid":"a","status":"ok"}`,
		` { "line" : 1 , "pid" : "a" , "status" : "ok" } ` + "\n",
		`{"line":1,"PID":"a","status":"ok"}`,
		`{"line":1,"pid":"a","pid":"b","status":"ok"}`,
		`{"line":1,"pid":null,"status":"ok"}`,
		`{"line":1,"pid":"a","status":"ok","extra":[1,2]}`,
		`{"line":1,"pid":"a\u00e9\"","status":"ok"}`,
		"{\"line\":1,\"pid\":\"a\xff\",\"status\":\"ok\"}",
		"{\"line\":1,\"pid\":\"a\x01\",\"status\":\"ok\"}",
		`{"line":1.0,"pid":"a","status":"ok"}`,
		`{"line":1e2,"pid":"a","status":"ok"}`,
		`{"line":-0,"pid":"a","status":"ok"}`,
		`{"line":01,"pid":"a","status":"ok"}`,
		`{"line":+1,"pid":"a","status":"ok"}`,
		`{"line":99999999999999999999,"pid":"a","status":"ok"}`,
		`{"line":1,"pid":"a","status":"ok","source":{"dev":-1}}`,
		`{"line":1,"pid":"a","status":"ok","source":{"dev":18446744073709551615,"ino":0,"size":-5,"mtime_ns":1}}`,
		`{"line":1,"pid":"a","status":"ok","hex_digests":{}}`,
		`{"line":1,"pid":"a","status":"ok","source":{"dev":1},"source":{"ino":2}}`,
		`{"line":1,"pid":"a","status":"ok","time":{"ms":1},"time":{"finished":"2026-12-05T01:02:03Z"}}`,
		`{"line":1,"pid":"a","status":"ok","correction":{"old":"x"},"correction":{"new":"y"},"hex_digests":{"MD5":"x"},"hex_digests":{"SHA-1":"y"}}`,
		`{"line":1,"pid":"a","status":"ok","hex_digests":{"MD5":"x","MD5":"y"}}`,
		`{"line":1,"pid":"a","status":"ok","time":{"finished":"2026-12-05T01:02:03.5+01:00","ms":1.5e3}}`,
		`{"line":1,"pid":"a","status":"ok","time":{"finished":"2026-12-05 01:02:03","ms":1}}`,
		`{"line":1,"pid":"a","status":"ok","time":{"finished":"2026-12-05T01:02:03Z","ms":.5}}`,
		`{"line":1,"pid":"a","status":"ok","time":{"finished":"2026-12-05T01:02:03Z","ms":1.}}`,
		`{"line":1,"pid":"a","status":"ok"}{}`,
		`{"line":1,"pid":"a","status":"ok",}`,
		`{"line":1,"pid":"a","status":"o`,
		`{"line":1,"pid":"a" "status":"ok"}`,
		`{}`,
		``,
		`null`,
	} {
		sameAsEncodingJSON(t, []byte(line))
		sameOutcomeAsEncodingJSON(t, []byte(line))
	}
}

// FuzzDecodeRecord: for any line, decodeRecord and json.Unmarshal agree.
func FuzzDecodeRecord(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		line, _ := appendJSON(nil, randomRecord(r))
		f.Add(line)
	}
	f.Add([]byte(`{"line":1,"pid":"a","status":"ok","time":{"finished":"2026-12-05T01:02:03Z","ms":-0.0e-0}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		sameAsEncodingJSON(t, line)
		sameOutcomeAsEncodingJSON(t, line)
	})
}

// BenchmarkDecodeRecord: a success record as a conversion writes it, by the scanner and by
// encoding/json.
func BenchmarkDecodeRecord(b *testing.B) {
	rec := &Record{Line: 123456, PID: "urn:uuid:4f7bd0a3-0b55-4b1a-9b5e-2c1f0c6f7a10", Status: StatusOK, FP: "0123456789abcdef",
		Source: &Fingerprint{Dev: 2049, Ino: 1234567, Size: 4096, MtimeNS: 1700000000123456789},
		CID:    strings.Repeat("0f", 32), Size: 4096, HexDigests: map[hashstore.Algorithm]string{
			hashstore.MD5: strings.Repeat("a", 32), hashstore.SHA1: strings.Repeat("b", 40), hashstore.SHA256: strings.Repeat("c", 64),
			hashstore.SHA384: strings.Repeat("d", 96), hashstore.SHA512: strings.Repeat("e", 128)},
		Time: &RecordTime{Finished: time.Date(2026, 12, 5, 1, 2, 3, 4, time.UTC), Millis: 0.25}}
	line, err := appendJSON(nil, rec)
	require.NoError(b, err)
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			var got Record
			if decodeRecord(line, &got) != nil {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var got Record
			if json.Unmarshal(line, &got) != nil {
				b.Fatal("not decoded")
			}
		}
	})
}

// A record renumbered by Compact is the record encoded again with the new line number,
// whether the number is replaced in place or the record re-encoded.
func TestRenumberIsEncodingAgain(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for k := range 2000 {
		rec := randomRecord(r)
		raw, err := appendJSON(nil, rec)
		require.NoError(t, err)
		if k%7 == 0 { // another layout: renumber must encode the record again
			raw = append([]byte(" "), raw...)
		}
		rec.Line = r.Int64N(1 << 40)
		want, err := appendJSON(nil, rec)
		require.NoError(t, err)
		got, err := renumber(raw, rec.Line, rec)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
	// In Append's layout the number is replaced and the rest kept byte for byte (the record
	// is not encoded again, which would drop these spaces).
	got, err := renumber([]byte(`{"line":5,"pid":"a",  "status":"ok"}`+"\n"), 12, &Record{Line: 12, PID: "a", Status: StatusOK})
	require.NoError(t, err)
	require.Equal(t, `{"line":12,"pid":"a",  "status":"ok"}`+"\n", string(got))
}

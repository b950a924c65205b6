package journal

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/hashstore-go/hashstore/hashstore"
)

// decodeRecord decodes one record line into rec, with the result json.Unmarshal gives.
//
// A sweep reads every record of the journal twice (when it is opened and when it is
// compacted), and encoding/json, which validates the line and then walks it again by
// reflection, was a third of a sweep's CPU time. Records are written by appendJSON, so their
// strings rarely hold an escape and their values are strings, integers, one float and flat
// objects: recordScanner decodes exactly that, and hands anything else (an escape, null, an
// unknown or differently cased key, a malformed line) to encoding/json, so odd or damaged
// lines get its result and its errors.
func decodeRecord(line []byte, rec *Record) error {
	return decode(recordScanner{b: line}, rec)
}

// decodeOutcome is decodeRecord for a caller that needs only the outcome: the record's
// strings and numbers. Its objects (Source, HexDigests, Correction, Time) are checked as
// decodeRecord checks them, and then usually left out (nil), which saves their allocations.
func decodeOutcome(line []byte, rec *Record) error {
	return decode(recordScanner{b: line, outcome: true}, rec)
}

func decode(s recordScanner, rec *Record) error {
	if s.record(rec) {
		return nil
	}
	*rec = Record{}
	return json.Unmarshal(s.b, rec)
}

// recordScanner reads a record's JSON from b, at i. Its methods report false for anything
// they do not accept, and then the caller gives up on the line.
type recordScanner struct {
	b       []byte
	i       int
	outcome bool // skip the objects
}

func (s *recordScanner) record(rec *Record) bool {
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "line":
			return s.int(&rec.Line)
		case "pid":
			return s.str(&rec.PID)
		case "status":
			return s.str(&rec.Status)
		case "class":
			return s.str(&rec.Class)
		case "message":
			return s.str(&rec.Message)
		case "fp":
			return s.str(&rec.FP)
		case "cid":
			return s.str(&rec.CID)
		case "size":
			return s.int(&rec.Size)
		case "note":
			return s.str(&rec.Note)
		case "source", "hex_digests", "correction", "time":
			return s.nested(key, rec)
		}
		return false
	})
	s.space()
	return ok && s.i == len(s.b)
}

// nested reads the object that is the value of key (and with outcome set, checks it as
// encoding/json would but keeps it out of rec). As encoding/json does, a key that comes
// twice decodes into the object the first one made.
func (s *recordScanner) nested(key []byte, rec *Record) bool {
	switch string(key) {
	case "source":
		return s.fingerprint(into(&rec.Source, s.outcome))
	case "hex_digests":
		return s.digests(rec)
	case "correction":
		return s.correction(into(&rec.Correction, s.outcome))
	default: // "time"
		return s.time(into(&rec.Time, s.outcome))
	}
}

// into returns the object *field points to, making it first if it is nil; with outcome set,
// a throwaway one unless the field already has one.
func into[T any](field **T, outcome bool) *T {
	if *field != nil {
		return *field
	}
	v := new(T)
	if !outcome {
		*field = v
	}
	return v
}

func (s *recordScanner) fingerprint(fp *Fingerprint) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "dev":
			return s.uint(&fp.Dev)
		case "ino":
			return s.uint(&fp.Ino)
		case "size":
			return s.int(&fp.Size)
		case "mtime_ns":
			return s.int(&fp.MtimeNS)
		}
		return false
	})
}

func (s *recordScanner) digests(rec *Record) bool {
	if s.outcome {
		return s.object(func([]byte) bool {
			_, ok := s.rawString()
			return ok
		})
	}
	if rec.HexDigests == nil {
		rec.HexDigests = make(map[hashstore.Algorithm]string, 5)
	}
	return s.object(func(key []byte) bool {
		var v string
		if !s.str(&v) {
			return false
		}
		rec.HexDigests[hashstore.Algorithm(key)] = v
		return true
	})
}

func (s *recordScanner) correction(c *Correction) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "algorithm":
			return s.str(&c.Algorithm)
		case "old":
			return s.str(&c.Old)
		case "new":
			return s.str(&c.New)
		case "path":
			return s.str(&c.Path)
		case "also_matches":
			return s.str(&c.AlsoMatches)
		}
		return false
	})
}

func (s *recordScanner) time(t *RecordTime) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "finished":
			raw, ok := s.rawString()
			return ok && t.Finished.UnmarshalText(raw) == nil
		case "ms":
			raw, ok := s.number()
			if !ok || !jsonNumber(raw) {
				return false
			}
			v, err := strconv.ParseFloat(string(raw), 64)
			t.Millis = v
			return err == nil
		}
		return false
	})
}

// object reads an object, calling field with each key; field reads the value.
func (s *recordScanner) object(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.rawString()
		if !ok || !s.next(':') || !field(key) {
			return false
		}
		if !s.next(',') {
			return s.next('}')
		}
	}
}

// next skips white space and then c, if c is there.
func (s *recordScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *recordScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// rawString reads a string without escapes and returns its bytes (valid UTF-8).
func (s *recordScanner) rawString() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (s *recordScanner) str(dst *string) bool {
	v, ok := s.rawString()
	*dst = string(v)
	return ok
}

// number reads the characters of a JSON number (checked by the caller's parse).
func (s *recordScanner) number() ([]byte, bool) {
	s.space()
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return s.b[start:s.i], s.i > start
		}
	}
	return s.b[start:], s.i > start
}

// int reads an integer written as JSON writes one (no fraction, exponent or leading zero).
func (s *recordScanner) int(dst *int64) bool {
	raw, ok := s.number()
	if !ok || !canonicalInt(raw) {
		return false
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	*dst = v
	return err == nil
}

func (s *recordScanner) uint(dst *uint64) bool {
	raw, ok := s.number()
	if !ok || !canonicalInt(raw) || raw[0] == '-' {
		return false
	}
	v, err := strconv.ParseUint(string(raw), 10, 64)
	*dst = v
	return err == nil
}

// canonicalInt reports whether raw is an integer in JSON's syntax (no fraction or exponent).
func canonicalInt(raw []byte) bool {
	return jsonNumber(raw) && !bytes.ContainsAny(raw, ".eE")
}

// jsonNumber reports whether raw is a number in JSON's syntax:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(raw []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	if n := digits(); n == 0 || (n > 1 && raw[i-n] == '0') {
		return false
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(raw)
}

// Package manifest reads the manifests of bulk runs: JSON Lines or CSV with a header, one
// object per line (docs/CLI.md 5), streamed so that memory does not
// grow with the manifest.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is the syntax of a manifest: JSON Lines or CSV with a header row.
type Format int

const (
	// JSONL is one JSON object per line (extension .jsonl).
	JSONL Format = iota
	// CSV is RFC 4180 CSV with a header row naming the fields (extension .csv). A
	// record is one line: quoted fields may hold commas and doubled quotes, not line breaks.
	CSV
)

// String returns "jsonl" or "csv".
func (f Format) String() string {
	if f == CSV {
		return "csv"
	}
	return "jsonl"
}

// FormatOf chooses the format by the file name's extension, in any case: .jsonl (or
// .ndjson) is JSON Lines, .csv is CSV. Any other extension is an error.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	}
	return 0, fmt.Errorf("manifest %s: unknown format: the name must end in .jsonl (JSON Lines) or .csv (CSV with a header)", path)
}

// Fields are the field names a manifest line may carry (docs/CLI.md 5). Other fields (JSON
// members or CSV columns) are ignored, so an export may carry extra columns such as docid and
// rev.
var Fields = []string{"pid", "path", "sysmeta", "format_id", "checksum", "checksum_algorithm", "size"}

// Entry is one object of a manifest.
type Entry struct {
	// Line is the 1-based line number in the manifest (the CSV header is line 1).
	Line int64
	// Offset is the byte offset of the line's start in the manifest.
	Offset int64
	// PID is the persistent identifier, exactly as written (never trimmed).
	PID string
	// Path is the data file ("" for none: store the sysmeta only) and Sysmeta the system
	// metadata file ("" for none), both resolved against the manifest's directory when
	// relative.
	Path, Sysmeta string
	// FormatID is the format id to store the sysmeta under ("" for the store's namespace).
	FormatID string
	// Checksum and ChecksumAlgorithm are the expected checksum ("" for none).
	Checksum, ChecksumAlgorithm string
	// Size is the expected size in bytes when HasSize.
	Size    int64
	HasSize bool
}

// LineError is a manifest line that cannot be read as an entry: bad JSON, a wrong
// number of CSV columns, a missing pid, a size that is not a non-negative integer, a line over
// MaxLine bytes, text that is not UTF-8. It is not fatal: the reader goes on with the
// next line.
type LineError struct {
	Line   int64
	Offset int64
	// PID is the pid when it could still be read, else "".
	PID string
	Err error
}

// Error reads "manifest line N: cause".
func (e *LineError) Error() string { return fmt.Sprintf("manifest line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// MaxLine is the longest manifest line accepted, in bytes. Longer lines are reported as
// malformed and skipped without being held in memory.
const MaxLine = 1 << 20

// Reader streams the entries of a manifest, one line at a time: memory use is bounded
// by MaxLine whatever the manifest's length.
type Reader struct {
	r      *bufio.Reader
	format Format
	base   string

	line   int64 // number of the last line read
	offset int64 // byte offset of the next line
	cols   map[string]int
	ncols  int
	header bool // the CSV header has been read
	// firstLineCR: a CR was seen inside the file's first line while it was read in parts
	// (one over MaxLine is not kept whole to be looked at).
	firstLineCR bool
}

// NewReader returns a reader of the manifest in r. Relative paths in it are resolved
// against baseDir (the manifest's directory; "" leaves them relative to the working
// directory).
func NewReader(r io.Reader, format Format, baseDir string) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), format: format, base: baseDir}
}

// utf8BOM is the byte order mark some tools put at the start of a UTF-8 file; it is not part
// of the first line, whatever the format.
var utf8BOM = []byte("\xef\xbb\xbf")

// errCROnly refuses a manifest whose lines end in a lone CR (classic Mac OS): read as lines
// ended by LF it would be one line, and a run would silently do nothing.
var errCROnly = errors.New("the manifest's first line holds a carriage return: its lines end in CR alone (classic Mac OS line endings), which are not read; convert them to LF or CRLF")

// Next returns the next entry. Blank lines are skipped. A line that cannot be read as an entry
// returns a *LineError, after which Next may be called again. At the end it returns
// io.EOF. Any other error is fatal (a read error, or a CSV header without a pid column or with
// a repeated column name).
func (m *Reader) Next() (Entry, error) {
	for {
		line, start, err := m.readLine()
		if err != nil {
			return Entry{}, err
		}
		if line == nil {
			if start == 0 && m.firstLineCR {
				return Entry{}, errCROnly // the whole manifest read as one over-long line
			}
			// Over-long line (skipped).
			return Entry{}, &LineError{Line: m.line, Offset: start, Err: fmt.Errorf("line longer than %d bytes", MaxLine)}
		}
		// The first line of the file, also when EntryAt reads it again (its Line then is not 1).
		if start == 0 {
			line = bytes.TrimPrefix(line, utf8BOM)
			if bytes.IndexByte(line, '\r') >= 0 {
				return Entry{}, errCROnly
			}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if m.format == CSV && !m.header {
			if err := m.readHeader(line); err != nil {
				return Entry{}, err
			}
			continue
		}
		e, err := m.parse(line)
		e.Line, e.Offset = m.line, start
		if err != nil {
			return Entry{}, &LineError{Line: m.line, Offset: start, PID: e.PID, Err: err}
		}
		return e, nil
	}
}

// EntryAt reads again the entry on the line that starts at offset in at, the manifest m is
// reading (for a CSV manifest m must have read its header). Its Line is 0: only the caller
// knows it. It serves the confirmation of a duplicate pid found by hash, so the pids of a
// manifest never need to be held in memory.
func (m *Reader) EntryAt(at io.ReaderAt, offset int64) (Entry, error) {
	again := &Reader{r: bufio.NewReaderSize(io.NewSectionReader(at, offset, MaxLine+2), 4096),
		format: m.format, base: m.base, cols: m.cols, ncols: m.ncols, header: m.header, offset: offset}
	e, err := again.Next()
	e.Line = 0
	return e, err
}

// readLine returns the next line without its line ending and the offset of its start. A line
// over MaxLine is consumed to its end and returned as nil.
func (m *Reader) readLine() ([]byte, int64, error) {
	start := m.offset
	var long []byte
	tooLong := false
	for {
		frag, err := m.r.ReadSlice('\n')
		m.offset += int64(len(frag))
		switch {
		case err == nil || (err == io.EOF && (len(frag) > 0 || long != nil || tooLong)):
			m.line++
			if tooLong {
				return nil, start, nil
			}
			if long != nil {
				frag = append(long, frag...)
			}
			if len(frag) > MaxLine+2 {
				return nil, start, nil
			}
			frag = bytes.TrimSuffix(frag, []byte("\n"))
			frag = bytes.TrimSuffix(frag, []byte("\r"))
			return frag, start, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if start == 0 && bytes.IndexByte(frag[:len(frag)-1], '\r') >= 0 {
				m.firstLineCR = true // a CR inside the first line, not the CR of a CRLF split here
			}
			if tooLong {
				continue
			}
			if len(long)+len(frag) > MaxLine+2 {
				tooLong, long = true, nil
				continue
			}
			long = append(long, frag...)
		default:
			return nil, start, err // io.EOF at the end, or a read error
		}
	}
}

func (m *Reader) readHeader(line []byte) error {
	names, err := splitCSV(line)
	if err != nil {
		return fmt.Errorf("manifest line %d (the CSV header): %w", m.line, err)
	}
	m.cols = make(map[string]int, len(names))
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if _, dup := m.cols[n]; dup && n != "" {
			return fmt.Errorf("manifest line %d (the CSV header): column %q appears twice", m.line, n)
		}
		m.cols[n] = i
	}
	if _, ok := m.cols["pid"]; !ok {
		return fmt.Errorf("manifest line %d (the CSV header): no pid column (the header names the fields: %s)", m.line, strings.Join(Fields, ","))
	}
	m.ncols, m.header = len(names), true
	return nil
}

// jsonEntry is a JSON Lines entry. Size is a number or a numeric string.
type jsonEntry struct {
	PID               *string         `json:"pid"`
	Path              string          `json:"path"`
	Sysmeta           string          `json:"sysmeta"`
	FormatID          string          `json:"format_id"`
	Checksum          string          `json:"checksum"`
	ChecksumAlgorithm string          `json:"checksum_algorithm"`
	Size              json.RawMessage `json:"size"`
}

func (m *Reader) parse(line []byte) (Entry, error) {
	if !utf8.Valid(line) {
		return Entry{}, errors.New("not UTF-8 text")
	}
	var e Entry
	var size string
	if m.format == JSONL {
		var j jsonEntry
		if err := json.Unmarshal(line, &j); err != nil {
			return e, fmt.Errorf("not a JSON object: %v", err)
		}
		if j.PID != nil {
			e.PID = *j.PID
		}
		e.Path, e.Sysmeta, e.FormatID, e.Checksum, e.ChecksumAlgorithm = j.Path, j.Sysmeta, j.FormatID, j.Checksum, j.ChecksumAlgorithm
		if len(j.Size) > 0 && string(j.Size) != "null" {
			size = string(j.Size)
			if s, err := strconv.Unquote(size); err == nil {
				size = s
			}
		}
		if j.PID == nil || e.PID == "" {
			return e, errors.New("no pid")
		}
		if err := checkSubstitutions(line, e.PID, e.Path, e.Sysmeta, e.FormatID, e.Checksum, e.ChecksumAlgorithm); err != nil {
			return e, err
		}
	} else {
		fields, err := splitCSV(line)
		if err != nil {
			return e, err
		}
		if len(fields) != m.ncols {
			return e, fmt.Errorf("%d columns, but the header has %d", len(fields), m.ncols)
		}
		get := func(name string) string {
			if i, ok := m.cols[name]; ok {
				return fields[i]
			}
			return ""
		}
		e.PID, e.Path, e.Sysmeta, e.FormatID = get("pid"), get("path"), get("sysmeta"), get("format_id")
		e.Checksum, e.ChecksumAlgorithm, size = get("checksum"), get("checksum_algorithm"), get("size")
		if e.PID == "" {
			return e, errors.New("no pid")
		}
	}
	if size = strings.TrimSpace(size); size != "" {
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || n < 0 {
			return e, fmt.Errorf("size %q is not a number of bytes", size)
		}
		e.Size, e.HasSize = n, true
	}
	if (e.Checksum == "") != (e.ChecksumAlgorithm == "") {
		return e, errors.New("checksum and checksum_algorithm go together: one is given without the other")
	}
	e.Path, e.Sysmeta = m.resolve(e.Path), m.resolve(e.Sysmeta)
	return e, nil
}

// checkSubstitutions refuses a JSON line whose string escapes were not characters: Go's JSON
// decoder turns a lone UTF-16 surrogate (such as "\ud800") into U+FFFD without a word, which
// would store and report a pid that is not the one written. A U+FFFD the line itself holds
// (as such or escaped) is kept.
func checkSubstitutions(line []byte, fields ...string) error {
	written := bytes.Contains(line, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(line), []byte(`\ufffd`))
	for _, f := range fields {
		if !written && strings.ContainsRune(f, utf8.RuneError) {
			return errors.New("a string holds an escape that is not a character (a lone UTF-16 surrogate such as \\ud800)")
		}
	}
	return nil
}

func (m *Reader) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || m.base == "" {
		return p
	}
	return filepath.Join(m.base, p)
}

// splitCSV splits one CSV record (RFC 4180, without line breaks inside quotes).
func splitCSV(line []byte) ([]string, error) {
	var fields []string
	var b strings.Builder
	for i := 0; ; {
		b.Reset()
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, errors.New("a quoted field is not closed (line breaks inside quotes are not supported)")
				}
				b.Write(line[i : i+j])
				i += j + 1
				if i < len(line) && line[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			if i < len(line) && line[i] != ',' {
				return nil, fmt.Errorf("unexpected %q after a closing quote", line[i])
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			field := line[i : i+j]
			if bytes.IndexByte(field, '"') >= 0 {
				return nil, errors.New(`a bare " in an unquoted field`)
			}
			b.Write(field)
			i += j
		}
		fields = append(fields, b.String())
		if i >= len(line) {
			return fields, nil
		}
		i++ // the comma
	}
}

package manifest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll reads every entry of a manifest: the entries, the line errors, and the error that
// ended the reading (nil at the end of the manifest).
func readAll(t *testing.T, text string, format Format) (entries []Entry, lineErrs []*LineError, fatal error) {
	t.Helper()
	r := NewReader(strings.NewReader(text), format, "")
	for {
		e, err := r.Next()
		var le *LineError
		switch {
		case err == nil:
			entries = append(entries, e)
		case errors.As(err, &le):
			lineErrs = append(lineErrs, le)
		case err == io.EOF:
			return entries, lineErrs, nil
		default:
			return entries, lineErrs, err
		}
	}
}

// A byte order mark starts the first line of either format and is not part of it; elsewhere
// it is text like any other.
func TestHostileBOM(t *testing.T) {
	entries, lineErrs, err := readAll(t, "\ufeff"+`{"pid":"a.1"}`+"\n"+"\ufeff"+`{"pid":"a.2"}`+"\n", JSONL)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "a.1", entries[0].PID)
	require.Len(t, lineErrs, 1, "a BOM on line 2 is not JSON")
	assert.Equal(t, int64(2), lineErrs[0].Line)

	entries, _, err = readAll(t, "\ufeffpid,path\nb.1,x\n", CSV)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "b.1", entries[0].PID)
}

// Lines ended by CR alone are refused with a fatal error that says so, whatever the format and
// however long the manifest: read as one line, they would otherwise process nothing (or fail
// as one over-long line). CRLF is read.
func TestHostileCROnly(t *testing.T) {
	for _, c := range []struct {
		name   string
		format Format
		text   string
	}{
		{"CSV", CSV, "pid,path\ra.1,x\ra.2,x\r"},
		{"JSON Lines", JSONL, `{"pid":"a.1"}` + "\r" + `{"pid":"a.2"}` + "\r"},
		{"CSV with BOM", CSV, "\ufeffpid,path\ra.1,x\r"},
		{"CSV longer than a line may be", CSV, "pid,path\r" + strings.Repeat("a.1,x\r", MaxLine/5)},
	} {
		t.Run(c.name, func(t *testing.T) {
			entries, lineErrs, err := readAll(t, c.text, c.format)
			require.ErrorIs(t, err, errCROnly)
			assert.Contains(t, err.Error(), "CR alone")
			assert.Empty(t, entries)
			assert.Empty(t, lineErrs)
		})
	}
	entries, lineErrs, err := readAll(t, "pid,path\r\na.1,x\r\na.2,x\r\n", CSV)
	require.NoError(t, err)
	assert.Empty(t, lineErrs)
	assert.Len(t, entries, 2)
}

// A JSON line whose strings hold a lone UTF-16 surrogate is refused (Go's decoder would turn
// it into U+FFFD, and a different pid would be stored); a surrogate pair is the character it
// encodes, and a U+FFFD the line really holds is kept. A NUL is kept as written, for the
// identifier rule to refuse.
func TestHostileJSONStrings(t *testing.T) {
	entries, lineErrs, err := readAll(t, strings.Join([]string{
		`{"pid":"\ud800x"}`,
		`{"pid":"ok.1","path":"\udc00"}`,
		`{"pid":"\ud83d\ude00"}`,
		`{"pid":"kept\ufffd"}`,
		`{"pid":"raw` + "\ufffd" + `"}`,
		`{"pid":"a\u0000b"}`,
	}, "\n"), JSONL)
	require.NoError(t, err)
	require.Len(t, lineErrs, 2)
	for i, le := range lineErrs {
		assert.Equal(t, int64(i+1), le.Line)
		assert.Contains(t, le.Error(), "not a character")
	}
	var pids []string
	for _, e := range entries {
		pids = append(pids, e.PID)
	}
	assert.Equal(t, []string{"😀", "kept\ufffd", "raw\ufffd", "a\x00b"}, pids)
}

// Reading a line again by its offset (the confirmation of a duplicate pid) gives the entry the
// first reading gave: the first line's BOM is skipped there too, and a CR inside a later line
// is not taken for CR-only line endings.
func TestHostileEntryAt(t *testing.T) {
	for _, c := range []struct {
		name   string
		format Format
		text   string
	}{
		{"JSON Lines with BOM", JSONL, "\ufeff" + `{"pid":"a.1"}` + "\n" + `{"pid":"a.2"}` + "\n"},
		{"CSV with BOM", CSV, "\ufeffpid,path\na.1,x\na.2,x\n"},
		{"CSV with a CR in a field", CSV, "pid,path\na.1,x\r\nb\rc,y\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(c.text), c.format, "")
			var first []Entry
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				first = append(first, e)
			}
			require.NotEmpty(t, first)
			for _, e := range first {
				again, err := r.EntryAt(bytes.NewReader([]byte(c.text)), e.Offset)
				require.NoError(t, err, "line %d", e.Line)
				want := e
				want.Line = 0
				assert.Equal(t, want, again)
			}
		})
	}
}

package manifest

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestManifestReader(t *testing.T) {
	t.Parallel()
	csvText := "\xef\xbb\xbfPID,Path,sysmeta,format_id,checksum,checksum_algorithm,size,docid\r\n" +
		"a.1,data/a.1,sm/a.1.xml,,,,,a\r\n" +
		"\r\n" +
		`"b,1","/abs/b","",fmt,ABC,MD5,12,b` + "\n" +
		"c.1,x\n" +
		`d.1,"unclosed,,,,,,` + "\n" +
		"e.1,p,,,,,-3,e\n" +
		"f.1,p,,,abc,,,f\n" +
		`"g ""quoted""",p,s,,,,0,g` + "\n" +
		"last,p,,,,,,z"
	type got struct {
		e   Entry
		err string
	}
	read := func(text string, format Format) []got {
		mr := NewReader(strings.NewReader(text), format, "/base")
		var out []got
		for {
			e, err := mr.Next()
			if err != nil && !errors.As(err, new(*LineError)) {
				require.EqualError(t, err, "EOF")
				return out
			}
			g := got{e: e}
			var mle *LineError
			if errors.As(err, &mle) {
				g.err, g.e.PID = err.Error(), mle.PID
			}
			out = append(out, g)
		}
	}
	res := read(csvText, CSV)
	require.Len(t, res, 8)
	require.Equal(t, Entry{Line: 2, Offset: 70, PID: "a.1", Path: "/base/data/a.1", Sysmeta: "/base/sm/a.1.xml"}, res[0].e)
	require.Equal(t, Entry{Line: 4, Offset: 103, PID: "b,1", Path: "/abs/b", FormatID: "fmt", Checksum: "ABC",
		ChecksumAlgorithm: "MD5", Size: 12, HasSize: true}, res[1].e)
	require.Equal(t, "manifest line 5: 2 columns, but the header has 8", res[2].err)
	require.Equal(t, "manifest line 6: a quoted field is not closed (line breaks inside quotes are not supported)", res[3].err)
	require.Equal(t, `manifest line 7: size "-3" is not a number of bytes`, res[4].err)
	require.Equal(t, "e.1", res[4].e.PID, "the pid of a malformed line is known when it could be read")
	require.Equal(t, "manifest line 8: checksum and checksum_algorithm go together: one is given without the other", res[5].err)
	require.Equal(t, `g "quoted"`, res[6].e.PID)
	require.True(t, res[6].e.HasSize)
	require.Equal(t, int64(10), res[7].e.Line)

	jsonText := `{"pid":"a","path":"rel/a","size":"5"}` + "\n" +
		`{"pid":"b","size":5.5}` + "\n" +
		`{"pid":""}` + "\n" +
		`{"pid":"c","extra":[1,2],"size":null}` + "\n" +
		"{\"pid\":\"\xff\"}\n" +
		strings.Repeat("x", MaxLine+10) + "\n" +
		`{"pid":"after.long"}`
	res = read(jsonText, JSONL)
	require.Len(t, res, 7)
	require.Equal(t, Entry{Line: 1, PID: "a", Path: "/base/rel/a", Size: 5, HasSize: true}, res[0].e)
	require.Equal(t, `manifest line 2: size "5.5" is not a number of bytes`, res[1].err)
	require.Equal(t, "manifest line 3: no pid", res[2].err)
	require.Equal(t, "c", res[3].e.PID)
	require.False(t, res[3].e.HasSize)
	require.Equal(t, "manifest line 5: not UTF-8 text", res[4].err)
	require.Equal(t, fmt.Sprintf("manifest line 6: line longer than %d bytes", MaxLine), res[5].err)
	require.Equal(t, "after.long", res[6].e.PID)
	require.Equal(t, int64(7), res[6].e.Line)

	// Header errors are fatal.
	_, err := NewReader(strings.NewReader("path,sysmeta\nx,y\n"), CSV, "").Next()
	require.ErrorContains(t, err, "no pid column")
	_, err = NewReader(strings.NewReader("pid,pid\nx,y\n"), CSV, "").Next()
	require.ErrorContains(t, err, `column "pid" appears twice`)
	for name, want := range map[string]string{"m.csv": "csv", "M.JSONL": "jsonl", "m.ndjson": "jsonl"} {
		f, err := FormatOf(name)
		require.NoError(t, err)
		require.Equal(t, want, f.String())
	}
	_, err = FormatOf("m.tsv")
	require.Error(t, err)
}

// lineGenerator is an io.Reader that produces a manifest of n lines without holding it.
type lineGenerator struct {
	n, i int
	buf  []byte
}

func (g *lineGenerator) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i > g.n {
			return 0, io.EOF
		}
		if g.i == 0 {
			g.buf = []byte("pid,path,sysmeta,size\n")
		} else {
			g.buf = fmt.Appendf(g.buf[:0], "urn:uuid:%d,data/autogen.%d.1,sysmeta/%d.xml,%d\n", g.i, g.i, g.i, g.i%4096)
		}
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

func TestManifestStreamsTenMillionLines(t *testing.T) {
	n := 10_000_000
	if testing.Short() || raceEnabled {
		n = 300_000
	}
	gen := &lineGenerator{n: n}
	mr := NewReader(gen, CSV, "")
	var ms runtime.MemStats
	count := 0
	var peak uint64
	for {
		e, err := mr.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		count++
		if e.Line != int64(count+1) {
			t.Fatalf("entry %d on line %d", count, e.Line)
		}
		if count%1_000_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	require.Equal(t, n, count)
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	require.Less(t, peak, uint64(64<<20), "the manifest is streamed, not held")
}

// TestEntryAtRereadsByOffset: EntryAt, given an entry's Offset, reads the same entry again
// (Line 0: only the caller knows it), for CSV (with the header's columns) and JSON Lines; a
// malformed line comes back as its *LineError with the pid when it could be read. This is
// what confirms a duplicate pid found by hash.
func TestEntryAtRereadsByOffset(t *testing.T) {
	t.Parallel()
	for format, text := range map[Format]string{
		CSV: "size,pid,path\n" +
			"1,a.1,data/a\n" +
			"\n" +
			"-2,bad.1,data/bad\n" +
			"3,\"c,1\",data/c\n",
		JSONL: `{"pid":"a.1","path":"data/a","size":1}` + "\n" +
			"\n" +
			`{"pid":"bad.1","path":"data/bad","size":-2}` + "\n" +
			`{"pid":"c,1","path":"data/c","size":3}`,
	} {
		t.Run(format.String(), func(t *testing.T) {
			at := strings.NewReader(text)
			m := NewReader(strings.NewReader(text), format, "/base")
			var read []Entry
			var bad *LineError
			for {
				e, err := m.Next()
				if err == io.EOF {
					break
				}
				if errors.As(err, &bad) {
					continue
				}
				require.NoError(t, err)
				read = append(read, e)
			}
			require.Len(t, read, 2)
			require.NotNil(t, bad)
			for _, e := range read {
				again, err := m.EntryAt(at, e.Offset)
				require.NoError(t, err)
				want := e
				want.Line = 0
				require.Equal(t, want, again)
			}
			_, err := m.EntryAt(at, bad.Offset)
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.Equal(t, "bad.1", le.PID)
			require.Equal(t, bad.Offset, le.Offset)
		})
	}
}

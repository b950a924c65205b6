package journal

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
)

// run is the header of the runs in these tests.
var run = Header{Mode: "convert", Store: "/store", Shard: "0/1", Source: "/m.csv", SourceStamp: "10@1",
	Started: time.Date(2024, 11, 20, 22, 55, 18, 0, time.UTC)}

const ignored = "duplicatePid"

// open opens the journal at path for run, closed when the test ends.
func open(t *testing.T, path string, h Header) *Journal {
	t.Helper()
	j, err := Open(path, h, Options{IgnoredClass: ignored})
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	return j
}

// ok and failed make records; fp is the fingerprint as the journal writes it.
func ok(line int64, pid string, fp uint64) *Record {
	return &Record{Line: line, PID: pid, Status: StatusOK, FP: fpText(fp), CID: "cid-" + pid, Size: line}
}

func failed(line int64, pid, class string) *Record {
	return &Record{Line: line, PID: pid, Status: StatusFailed, Class: class, Message: "line: " + class}
}

// fpText writes a fingerprint as the bulk run does: 16 hex digits.
func fpText(fp uint64) string { return fmt.Sprintf("%016x", fp) }

// appendAll appends recs and returns their offsets.
func appendAll(t *testing.T, j *Journal, recs ...*Record) []int64 {
	t.Helper()
	var offs []int64
	for _, r := range recs {
		off, err := j.Append(r)
		require.NoError(t, err)
		offs = append(offs, off)
	}
	require.NoError(t, j.Checkpoint())
	return offs
}

// names lists the directory's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestNewJournalHeader: a new journal is one header line, with the format version and the
// start time in UTC truncated to the second (it names the reports of every resumed run).
func TestNewJournalHeader(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	h := run
	h.Started = time.Date(2024, 11, 20, 23, 55, 18, 500, time.FixedZone("CET", 3600))
	j := open(t, path, h)
	require.NoError(t, j.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), "\n"))
	var got Header
	require.NoError(t, json.Unmarshal(data, &got))
	want := run
	want.Version = Version
	require.Equal(t, want, got)
	records, done, cut := j.Loaded()
	require.Zero(t, records+done+cut)
}

// TestTornEndIsCut: a last record without its newline (a crash in the middle of a write) is
// cut off when the journal is opened again, and the next record is appended where it was.
func TestTornEndIsCut(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j := open(t, path, run)
	appendAll(t, j, ok(2, "a", 1), ok(3, "b", 2))
	require.NoError(t, j.Close())
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	torn := `{"line":4,"pid":"c","status":"o`
	require.NoError(t, os.WriteFile(path, append(slices.Clone(whole), torn...), 0o644))

	j = open(t, path, run)
	records, done, cut := j.Loaded()
	require.Equal(t, int64(2), records)
	require.Equal(t, int64(2), done)
	require.Equal(t, int64(len(torn)), cut)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, whole, after, "the file is cut right after its last complete record")
	off := appendAll(t, j, ok(4, "c", 3))[0]
	require.Equal(t, int64(len(whole)), off)
	line, err := j.ReadAt(off)
	require.NoError(t, err)
	var rec Record
	require.NoError(t, json.Unmarshal(line, &rec))
	require.Equal(t, "c", rec.PID)
}

// TestDamagedLineCutsTheRest: a complete line that is not a record ends what is read: it and
// everything after it are discarded (those objects are simply done again).
func TestDamagedLineCutsTheRest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j := open(t, path, run)
	appendAll(t, j, ok(2, "a", 1))
	require.NoError(t, j.Close())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("{\"line\":3,\"pid\":\"b\"}\n" + `{"line":4,"pid":"c","status":"ok","fp":"0000000000000003"}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	j = open(t, path, run)
	records, done, cut := j.Loaded()
	require.Equal(t, int64(1), records)
	require.Equal(t, int64(1), done)
	require.Positive(t, cut)
	_, isDone := j.Done("c", 3)
	require.False(t, isDone, "a record after the damage is not trusted")
}

// TestLastRecordDecides: a pid is done only if its last record is a success, and only with
// that record's fingerprint.
func TestLastRecordDecides(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j := open(t, path, run)
	offs := appendAll(t, j,
		ok(2, "ok.then.failed", 1), failed(2, "ok.then.failed", "generalError"),
		failed(3, "failed.then.ok", "fileNotFound"), ok(3, "failed.then.ok", 2),
		ok(4, "changed", 3), ok(4, "changed", 4),
		failed(5, "only.failed", "sizeMismatch"),
	)
	require.NoError(t, j.Close())

	j = open(t, path, run)
	records, done, _ := j.Loaded()
	require.Equal(t, int64(7), records)
	require.Equal(t, int64(2), done)
	_, isDone := j.Done("ok.then.failed", 1)
	require.False(t, isDone)
	require.False(t, j.HasDone("ok.then.failed"))
	off, isDone := j.Done("failed.then.ok", 2)
	require.True(t, isDone)
	require.Equal(t, offs[3], off, "the offset of the successful record")
	_, isDone = j.Done("changed", 3)
	require.False(t, isDone, "an earlier fingerprint does not count")
	off, isDone = j.Done("changed", 4)
	require.True(t, isDone)
	require.Equal(t, offs[5], off)
	_, isDone = j.Done("only.failed", 0)
	require.False(t, isDone)
	_, isDone = j.Done("never.seen", 0)
	require.False(t, isDone)
}

// TestIgnoredClassKeepsTheEarlierSuccess: a failure of the ignored class (a line repeating an
// earlier line's pid) says nothing about its pid, so the earlier success stands; a failure of
// any other class, or the same failure without the option, undoes it.
func TestIgnoredClassKeepsTheEarlierSuccess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j := open(t, path, run)
	appendAll(t, j, ok(2, "a", 1), failed(9, "a", ignored), ok(3, "b", 2), failed(9, "b", "generalError"))
	require.NoError(t, j.Close())

	j = open(t, path, run)
	_, isDone := j.Done("a", 1)
	require.True(t, isDone)
	_, isDone = j.Done("b", 2)
	require.False(t, isDone)
	require.NoError(t, j.Close())

	j, err := Open(path, run, Options{})
	require.NoError(t, err)
	defer j.Close()
	_, isDone = j.Done("a", 1)
	require.False(t, isDone, "without IgnoredClass the duplicate's failure is the last record")
}

// TestCompact: the journal becomes the header (with the source's new identity) and the
// records at the given offsets, in that order, with their lines renumbered; emit sees each
// record. It is written through a temp file beside the journal and renamed: no temp file
// is left, and the journal stays usable.
func TestCompact(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	j := open(t, path, run)
	offs := appendAll(t, j, failed(2, "a", "generalError"), ok(3, "b", 2), ok(2, "a", 1))
	moved := run
	moved.SourceStamp = "11@2"
	var emitted []string
	require.NoError(t, j.Compact(moved, []int64{offs[2], offs[1]}, []uint32{5, 6}, func(r *Record) error {
		emitted = append(emitted, r.PID)
		return nil
	}))
	require.Equal(t, []string{"a", "b"}, emitted)
	require.ElementsMatch(t, []string{"j.jsonl", "j.jsonl.lock"}, names(t, dir), "no temp file is left")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3)
	var h Header
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &h))
	require.Equal(t, "11@2", h.SourceStamp)
	require.Equal(t, run.Started, h.Started, "the start time stays: it names the reports")
	require.Equal(t, h, j.Header())
	var first, second Record
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &second))
	require.Equal(t, Record{Line: 5, PID: "a", Status: StatusOK, FP: fpText(1), CID: "cid-a", Size: 2}, first)
	require.Equal(t, int64(6), second.Line)

	// Still open for appending, at the new end.
	off := appendAll(t, j, ok(7, "c", 3))[0]
	require.Equal(t, int64(len(data)), off)
	require.NoError(t, j.Close())
	j = open(t, path, moved)
	records, done, cut := j.Loaded()
	require.Equal(t, []int64{3, 3, 0}, []int64{records, done, cut})
	require.False(t, j.SourceChanged())
}

// TestOpenRemovesStaleTempsOfACompaction: the temp file of a compaction that was interrupted
// (".<journal>.tmp-<hex>") is removed when the journal is opened again, and the journal itself
// is unchanged; other files are left alone.
func TestOpenRemovesStaleTempsOfACompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	j := open(t, path, run)
	appendAll(t, j, ok(2, "a", 1))
	require.NoError(t, j.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	stale := filepath.Join(dir, ".j.jsonl.tmp-0123456789abcdef")
	require.NoError(t, os.WriteFile(stale, []byte("half a compaction"), 0o644))
	other := filepath.Join(dir, ".other.jsonl.tmp-0123456789abcdef")
	require.NoError(t, os.WriteFile(other, nil, 0o644))

	j = open(t, path, run)
	_, err = os.Stat(stale)
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(other)
	require.NoError(t, err, "another file's temp is not this journal's business")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	_, isDone := j.Done("a", 1)
	require.True(t, isDone)
}

// TestSourceChanged: a journal remembers the source's name and stamp; opened for a source
// with another stamp or name it says so (and is still used).
func TestSourceChanged(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j := open(t, path, run)
	require.False(t, j.SourceChanged(), "a new journal")
	appendAll(t, j, ok(2, "a", 1))
	require.NoError(t, j.Close())
	for _, c := range []struct {
		name    string
		edit    func(*Header)
		changed bool
	}{
		{"same", func(*Header) {}, false},
		{"new stamp", func(h *Header) { h.SourceStamp = "10@2" }, true},
		{"other source", func(h *Header) { h.Source = "/n.csv" }, true},
		{"other start time only", func(h *Header) { h.Started = time.Now() }, false},
	} {
		h := run
		c.edit(&h)
		j := open(t, path, h)
		require.Equal(t, c.changed, j.SourceChanged(), c.name)
		_, isDone := j.Done("a", 1)
		require.True(t, isDone, c.name)
		require.NoError(t, j.Close())
	}
}

// TestOpenRefuses: a journal of another run (mode, store or shard), a file that is not a
// journal, another format version, and a journal in use.
func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	j := open(t, path, run)
	_, err := Open(path, run, Options{})
	require.ErrorIs(t, err, hashstore.ErrInProgress, "locked by the first")
	require.NoError(t, j.Close())
	for _, edit := range []func(*Header){
		func(h *Header) { h.Mode = "import" },
		func(h *Header) { h.Store = "/other" },
		func(h *Header) { h.Shard = "1/2" },
	} {
		h := run
		edit(&h)
		_, err := Open(path, h, Options{})
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
		require.ErrorContains(t, err, "belongs to another run")
	}
	notJournal := filepath.Join(dir, "n.jsonl")
	require.NoError(t, os.WriteFile(notJournal, []byte(`{"pid":"a"}`+"\n"), 0o644))
	_, err = Open(notJournal, run, Options{})
	require.ErrorContains(t, err, "not a hashstore bulk journal")
	future := filepath.Join(dir, "f.jsonl")
	require.NoError(t, os.WriteFile(future, []byte(`{"hashstore_bulk_journal":99}`+"\n"), 0o644))
	_, err = Open(future, run, Options{})
	require.ErrorContains(t, err, "version 99")
}

// TestDoneMatchesThePIDExactly: Done confirms a success by reading its record, for pids that
// JSON writes escaped too, and refuses another pid or a failure at the same place.
func TestDoneMatchesThePIDExactly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	h := Header{Mode: "convert", Store: "/s", Shard: "0/1"}
	j, err := Open(path, h, Options{})
	require.NoError(t, err)
	pids := []string{"plain", `q"uo\te`, "<a&b>", "é€\u2028", "line\nbreak"}
	for i, pid := range pids {
		_, err := j.Append(&Record{Line: int64(i + 1), PID: pid, Status: StatusOK, FP: "00000000000000ff"})
		require.NoError(t, err)
	}
	off, err := j.Append(&Record{Line: 9, PID: "failed", Status: StatusFailed, FP: "00000000000000ff"})
	require.NoError(t, err)
	require.NoError(t, j.Close())

	j, err = Open(path, h, Options{})
	require.NoError(t, err)
	defer j.Close()
	for _, pid := range pids {
		_, ok := j.Done(pid, 0xff)
		assert.True(t, ok, pid)
		line, err := j.ReadAt(j.index[mustFind(t, j, pid)].offset)
		require.NoError(t, err)
		assert.True(t, j.isDone(line, pid), "the fast path takes %q", pid)
		for _, other := range pids {
			if other != pid {
				assert.False(t, j.isDone(line, other), "%q is not %q", pid, other)
			}
		}
		_, ok = j.Done(pid, 0xfe)
		assert.False(t, ok, "another fingerprint")
	}
	line, err := j.ReadAt(off)
	require.NoError(t, err)
	assert.False(t, j.isDone(line, "failed"))
	_, ok := j.Done("failed", 0xff)
	assert.False(t, ok)
}

func mustFind(t *testing.T, j *Journal, pid string) int {
	t.Helper()
	i, ok := j.find(pid)
	require.True(t, ok)
	require.Equal(t, pidset.Hash(pid), j.index[i].pid)
	return i
}

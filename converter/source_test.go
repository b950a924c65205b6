package converter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// memSource is a Source that is not a manifest: it lists entries held in memory, each a
// converter.Entry or a *converter.EntryError, and cannot read a pid again (no PIDRereader).
type memSource struct {
	name, stamp string
	entries     []any
	next        int
}

func (m *memSource) Name() string  { return m.name }
func (m *memSource) Stamp() string { return m.stamp }
func (m *memSource) Len() int64    { return int64(len(m.entries)) }

func (m *memSource) Next(ctx context.Context) (converter.Entry, error) {
	if err := ctx.Err(); err != nil {
		return converter.Entry{}, err
	}
	if m.next == len(m.entries) {
		return converter.Entry{}, io.EOF
	}
	m.next++
	switch e := m.entries[m.next-1].(type) {
	case converter.Entry:
		return e, nil
	case *converter.EntryError:
		return converter.Entry{}, e
	}
	panic("memSource: neither an entry nor an entry error")
}

// memEntries writes n data files into dir and returns entries for them whose sysmeta is given
// as bytes (no sysmeta file), then a sysmeta-only entry and an unreadable one.
func memEntries(t *testing.T, dir string, n int) []any {
	t.Helper()
	var out []any
	for i := range n {
		pid := fmt.Sprintf("mem.%d", i)
		data := []byte(strings.Repeat(pid, i+1))
		p := filepath.Join(dir, pid)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		out = append(out, converter.Entry{Line: int64(i + 1), Offset: -1, PID: pid, Path: p,
			Sysmeta: sysmetaDoc(pid, int64(len(data)), "MD5", hexMD5(data))})
	}
	out = append(out,
		converter.Entry{Line: int64(n + 1), Offset: -1, PID: "mem.sysmeta-only", Sysmeta: sysmetaDoc("mem.sysmeta-only", 3, "MD5", hexMD5([]byte("abc")))},
		&converter.EntryError{Line: int64(n + 2), Offset: -1, Err: errors.New("the row has no identifier")},
	)
	return out
}

// storedSysmeta returns the sysmeta stored for pid.
func storedSysmeta(t *testing.T, c fixture, pid string) []byte {
	t.Helper()
	r, err := c.store.RetrieveMetadata(t.Context(), pid)
	require.NoError(t, err)
	defer r.Close()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	return data
}

// TestBulkMemorySource runs a Source that is not a manifest, whose entries carry their sysmeta
// as bytes: it is converted; its journal resumes it (a second run skips every success); a
// changed sysmeta document makes its entry be done again, even though the source's stamp and
// the entry's other fields are the same (the fingerprint covers the bytes); a new stamp is
// reported and changes nothing else.
func TestBulkMemorySource(t *testing.T) {
	t.Parallel()
	const n = 6
	entries := memEntries(t, t.TempDir(), n)
	source := func(stamp string) *memSource { return &memSource{name: "memory:test", stamp: stamp, entries: entries} }
	_, rereads := any(source("")).(converter.PIDRereader)
	require.False(t, rereads)
	c := newBulkConverter(t)
	out := t.TempDir()
	run := func(src *memSource) (*converter.Summary, string) {
		t.Helper()
		var log bytes.Buffer
		opts := bulkOpts(out)
		opts.Source = src
		opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
		sum, err := c.RunBulk(t.Context(), opts)
		require.NoError(t, err)
		return sum, log.String()
	}

	first, _ := run(source("v1"))
	require.Equal(t, "memory:test", first.Source)
	require.Equal(t, int64(n+2), first.Objects)
	require.Equal(t, int64(n+1), first.Succeeded)
	require.Equal(t, map[converter.FailureClass]int64{converter.ClassMalformedLine: 1}, first.Failures)
	require.Equal(t, fmt.Sprintf("line %d\tline %d: malformed: the row has no identifier\n", n+2, n+2),
		readReports(t, filepath.Join(out, "reports"))["malformedLine_2024-11-20_22-55-18.txt"])
	for _, e := range entries[:n+1] {
		e := e.(converter.Entry)
		require.Equal(t, e.Sysmeta, storedSysmeta(t, c, e.PID), "the sysmeta is stored byte for byte")
		if e.Path != "" {
			info, err := c.store.FindObject(t.Context(), e.PID)
			require.NoError(t, err)
			require.True(t, sameFile(t, e.Path, info.ObjectPath), "linked")
		}
	}
	require.Equal(t, int64(n*5), first.ChecksumRows, "no checksum rows for the sysmeta-only entry")

	second, log := run(source("v1"))
	require.Equal(t, int64(n+1), second.Run.Skipped)
	require.Equal(t, int64(1), second.Run.Processed, "only the failure is done again")
	require.Equal(t, first.Succeeded, second.Succeeded)
	require.Contains(t, log, "resuming from the journal")
	require.NotContains(t, log, "the source changed")

	// One entry's document changes; nothing else does.
	changed := entries[2].(converter.Entry)
	changed.Sysmeta = bytes.Replace(changed.Sysmeta, []byte("<serialVersion>1<"), []byte("<serialVersion>2<"), 1)
	require.NotEqual(t, entries[2].(converter.Entry).Sysmeta, changed.Sysmeta)
	entries[2] = changed
	third, _ := run(source("v1"))
	require.Equal(t, int64(n), third.Run.Skipped)
	require.Equal(t, int64(2), third.Run.Processed, "the changed entry and the failure")
	require.Equal(t, changed.Sysmeta, storedSysmeta(t, c, changed.PID))
	require.Equal(t, first.Succeeded, third.Succeeded)

	fourth, log := run(source("v2"))
	require.Equal(t, int64(n+1), fourth.Run.Skipped)
	require.Contains(t, log, "the source changed")
}

// TestManifestSource: a manifest is read as entries with absolute paths, its Len counts its
// lines less the header, its Stamp follows its content, an unreadable line is an
// *EntryError, and PIDAt gives back the pid of the entry at an Offset (also of an unreadable
// line whose pid could be read).
func TestManifestSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := filepath.Join(dir, "m.csv")
	text := "pid,path,sysmeta,size\n" +
		"a.1,data/a,sm/a.xml,3\n" +
		"b.1,/abs/b,,\n" +
		"c.1,data/c,,12kB\n" +
		"a.1,data/a,,\n"
	require.NoError(t, os.WriteFile(manifest, []byte(text), 0o644))
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, manifest)
	require.NoError(t, err)
	src, err := converter.NewManifestSource(rel)
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, manifest, src.Name(), "the absolute path")
	require.Equal(t, int64(4), src.Len())
	stamp := src.Stamp()

	var got []converter.Entry
	var bad *converter.EntryError
	for {
		e, err := src.Next(t.Context())
		if err == io.EOF {
			break
		}
		if errors.As(err, &bad) {
			continue
		}
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 3)
	require.Equal(t, converter.Entry{Line: 2, Offset: int64(len("pid,path,sysmeta,size\n")), PID: "a.1",
		Path: filepath.Join(dir, "data/a"), SysmetaPath: filepath.Join(dir, "sm/a.xml"), Size: 3, HasSize: true}, got[0])
	require.Equal(t, "/abs/b", got[1].Path)
	require.Equal(t, int64(4), bad.Line)
	require.Equal(t, "c.1", bad.PID)
	require.ErrorContains(t, bad, `line 4: size "12kB" is not a number of bytes`)
	for _, e := range got {
		pid, err := src.PIDAt(e.Offset)
		require.NoError(t, err)
		require.Equal(t, e.PID, pid)
	}
	pid, err := src.PIDAt(bad.Offset)
	require.NoError(t, err)
	require.Equal(t, "c.1", pid)

	// Another content, another stamp.
	require.NoError(t, os.WriteFile(manifest, []byte(text+"d.1,data/d,,\n"), 0o644))
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(manifest, later, later))
	again, err := converter.NewManifestSource(manifest)
	require.NoError(t, err)
	defer again.Close()
	require.NotEqual(t, stamp, again.Stamp())
	require.Equal(t, int64(5), again.Len())

	_, err = converter.NewManifestSource(filepath.Join(dir, "m.tsv"))
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument, "an unknown format")
	_, err = converter.NewManifestSource(filepath.Join(dir, "missing.csv"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "adir.csv"), 0o755))
	_, err = converter.NewManifestSource(filepath.Join(dir, "adir.csv"))
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
}

// TestBulkDuplicatePid: a pid repeated in a manifest fails as duplicatePid naming the first
// line, and the first line's object is not undone by it, in this run or a resumed one.
func TestBulkDuplicatePid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "y"), []byte("y"), 0o644))
	manifest := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte("pid,path\nx.1,x\ny.1,y\nx.1,y\n"), 0o644))
	c := newBulkConverter(t)
	out := t.TempDir()
	for range 2 {
		sum := runBulk(t, c, manifest, bulkOpts(out))
		require.Equal(t, map[converter.FailureClass]int64{converter.ClassDuplicatePID: 1}, sum.Failures)
		require.Equal(t, int64(2), sum.Succeeded)
		require.Equal(t, "x.1\tline 4: duplicate pid: already on line 2\n",
			readReports(t, filepath.Join(out, "reports"))["duplicatePid_2024-11-20_22-55-18.txt"])
	}
	last := runBulk(t, c, manifest, bulkOpts(out))
	require.Equal(t, int64(2), last.Run.Skipped, "the first x.1 stays done despite the duplicate's failure")
	info, err := c.store.FindObject(t.Context(), "x.1")
	require.NoError(t, err)
	require.Equal(t, []byte("x"), readFileT(t, info.ObjectPath))
}

// TestBulkOutputsAreAtomic: the reports, the checksums CSV, the summary and the journal are
// written under temp names beside them and renamed, so a run leaves no temp file; the temps an
// interrupted run left (".<file>.tmp-<hex>") are removed by the next run, for reports of
// classes that still fail and of classes that no longer do, while other files stay.
func TestBulkOutputsAreAtomic(t *testing.T) {
	t.Parallel()
	src := copyTree(t, sampleDir)
	manifest := filepath.Join(src, "manifest.csv")
	c := newBulkConverter(t)
	out := t.TempDir()
	reports := filepath.Join(out, "reports")
	runBulk(t, c, manifest, bulkOpts(out))
	requireNoTemps := func() {
		t.Helper()
		for _, d := range []string{out, reports} {
			for _, name := range dirNames(t, d) {
				require.False(t, strings.HasPrefix(name, "."), "temp file %s left in %s", name, d)
			}
		}
	}
	requireNoTemps()
	recs, reps, sums := outputsOf(t, out)

	stale := []string{
		filepath.Join(reports, ".nonMatchingChecksum_2024-11-20_22-55-18.txt.tmp-00112233aabbccdd"), // a class that fails
		filepath.Join(reports, ".crossDevice_2024-11-20_22-55-18.txt.tmp-00112233aabbccdd"),         // one that does not
		filepath.Join(out, ".checksums.csv.tmp-00112233aabbccdd"),
		filepath.Join(out, ".summary.json.tmp-00112233aabbccdd"),
		filepath.Join(out, ".journal.jsonl.tmp-00112233aabbccdd"),
	}
	for _, p := range stale {
		require.NoError(t, os.WriteFile(p, []byte("left by a killed run"), 0o644))
	}
	unrelated := filepath.Join(reports, ".notes.txt.tmp-00112233aabbccdd")
	require.NoError(t, os.WriteFile(unrelated, nil, 0o644))

	runBulk(t, c, manifest, bulkOpts(out))
	for _, p := range stale {
		_, err := os.Stat(p)
		require.ErrorIs(t, err, os.ErrNotExist, "%s is removed", p)
	}
	_, err := os.Stat(unrelated)
	require.NoError(t, err, "another file's temp stays")
	require.NoError(t, os.Remove(unrelated))
	requireNoTemps()
	r2, rep2, sum2 := outputsOf(t, out)
	require.Equal(t, recs, r2)
	require.Equal(t, reps, rep2)
	require.Equal(t, sums, sum2)
}

// dirNames lists a directory's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

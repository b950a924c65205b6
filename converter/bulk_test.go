package converter_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// sampleDir is the sample Metacat repository (testdata/metacat, made by its gen.go).
const sampleDir = "../testdata/metacat"

// newBulkConverter makes a converter that links (hashstore.LinkFile) into a fresh store
// (fsync off).
func newBulkConverter(t testing.TB) fixture {
	t.Helper()
	return newPolicyConverter(t, hashstore.LinkFile, hashstore.WithSync(false))
}

// bulkOpts are the options of a run whose journal and outputs go to out; the source is given
// to runBulk.
func bulkOpts(out string) converter.BulkOptions {
	return converter.BulkOptions{
		Journal: filepath.Join(out, "journal.jsonl"), ReportDir: filepath.Join(out, "reports"),
		ChecksumsOut: filepath.Join(out, "checksums.csv"), SummaryOut: filepath.Join(out, "summary.json"),
		Started: time.Date(2024, 11, 20, 22, 55, 18, 0, time.UTC),
	}
}

// openManifest opens a manifest as a source, closed when the test ends.
func openManifest(t testing.TB, manifest string) *converter.ManifestSource {
	t.Helper()
	src, err := converter.NewManifestSource(manifest)
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	return src
}

// runBulk runs opts on a fresh source of the manifest and requires it to complete.
func runBulk(t testing.TB, c fixture, manifest string, opts converter.BulkOptions) *converter.Summary {
	t.Helper()
	opts.Source = openManifest(t, manifest)
	sum, err := c.RunBulk(context.Background(), opts)
	require.NoError(t, err)
	return sum
}

// sampleReports is what the sample manifest (CSV) must report, by file name; <dir> stands for
// the absolute path of testdata/metacat. Lines of the JSON Lines manifest are one less.
var sampleReports = map[string]string{
	"sizeMismatch_2024-11-20_22-55-18.txt": "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a\tline 4: hashstore: link object \"urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a\": " +
		"<dir>/data/autogen.2016092221014098.1: size mismatch: expected 18934 bytes, got 18699 (computed: MD5=e1932fc75ca94de8b64f1d73dc898079 " +
		"SHA-1=c6d2a69a3f5adaf478ba796c114f57b990cf7ad1 SHA-256=4473516a592209cbcd3a7ba4edeebbdb374ee8e4a49d19896fafb8f278dc25fa " +
		"SHA-384=b1023a9be5aa23a102be9bce66e71f1f1c7a6b6b03e3fc603e9cd36b4265671e94f9cc5ce3786879740536994489bc26 " +
		"SHA-512=c7fac7e8aacde8546ddb44c640ad127df82830bba6794aea9952f737c13a81d69095865ab3018ed2a807bf9222f80657faf31cfde6c853d7b91e617e148fec76)\n",
	"nonMatchingChecksum_2024-11-20_22-55-18.txt": "urn:uuid:bad00000-0000-4000-8000-000000000001\tline 25: hashstore: link object \"urn:uuid:bad00000-0000-4000-8000-000000000001\": " +
		"<dir>/data/autogen.2024010112999901.1: checksum mismatch: MD5 expected f90c23bcf525ec3d2285324c38ecdbcc, got 1370c4f154bee625779e96fcddcbcf20 " +
		"(computed: MD5=1370c4f154bee625779e96fcddcbcf20 SHA-1=a56a03cecd7da014c29c26cb4d98f4218015e345 " +
		"SHA-256=6731ced26050e59a8407c6226608b0c79317f0ffdcc32a542be10518513236f2 " +
		"SHA-384=326e2f6775d7f94baf045a8f65f65a157c2907a3a4cc435fd074af06d381d61341d64cf6262ae5c24d9e18dc0249246f " +
		"SHA-512=a9e6d96a46e69e8d04fb5ae85158fa51d86499d0390c0c4909ae81f64db42096138965dbad7613f97ab7e749b8040c7d0c400ec7787f1897d4ceab72676c0908)\n",
	"fileNotFound_2024-11-20_22-55-18.txt": "urn:uuid:bad00000-0000-4000-8000-000000000002\tline 26: hashstore: link object \"urn:uuid:bad00000-0000-4000-8000-000000000002\": " +
		"<dir>/data/autogen.2024010112999902.1: no such source file\n",
	"noSuchAlgorithm_2024-11-20_22-55-18.txt": "urn:uuid:bad00000-0000-4000-8000-000000000003\tline 27: hashstore: convert \"urn:uuid:bad00000-0000-4000-8000-000000000003\": " +
		"the system metadata's checksum: unsupported algorithm: \"CRC32\"\n",
	"invalidPid_2024-11-20_22-55-18.txt":   "\"sample pid.1\"\tline 28: invalid argument: pid \"sample pid.1\" contains whitespace (U+0020)\n",
	"duplicatePid_2024-11-20_22-55-18.txt": "jtao.1700.1\tline 29: duplicate pid: already on line 3\n",
	"noChecksumInSysmeta_2024-11-20_22-55-18.txt": "urn:uuid:bad00000-0000-4000-8000-000000000006\tline 30: hashstore: convert \"urn:uuid:bad00000-0000-4000-8000-000000000006\": " +
		"invalid argument: system metadata: sysmeta: missing required field \"checksum\"\n",
	"malformedLine_2024-11-20_22-55-18.txt": "urn:uuid:bad00000-0000-4000-8000-000000000007\tline 31: malformed: size \"12kB\" is not a number of bytes\n",
}

var sampleFailures = map[converter.FailureClass]int64{
	converter.ClassSizeMismatch: 1, converter.ClassNonMatchingChecksum: 1, converter.ClassFileNotFound: 1,
	converter.ClassNoSuchAlgorithm: 1, converter.ClassInvalidPID: 1, converter.ClassDuplicatePID: 1,
	converter.ClassNoChecksumInSysmeta: 1, converter.ClassMalformedLine: 1,
}

// readReports returns the report files of dir by name, with the absolute path of the sample
// directory (or of its copy, sample[0]) replaced by <dir>.
func readReports(t testing.TB, dir string, sample ...string) map[string]string {
	t.Helper()
	root := sampleDir
	if len(sample) > 0 {
		root = sample[0]
	}
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = strings.ReplaceAll(string(data), abs, "<dir>")
	}
	return out
}

func TestBulkSampleRepository(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			c := newBulkConverter(t)
			out := t.TempDir()
			src := copyTree(t, sampleDir) // on the store's filesystem, whatever TMPDIR is
			sum := runBulk(t, c, filepath.Join(src, "manifest."+format), bulkOpts(out))
			require.Equal(t, int64(30), sum.Objects)
			require.Equal(t, int64(22), sum.Succeeded)
			require.Equal(t, int64(8), sum.Failed)
			require.Equal(t, sampleFailures, sum.Failures)
			require.Equal(t, int64(22*5), sum.ChecksumRows)
			require.Equal(t, int64(30), sum.Run.Processed)

			want := sampleReports
			if format == "jsonl" {
				want = map[string]string{}
				for name, text := range sampleReports {
					want[name] = shiftLines(text)
				}
			}
			require.Equal(t, want, readReports(t, filepath.Join(out, "reports"), src))

			// Every successful object is in the store, tagged, with its sysmeta.
			for _, pid := range []string{"doi:10.18739/A2901ZH2M", "jtao.1700.1", "doi:10.5063/SAMPLE10", "urn:uuid:5a3f0c1e-0000-4000-8000-000000000007"} {
				info, err := c.store.FindObject(context.Background(), pid)
				require.NoError(t, err, pid)
				require.NotEmpty(t, info.SysmetaPath, pid)
			}
			info, err := c.store.FindObject(context.Background(), "jtao.1700.1")
			require.NoError(t, err)
			require.Equal(t, "94f9b6c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a", info.CID)
			for _, pid := range []string{"urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a", "urn:uuid:bad00000-0000-4000-8000-000000000001"} {
				_, err := c.store.FindObject(context.Background(), pid)
				require.ErrorIs(t, err, hashstore.ErrNotFound, "a failed object leaves nothing")
			}

			// The summary file is the summary.
			var fromFile converter.Summary
			require.NoError(t, json.Unmarshal(readFileT(t, filepath.Join(out, "summary.json")), &fromFile))
			require.Equal(t, sum.Failures, fromFile.Failures)
			require.Equal(t, sum.Objects, fromFile.Objects)
			var keys map[string]any
			require.NoError(t, json.Unmarshal(readFileT(t, filepath.Join(out, "summary.json")), &keys))
			manifest, err := filepath.Abs(filepath.Join(src, "manifest."+format))
			require.NoError(t, err)
			require.Equal(t, manifest, keys["source"], "the source's name, under \"source\"")
			require.Equal(t, "convert", keys["mode"])

			// The journal: one record per line, in manifest order.
			recs := journalRecords(t, filepath.Join(out, "journal.jsonl"))
			require.Len(t, recs, 30)
			first := int64(2)
			if format == "jsonl" {
				first = 1
			}
			for i, r := range recs {
				require.Equal(t, first+int64(i), r["line"])
			}
		})
	}
}

// shiftLines lowers every "line N" of a report by one (JSON Lines has no header line).
func shiftLines(s string) string {
	var b strings.Builder
	for _, part := range strings.SplitAfter(s, "line ") {
		var n int
		if k, _ := fmt.Sscanf(part, "%d", &n); k == 1 && strings.HasSuffix(b.String(), "line ") {
			num := fmt.Sprint(n)
			part = fmt.Sprint(n-1) + part[len(num):]
		}
		b.WriteString(part)
	}
	return b.String()
}

func readFileT(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return data
}

// journalRecords reads a journal's records (not the header), each without its timing.
func journalRecords(t testing.TB, path string) []map[string]any {
	t.Helper()
	data := readFileT(t, path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var out []map[string]any
	for _, l := range lines[1:] {
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		var m map[string]any
		require.NoError(t, d.Decode(&m), l)
		delete(m, "time")
		if n, ok := m["line"].(json.Number); ok {
			v, _ := n.Int64()
			m["line"] = v
		}
		out = append(out, m)
	}
	return out
}

// outputsOf is everything a run leaves that must not depend on interruptions: the journal's
// records without timings, the reports, the checksums CSV.
func outputsOf(t testing.TB, out string) (recs []map[string]any, reports map[string]string, checksums string) {
	t.Helper()
	return journalRecords(t, filepath.Join(out, "journal.jsonl")), readReports(t, filepath.Join(out, "reports")),
		string(readFileT(t, filepath.Join(out, "checksums.csv")))
}

func TestBulkResume(t *testing.T) {
	t.Parallel()
	// A copy of the sample, so that a source can be changed.
	src := copyTree(t, sampleDir)
	manifest := filepath.Join(src, "manifest.csv")
	c := newBulkConverter(t)
	out := t.TempDir()
	opts := bulkOpts(out)
	first := runBulk(t, c, manifest, opts)
	recs, reports, checksums := outputsOf(t, out)

	// A second run skips everything done and does the failures again: same outputs.
	again := runBulk(t, c, manifest, opts)
	require.Equal(t, int64(22), again.Run.Skipped)
	require.Equal(t, int64(8), again.Run.Processed)
	require.Equal(t, first.Failures, again.Failures)
	r2, rep2, c2 := outputsOf(t, out)
	require.Equal(t, recs, r2)
	require.Equal(t, reports, rep2)
	require.Equal(t, checksums, c2)

	// A changed source is done again (same content, new modification time: still converts).
	p := filepath.Join(src, "documents", "jtao.1700.1")
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(p, later, later))
	third := runBulk(t, c, manifest, opts)
	require.Equal(t, int64(21), third.Run.Skipped)
	require.Equal(t, int64(9), third.Run.Processed)
	r3, rep3, c3 := outputsOf(t, out)
	require.Equal(t, reports, rep3)
	require.Equal(t, checksums, c3)
	require.Len(t, r3, 30)
	require.NotEqual(t, recs[1]["fp"], r3[1]["fp"], "the new fingerprint is recorded")

	// A torn last record (a crash in the middle of a write) is cut off and done again.
	journal := filepath.Join(out, "journal.jsonl")
	f, err := os.OpenFile(journal, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"line":2,"pid":"doi:10.18739/A2901ZH2M","status":"fa`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	fourth := runBulk(t, c, manifest, opts)
	require.Equal(t, int64(22), fourth.Run.Skipped)
	r4, rep4, c4 := outputsOf(t, out)
	require.Equal(t, r3, r4)
	require.Equal(t, reports, rep4)
	require.Equal(t, checksums, c4)

	// A fixed failure disappears from the reports, and its report file goes.
	require.NoError(t, os.WriteFile(filepath.Join(src, "data", "autogen.2024010112999902.1"), []byte("0123456789"), 0o644))
	fifth := runBulk(t, c, manifest, opts)
	require.Equal(t, int64(23), fifth.Succeeded)
	_, rep5, _ := outputsOf(t, out)
	require.NotContains(t, rep5, "fileNotFound_2024-11-20_22-55-18.txt")
	require.Len(t, rep5, 7)

	// A journal of another run (an import into the same store) is refused.
	other := opts
	other.Source = openManifest(t, manifest)
	_, err = converter.New(c.store, hashstore.CopyFile).RunBulk(context.Background(), other)
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	require.ErrorContains(t, err, "belongs to another run")
}

// TestBulkManifestReordered resumes with a manifest whose lines moved: the objects are
// matched by pid and fingerprint, skipped, and their records move to their new lines.
func TestBulkManifestReordered(t *testing.T) {
	t.Parallel()
	src := copyTree(t, sampleDir)
	manifest := filepath.Join(src, "manifest.csv")
	lines := strings.SplitAfter(string(readFileT(t, manifest)), "\n")
	c := newBulkConverter(t)
	out := t.TempDir()
	opts := bulkOpts(out)
	runBulk(t, c, manifest, opts)
	// Swap the first two objects (doi and jtao) and drop the last line.
	lines[1], lines[2] = lines[2], lines[1]
	require.NoError(t, os.WriteFile(manifest, []byte(strings.Join(lines[:len(lines)-2], "")), 0o644))
	sum := runBulk(t, c, manifest, opts)
	require.Equal(t, int64(22), sum.Run.Skipped)
	require.Equal(t, int64(29), sum.Objects)
	recs := journalRecords(t, filepath.Join(out, "journal.jsonl"))
	require.Len(t, recs, 29)
	require.Equal(t, "jtao.1700.1", recs[0]["pid"])
	require.Equal(t, int64(2), recs[0]["line"])
	require.Equal(t, "doi:10.18739/A2901ZH2M", recs[1]["pid"])
	require.Equal(t, int64(3), recs[1]["line"])
	require.Equal(t, "jtao.1700.1\tline 29: duplicate pid: already on line 2\n",
		readReports(t, filepath.Join(out, "reports"))["duplicatePid_2024-11-20_22-55-18.txt"])
	require.NotContains(t, readReports(t, filepath.Join(out, "reports")), "malformedLine_2024-11-20_22-55-18.txt")
}

// copyTree copies a directory tree into a temp dir and returns the copy's path.
func copyTree(t testing.TB, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	require.NoError(t, os.CopyFS(to, os.DirFS(from)))
	return to
}

func TestBulkInterruptedAndResumed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := writeGenerated(t, dir, 300)
	ref := newBulkConverter(t)
	refOut := t.TempDir()
	runBulk(t, ref, manifest, bulkOpts(refOut))
	wantRecs, wantReports, wantChecksums := outputsOf(t, refOut)

	c := newBulkConverter(t)
	out := t.TempDir()
	opts := bulkOpts(out)
	interrupted := 0
	for i := 0; ; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		o := opts
		stopAt := int64(20 + 40*i)
		o.ProgressInterval = time.Nanosecond
		o.Progress = func(p converter.Progress) {
			if p.Done >= stopAt {
				cancel()
			}
		}
		o.Source = openManifest(t, manifest)
		_, err := c.RunBulk(ctx, o)
		cancel()
		if err == nil {
			break
		}
		require.ErrorIs(t, err, converter.ErrInterrupted)
		interrupted++
		require.Less(t, i, 20)
	}
	require.Greater(t, interrupted, 2)
	recs, reports, checksums := outputsOf(t, out)
	for _, r := range recs {
		delete(r, "source") // the same files, but compare the rest exactly
	}
	for _, r := range wantRecs {
		delete(r, "source")
	}
	require.Equal(t, wantRecs, recs)
	require.Equal(t, wantReports, reports)
	require.Equal(t, wantChecksums, checksums)
	require.Equal(t, storeTree(t, ref.store.Root()), storeTree(t, c.store.Root()))
}

// writeGenerated writes n small objects with sysmeta and a manifest (CSV) listing them, with
// a few broken entries, and returns the manifest's path.
func writeGenerated(t testing.TB, dir string, n int) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	var b strings.Builder
	b.WriteString("pid,path,sysmeta\n")
	for i := range n {
		pid := fmt.Sprintf("gen.%d", i)
		data := bytes.Repeat([]byte(pid+"\n"), i%50)
		sum := md5.Sum(data)
		md := hex.EncodeToString(sum[:])
		if i%97 == 5 {
			md = strings.Repeat("0", 32) // broken
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "data", pid), data, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "data", pid+".xml"), sysmetaDoc(pid, int64(len(data)), "MD5", md), 0o644))
		fmt.Fprintf(&b, "%s,data/%s,data/%s.xml\n", pid, pid, pid)
		if i%101 == 7 {
			fmt.Fprintf(&b, "%s,data/%s,data/%s.xml\n", pid, pid, pid) // duplicate
		}
	}
	p := filepath.Join(dir, "manifest.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// storeTree maps every file under a store's root, except lock files, to its content, and every
// directory to "dir".
func storeTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "locks" && d.IsDir() {
			return filepath.SkipDir
		}
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = string(data)
		return err
	}))
	return out
}

func TestBulkImportMatchesConvert(t *testing.T) {
	t.Parallel()
	conv := newBulkConverter(t)
	imp := newPolicyConverter(t, hashstore.CopyFile, hashstore.WithSync(false))
	src := copyTree(t, sampleDir)
	manifest := filepath.Join(src, "manifest.jsonl")
	cs := runBulk(t, conv, manifest, bulkOpts(t.TempDir()))
	is := runBulk(t, imp, manifest, bulkOpts(t.TempDir()))
	require.Equal(t, "convert", cs.Mode)
	require.Equal(t, "import", is.Mode)
	require.Equal(t, cs.Failures, is.Failures)
	require.Equal(t, cs.Succeeded, is.Succeeded)
	require.Equal(t, storeTree(t, conv.store.Root()), storeTree(t, imp.store.Root()))

	// Convert linked the source; import copied it.
	source, err := os.Stat(filepath.Join(src, "documents", "jtao.1700.1"))
	require.NoError(t, err)
	obj := "objects/94/f9/b6/c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a"
	linked, err := os.Stat(filepath.Join(conv.store.Root(), obj))
	require.NoError(t, err)
	copied, err := os.Stat(filepath.Join(imp.store.Root(), obj))
	require.NoError(t, err)
	require.True(t, os.SameFile(source, linked))
	require.False(t, os.SameFile(source, copied))
}

func TestBulkChecksumsCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pids := []string{`a,b`, `quote"d`, `plain.1`, `\.`, `ends,with"both"`}
	var b strings.Builder
	b.WriteString("pid,path\n")
	want := [][]string{{"guid", "checksum_algorithm", "checksum"}}
	for i, pid := range pids {
		name := fmt.Sprintf("f%d", i)
		data := []byte(pid)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		w := csv.NewWriter(&b)
		w.Write([]string{pid, name})
		w.Flush()
		for _, a := range hashstore.DefaultAlgorithms() {
			h := a.New()
			h.Write(data)
			want = append(want, []string{pid, string(a), hex.EncodeToString(h.Sum(nil))})
		}
	}
	manifest := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte(b.String()), 0o644))
	out := t.TempDir()
	sum := runBulk(t, newBulkConverter(t), manifest, bulkOpts(out))
	require.Zero(t, sum.Failed, sum.Failures)
	data := readFileT(t, filepath.Join(out, "checksums.csv"))
	// PostgreSQL's CSV format is RFC 4180: what encoding/csv reads back is what COPY reads.
	got, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.True(t, strings.HasPrefix(string(data), "guid,checksum_algorithm,checksum\n"))
	require.Contains(t, string(data), "\n\"a,b\",MD5,")
	require.Contains(t, string(data), "\n\"quote\"\"d\",SHA-1,")
	require.Contains(t, string(data), "\n\"\\.\",MD5,", `a lone \. would end COPY's data`)
}

func TestBulkMoreFailureClasses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		return name
	}
	jtao := readFileT(t, filepath.Join(vectorsDir, "jtao.1700.1"))
	jtaoSM := readFileT(t, filepath.Join(vectorsDir, "jtao.1700.1.xml"))
	write("jtao", jtao)
	write("jtao.xml", jtaoSM)
	write("other", []byte("other content"))
	write("other.xml", sysmetaDoc("taken", 13, "MD5", hexMD5([]byte("other content"))))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "adir"), 0o755))
	write("adir.xml", sysmetaDoc("dir.1", 1, "MD5", hexMD5([]byte("x"))))
	write("bad.xml", []byte("<systemMetadata><identifier>x</identif"))
	lines := []string{
		`{"pid":"jtao.1700.1","path":"jtao","sysmeta":"jtao.xml"}`,
		`{"pid":"taken","path":"other","sysmeta":"other.xml"}`,                                                  // pidTaggedElsewhere
		`{"pid":"someone.else","path":"jtao","sysmeta":"jtao.xml"}`,                                             // invalidSysmeta: for another identifier
		`{"pid":"dir.1","path":"adir","sysmeta":"adir.xml"}`,                                                    // generalError: a directory
		`{"pid":"bad.1","path":"jtao","sysmeta":"bad.xml"}`,                                                     // invalidSysmeta: malformed
		`{"pid":"jtao.size","path":"jtao","checksum":"` + jtaoMD5 + `","checksum_algorithm":"MD5","size":8723}`, // sizeMismatch without sysmeta
		`{"pid":"jtao.nosm","path":"jtao","checksum":"` + jtaoMD5 + `","checksum_algorithm":"MD5","size":8724}`, // ok without sysmeta
		`{"pid":"jtao.1700.1","path":"jtao","sysmeta":"jtao.xml","size":8000}`,                                  // duplicatePid (and a contradicting size)
		`{"pid":"sm.only","sysmeta":"nosuch.xml"}`,                                                              // fileNotFound: the sysmeta
		`{"pid":"nothing"}`, // malformedLine: nothing to do
		`not json`,          // malformedLine
		``,                  // blank: skipped
		`{"path":"jtao"}`,   // malformedLine: no pid
	}
	manifest := write("m.jsonl", []byte(strings.Join(lines, "\n")+"\n"))
	c := newBulkConverter(t)
	// "taken" is already tagged to other content.
	_, err := c.store.StoreObject(context.Background(), strings.NewReader("something else"), hashstore.WithPID("taken"))
	require.NoError(t, err)
	out := t.TempDir()
	sum := runBulk(t, c, filepath.Join(dir, manifest), bulkOpts(out))
	require.Equal(t, map[converter.FailureClass]int64{
		converter.ClassPIDTaggedElsewhere: 1, converter.ClassInvalidSysmeta: 2, converter.ClassGeneralError: 1,
		converter.ClassSizeMismatch: 1, converter.ClassDuplicatePID: 1, converter.ClassFileNotFound: 1,
		converter.ClassMalformedLine: 3,
	}, sum.Failures)
	require.Equal(t, int64(12), sum.Objects)
	require.Equal(t, int64(2), sum.Succeeded)
	reports := readReports(t, filepath.Join(out, "reports"))
	mal := reports["malformedLine_2024-11-20_22-55-18.txt"]
	require.Equal(t, "nothing\tline 10: malformed: neither path nor sysmeta: nothing to store\n"+
		"line 11\tline 11: malformed: not a JSON object: invalid character 'o' in literal null (expecting 'u')\n"+
		"line 13\tline 13: malformed: no pid\n", mal)
	require.Contains(t, reports["invalidSysmeta_2024-11-20_22-55-18.txt"], "someone.else\tline 3: ")
	require.Contains(t, reports["invalidSysmeta_2024-11-20_22-55-18.txt"], "bad.1\tline 5: ")
	require.Contains(t, reports["pidTaggedElsewhere_2024-11-20_22-55-18.txt"], "taken\tline 2: ")
	require.Contains(t, reports["generalError_2024-11-20_22-55-18.txt"], "dir.1\tline 4: ")
	require.Contains(t, reports["generalError_2024-11-20_22-55-18.txt"], "a directory, not a regular file")
	require.Equal(t, "jtao.1700.1\tline 8: duplicate pid: already on line 1\n", reports["duplicatePid_2024-11-20_22-55-18.txt"])
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

const jtaoMD5 = "f4ea2d07db950873462a064937197b0f"

func TestBulkCrossDevice(t *testing.T) {
	t.Parallel()
	shm := crossDeviceDir(t)
	c := newBulkConverter(t)
	data := readFileT(t, filepath.Join(vectorsDir, "jtao.1700.1"))
	require.NoError(t, os.WriteFile(filepath.Join(shm, "jtao"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(shm, "jtao.xml"), readFileT(t, filepath.Join(vectorsDir, "jtao.1700.1.xml")), 0o644))
	manifest := filepath.Join(shm, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte("pid,path,sysmeta\njtao.1700.1,jtao,jtao.xml\n"), 0o644))
	out := t.TempDir()
	sum := runBulk(t, c, manifest, bulkOpts(out))
	require.Equal(t, map[converter.FailureClass]int64{converter.ClassCrossDevice: 1}, sum.Failures)
	report := readReports(t, filepath.Join(out, "reports"))["crossDevice_2024-11-20_22-55-18.txt"]
	require.Contains(t, report, "jtao.1700.1\tline 2: ")
	require.Contains(t, report, "--on-cross-device copy")
	_, err := c.store.FindObject(context.Background(), "jtao.1700.1")
	require.ErrorIs(t, err, hashstore.ErrNotFound)

	// Resumed with LinkOrCopyFile (--on-cross-device copy): the failure is done again, by a
	// copy; the source keeps its one link and the report goes.
	sum = runBulk(t, fixture{converter.New(c.store, hashstore.LinkOrCopyFile), c.store}, manifest, bulkOpts(out))
	require.Zero(t, sum.Failed)
	require.Equal(t, int64(1), sum.Run.Processed)
	require.Empty(t, readReports(t, filepath.Join(out, "reports")))
	info, err := c.store.FindObject(context.Background(), "jtao.1700.1")
	require.NoError(t, err)
	require.Equal(t, data, readFileT(t, info.ObjectPath))
	require.Equal(t, 1, nlinkOf(t, filepath.Join(shm, "jtao")), "copied, not linked")
}

func TestShardsPartition(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 3, 7} {
		counts := make([]int, n)
		for i := range 5000 {
			pid := fmt.Sprintf("urn:uuid:%d", i)
			owners := 0
			for k := range n {
				if (converter.Shard{Index: k, Count: n}).Has(pid) {
					owners++
					counts[k]++
				}
			}
			require.Equal(t, 1, owners)
		}
		for _, c := range counts {
			require.Greater(t, c, 5000/n/2, "roughly even: %v", counts)
		}
	}
	s, err := converter.ParseShard("2/4")
	require.NoError(t, err)
	require.Equal(t, converter.Shard{Index: 2, Count: 4}, s)
	require.Equal(t, "2/4", s.String())
	require.Equal(t, ".shard-2-of-4", s.Suffix())
	require.Equal(t, "/x/c.shard-2-of-4.csv", s.Name("/x/c.csv"))
	require.Equal(t, "/x/journal.shard-2-of-4", s.Name("/x/journal"))
	require.Empty(t, s.Name(""))
	for _, whole := range []converter.Shard{{}, {Index: 0, Count: 1}} {
		require.Equal(t, "/x/c.csv", whole.Name("/x/c.csv"), "an unsharded run keeps its names")
		require.Empty(t, whole.Suffix())
		require.Equal(t, "0/1", whole.String())
		require.True(t, whole.Has("anything"))
	}
	for _, bad := range []string{"4/4", "-1/2", "1", "a/b", "0/0"} {
		_, err := converter.ParseShard(bad)
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument, bad)
	}
	// A pid's shard is FNV-1a 64 of its UTF-8 bytes modulo the count (pinned by pidset's
	// test): FNV-1a("a") = 0xaf63dc4c8601ec8c, which is 0 modulo 4 and 1 modulo 3.
	require.True(t, converter.Shard{Index: 0, Count: 4}.Has("a"))
	require.True(t, converter.Shard{Index: 1, Count: 3}.Has("a"))
}

package cli

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sampleManifest is the sample Metacat repository's manifest (testdata/metacat).
const sampleManifest = "../../../../testdata/metacat/manifest.csv"

func TestBulkCommands(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	// A copy of the sample, on the stores' filesystem whatever TMPDIR is.
	sample := filepath.Join(t.TempDir(), "metacat")
	require.NoError(t, os.CopyFS(sample, os.DirFS(filepath.Dir(sampleManifest))))
	manifest := filepath.Join(sample, "manifest.csv")
	bulkArgs := func(dir, name string, extra ...string) []string {
		return append([]string{"--store", dir, "--no-sync", "convert", "--manifest", manifest,
			"--journal", filepath.Join(out, name+".journal"), "--report-dir", filepath.Join(out, name+"-reports"),
			"--checksums-out", filepath.Join(out, name+".csv"), "--progress-interval", "1ms"}, extra...)
	}

	t.Run("text", func(t *testing.T) {
		dir := newStore(t)
		r := run(t, nil, bulkArgs(dir, "text")...)
		require.Equal(t, ExitFailure, r.code, "some objects are broken on purpose: %s", r.stderr)
		require.Contains(t, r.stdout, "30 objects, 22 succeeded, 8 failed, 56742 bytes\n")
		require.Contains(t, r.stdout, "  nonMatchingChecksum         1  "+filepath.Join(out, "text-reports", "nonMatchingChecksum_"))
		require.Contains(t, r.stdout, "checksums: "+filepath.Join(out, "text.csv")+" (110 rows)\n")
		require.Contains(t, r.stderr, "level=INFO msg=progress mode=convert lines=")
		require.Contains(t, r.stderr, "total_lines=30")
		require.Contains(t, r.stderr, "hashstore: convert: 8 of 30 objects failed")
		// Again: everything done is skipped, with -q nothing but the failure is on stderr.
		r = run(t, nil, append([]string{"-q"}, bulkArgs(dir, "text")...)...)
		require.Equal(t, ExitFailure, r.code)
		require.Contains(t, r.stdout, "this run: 8 processed, 22 skipped")
		require.NotContains(t, r.stderr, "progress")
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	})

	t.Run("json", func(t *testing.T) {
		dir := newStore(t)
		doc := fails(t, ExitFailure, "objects_failed", nil, append([]string{"-q"}, bulkArgs(dir, "json")...)...)
		sum := doc["summary"].(map[string]any)
		require.Equal(t, manifest, sum["source"], "the summary names its source (a manifest's absolute path)")
		require.NotContains(t, sum, "manifest")
		require.Equal(t, float64(30), sum["objects"])
		require.Equal(t, float64(8), sum["failed"])
		require.Equal(t, map[string]any{"nonMatchingChecksum": 1.0, "noSuchAlgorithm": 1.0, "noChecksumInSysmeta": 1.0,
			"sizeMismatch": 1.0, "fileNotFound": 1.0, "invalidPid": 1.0, "duplicatePid": 1.0, "malformedLine": 1.0}, sum["failures"])
	})

	t.Run("all good exits 0", func(t *testing.T) {
		dir := newStore(t)
		src := filepath.Join(filepath.Dir(dir), "src")
		require.NoError(t, os.Mkdir(src, 0o755))
		copyVectors(t, src)
		manifest := filepath.Join(src, "m.jsonl")
		require.NoError(t, os.WriteFile(manifest, []byte(`{"pid":"jtao.1700.1","path":"jtao.1700.1","sysmeta":"jtao.1700.1.xml"}`+"\n"), 0o644))
		for _, cmd := range []string{"convert", "import"} {
			r := ok(t, nil, "--store", dir, "--json", "-q", cmd, "--manifest", manifest, "--shard", "0/1", "--journal", filepath.Join(src, cmd+".journal"))
			sum := decode[map[string]any](t, r.stdout)["summary"].(map[string]any)
			require.Equal(t, float64(1), sum["succeeded"], cmd)
			require.Equal(t, cmd, sum["mode"])
		}
		ok(t, nil, "--store", dir, "find", "--pid", jtaoPID)
	})

	t.Run("shard names", func(t *testing.T) {
		dir := newStore(t)
		r := run(t, nil, "--store", dir, "-q", "--no-sync", "convert", "--manifest", manifest, "--shard", "1/3",
			"--journal", filepath.Join(out, "sh.journal"), "--report-dir", filepath.Join(out, "sh"), "--checksums-out", filepath.Join(out, "sh.csv"))
		require.Contains(t, []int{ExitOK, ExitFailure}, r.code, r.stderr)
		require.FileExists(t, filepath.Join(out, "sh.shard-1-of-3.journal"))
		require.FileExists(t, filepath.Join(out, "sh.shard-1-of-3.csv"))
		require.Contains(t, r.stdout, "(shard 1/3)")
	})

	t.Run("usage", func(t *testing.T) {
		dir := newStore(t)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--manifest", "m.tsv")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--manifest", sampleManifest, "--shard", "3/3")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--manifest", sampleManifest, "--workers", "0")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--manifest", sampleManifest, "--large-threshold", "big")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "import")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "import", "--manifest", sampleManifest, "extra")
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "convert", "--manifest", filepath.Join(out, "none.csv"))
	})
}

func TestSizeValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"1": 1, "256MiB": 256 << 20, "1GiB": 1 << 30, "2g": 2 << 30, "64 KB": 64 << 10} {
		var v sizeValue
		require.NoError(t, v.Set(in), in)
		require.Equal(t, want, int64(v), in)
	}
	for _, in := range []string{"", "0", "-1", "1.5G", "lots"} {
		var v sizeValue
		require.Error(t, v.Set(in), in)
	}
}

// TestBulkRunsCollectGarbageWithAFloor: convert and import --manifest run with gctune's floor
// (16 MiB of headroom, 1.5x of large heaps) unless GOGC is set, and restore GOGC when done.
// Not parallel: it replaces gcFloor and changes GOGC for the process.
func TestBulkRunsCollectGarbageWithAFloor(t *testing.T) {
	type call struct {
		headroom uint64
		percent  int
	}
	var calls []call
	floor := gcFloor
	t.Cleanup(func() { gcFloor = floor })
	gcFloor = func(headroom uint64, percent int) func() {
		calls = append(calls, call{headroom, percent})
		return floor(headroom, percent)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(77))
	src := t.TempDir()
	copyVectors(t, src)
	manifest := filepath.Join(src, "m.jsonl")
	require.NoError(t, os.WriteFile(manifest, []byte(`{"pid":"jtao.1700.1","path":"jtao.1700.1","sysmeta":"jtao.1700.1.xml"}`+"\n"), 0o644))
	for _, cmd := range []string{"convert", "import"} {
		dir := newStore(t)
		ok(t, nil, "--store", dir, "-q", "--no-sync", cmd, "--manifest", manifest, "--journal", filepath.Join(src, cmd+".journal"))
		require.Equal(t, 77, debug.SetGCPercent(77), "%s restores GOGC", cmd)
	}
	require.Equal(t, []call{{16 << 20, 50}, {16 << 20, 50}}, calls)

	t.Setenv("GOGC", "100")
	dir := newStore(t)
	ok(t, nil, "--store", dir, "-q", "--no-sync", "convert", "--manifest", manifest, "--journal", filepath.Join(src, "gogc.journal"))
	require.Len(t, calls, 2, "with GOGC set, the floor stays off")
}

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// vectorsDir holds the reference vectors (testdata/vectors at the repository's root).
const vectorsDir = "../../../../testdata/vectors"

// copyVectors copies the reference vectors (data and sysmeta) into dir, which must be on the
// store's filesystem for hard links.
func copyVectors(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(vectorsDir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data := readFile(t, filepath.Join(vectorsDir, e.Name()))
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
}

const (
	urnFile = "urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a"
	urnPID  = "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a"
)

func TestConvert(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	src := filepath.Join(filepath.Dir(dir), "vectors")
	require.NoError(t, os.Mkdir(src, 0o755))
	copyVectors(t, src)
	jtao := filepath.Join(src, "jtao.1700.1")
	jtaoXML := jtao + ".xml"

	t.Run("one object", func(t *testing.T) {
		r := ok(t, nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML,
			"--checksum", strings.ToUpper(jtaoMD5), "--checksum-algorithm", "md5", "--size", "8724", jtao)
		require.Equal(t, 1, strings.Count(r.stdout, "\n"))
		got := decode[map[string]any](t, r.stdout)
		require.Equal(t, jtaoPID, got["pid"])
		require.Equal(t, jtaoCID, got["cid"])
		require.Equal(t, float64(jtaoSize), got["size"])
		require.Equal(t, "linked", got["placement"])
		require.Equal(t, false, got["already_tagged"])
		require.Equal(t, filepath.Join(dir, jtaoSysmeta), got["sysmeta_path"])
		digests := map[string]any{}
		for k, v := range jtaoDigests {
			digests[string(k)] = v
		}
		require.Equal(t, digests, got["hex_digests"])
		// The object is the source file.
		a, err := os.Stat(jtao)
		require.NoError(t, err)
		b, err := os.Stat(filepath.Join(dir, jtaoObject))
		require.NoError(t, err)
		require.True(t, os.SameFile(a, b))
		require.Equal(t, readFile(t, jtaoXML), readFile(t, filepath.Join(dir, jtaoSysmeta)))

		// Again: a re-run succeeds.
		r = ok(t, nil, "--store", dir, "--json", "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, jtao)
		again := decode[map[string]any](t, r.stdout)
		require.Equal(t, true, again["already_tagged"])
		require.Equal(t, jtaoCID, again["cid"])
	})

	t.Run("urn: the sysmeta's size is wrong", func(t *testing.T) {
		doc := fails(t, ExitFailure, "size_mismatch", nil, "--store", dir, "convert", "--pid", urnPID,
			"--sysmeta", filepath.Join(src, urnFile+".xml"), filepath.Join(src, urnFile))
		require.Equal(t, float64(18699), doc["size"], "the data's real size")
		require.Equal(t, map[string]any{
			"MD5":     "e1932fc75ca94de8b64f1d73dc898079",
			"SHA-1":   "c6d2a69a3f5adaf478ba796c114f57b990cf7ad1",
			"SHA-256": "4473516a592209cbcd3a7ba4edeebbdb374ee8e4a49d19896fafb8f278dc25fa",
			"SHA-384": "b1023a9be5aa23a102be9bce66e71f1f1c7a6b6b03e3fc603e9cd36b4265671e94f9cc5ce3786879740536994489bc26",
			"SHA-512": "c7fac7e8aacde8546ddb44c640ad127df82830bba6794aea9952f737c13a81d69095865ab3018ed2a807bf9222f80657faf31cfde6c853d7b91e617e148fec76",
		}, doc["hex_digests"])
		require.Contains(t, doc["error"].(map[string]any)["message"], "expected 18934 bytes, got 18699")
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", urnPID)
	})

	t.Run("checksum mismatch carries the digests", func(t *testing.T) {
		doi := filepath.Join(src, "doi_10.18739_A2901ZH2M")
		doc := fails(t, ExitFailure, "checksum_mismatch", nil, "--store", dir, "convert", "--pid", "doi:10.18739/A2901ZH2M",
			"--sysmeta", doi+".xml", "--checksum", strings.Repeat("0", 32), "--checksum-algorithm", "MD5", doi)
		require.Equal(t, "db91c910a3202478c8def1071c54aae5", doc["hex_digests"].(map[string]any)["MD5"])
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", "doi:10.18739/A2901ZH2M")
	})

	t.Run("sysmeta only", func(t *testing.T) {
		fresh := newStore(t)
		r := ok(t, nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML)
		require.Equal(t, map[string]any{"pid": jtaoPID, "sysmeta_path": filepath.Join(fresh, jtaoSysmeta)}, decode[map[string]any](t, r.stdout))
		requireMissing(t, filepath.Join(fresh, jtaoObject))
	})

	t.Run("other failures", func(t *testing.T) {
		fresh := newStore(t)
		fails(t, ExitFailure, "invalid_argument", nil, "--store", fresh, "convert", "--pid", "not.jtao", "--sysmeta", jtaoXML, jtao)
		fails(t, ExitFailure, "invalid_argument", nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, "--size", "1", jtao)
		fails(t, ExitFailure, "not_found", nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, filepath.Join(src, "nope"))
		fails(t, ExitFailure, "not_found", nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", filepath.Join(src, "nope.xml"), jtao)
		fails(t, ExitFailure, "unsupported_algorithm", nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML,
			"--checksum", "abc", "--checksum-algorithm", "CRC32", jtao)
		// Tagged to other content.
		ok(t, strings.NewReader("other"), "--store", fresh, "store", "--pid", jtaoPID, "-")
		fails(t, ExitFailure, "pid_tagged_elsewhere", nil, "--store", fresh, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, jtao)
	})

	t.Run("usage", func(t *testing.T) {
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--pid", jtaoPID, jtao)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--sysmeta", jtaoXML, jtao)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, "-")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, "--workers", "3", jtao)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--manifest", "m.csv", "--pid", jtaoPID)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtaoXML, "--on-cross-device", "maybe", jtao)
	})
}

// crossDeviceDir returns a fresh directory on another filesystem than the test's temp dirs
// (where the stores are): one under /dev/shm, a tmpfs on Linux. The test is skipped when the
// machine has none.
func crossDeviceDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "hashstore-cli-")
	if err != nil {
		t.Skipf("no second filesystem for a cross-device test: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a, errA := os.Stat(dir)
	b, errB := os.Stat(t.TempDir())
	require.NoError(t, errors.Join(errA, errB))
	if a.Sys().(*syscall.Stat_t).Dev == b.Sys().(*syscall.Stat_t).Dev {
		t.Skip("/dev/shm is on the same filesystem as the temp dir: no cross-device setup here")
	}
	return dir
}

func TestConvertCrossDevice(t *testing.T) {
	t.Parallel()
	shm := crossDeviceDir(t)
	dir := newStore(t)
	copyVectors(t, shm)
	jtao := filepath.Join(shm, "jtao.1700.1")
	doc := fails(t, ExitFailure, "cross_device", nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtao+".xml", jtao)
	require.Contains(t, doc["error"].(map[string]any)["message"], "--on-cross-device copy")
	fails(t, ExitFailure, "cross_device", nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtao+".xml", "--on-cross-device", "fail", jtao)
	fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", jtaoPID)
	r := ok(t, nil, "--store", dir, "convert", "--pid", jtaoPID, "--sysmeta", jtao+".xml", "--on-cross-device", "copy", jtao)
	require.Equal(t, "copied", decode[map[string]any](t, r.stdout)["placement"])
}

// TestBulkCrossDevice: a manifest run whose data files are on another filesystem than the
// store. convert fails them as crossDevice (exit 1, kind objects_failed); run again with
// --on-cross-device copy on the same journal, they are copied in (exit 0); import copies
// them anyway.
func TestBulkCrossDevice(t *testing.T) {
	t.Parallel()
	shm := crossDeviceDir(t)
	copyVectors(t, shm)
	manifest := filepath.Join(shm, "m.jsonl")
	require.NoError(t, os.WriteFile(manifest, []byte(`{"pid":"jtao.1700.1","path":"jtao.1700.1","sysmeta":"jtao.1700.1.xml"}`+"\n"), 0o644))
	out := t.TempDir()
	dir := newStore(t)
	args := []string{"--store", dir, "-q", "--no-sync", "convert", "--manifest", manifest,
		"--journal", filepath.Join(out, "journal"), "--report-dir", filepath.Join(out, "reports")}
	doc := fails(t, ExitFailure, "objects_failed", nil, args...)
	sum := doc["summary"].(map[string]any)
	require.Equal(t, map[string]any{"crossDevice": 1.0}, sum["failures"])
	require.Equal(t, manifest, sum["source"])
	report := readFile(t, sum["reports"].(map[string]any)["crossDevice"].(string))
	require.Contains(t, string(report), "--on-cross-device copy")

	r := ok(t, nil, append(append([]string{"--json"}, args...), "--on-cross-device", "copy")...)
	sum = decode[map[string]any](t, r.stdout)["summary"].(map[string]any)
	require.Equal(t, 1.0, sum["succeeded"])
	require.Equal(t, 1.0, sum["run"].(map[string]any)["processed"], "the failure is done again")
	ok(t, nil, "--store", dir, "find", "--pid", jtaoPID)

	other := newStore(t)
	r = ok(t, nil, "--store", other, "--json", "-q", "--no-sync", "import", "--manifest", manifest, "--journal", filepath.Join(out, "import.journal"))
	sum = decode[map[string]any](t, r.stdout)["summary"].(map[string]any)
	require.Equal(t, 1.0, sum["succeeded"])
	require.Equal(t, "import", sum["mode"])
}

func TestErrorKind(t *testing.T) {
	t.Parallel()
	require.Equal(t, "source_changed", errorKind(&hashstore.OpError{Op: "link object", Err: fmt.Errorf("p: %w", hashstore.ErrSourceChanged)}))
	require.Equal(t, "cross_device", errorKind(&hashstore.CrossDeviceError{}))
	require.Equal(t, "objects_failed", errorKind(fmt.Errorf("convert: %w", errObjectsFailed)))
	require.Equal(t, "size_mismatch", errorKind(&hashstore.SizeMismatchError{}))
}

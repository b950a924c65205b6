package cli

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildBinary builds the hashstore program into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hashstore")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/hashstore-go/hashstore/cmd/hashstore").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// genRepository writes n small data files with v2 sysmeta and a CSV manifest listing them,
// with broken entries (wrong checksums, duplicate pids, a missing file, a malformed line) and
// shared content (every 10th object holds the same bytes), and returns the manifest's path.
func genRepository(t *testing.T, dir string, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sysmeta"), 0o755))
	var m strings.Builder
	m.WriteString("pid,path,sysmeta,size\n")
	shared := []byte("the same bytes under many pids\n")
	for i := range n {
		pid := fmt.Sprintf("urn:uuid:gen-%05d", i)
		name := fmt.Sprintf("autogen.%05d.1", i)
		data := shared
		if i%10 != 0 {
			data = make([]byte, rng.IntN(6000))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		}
		sum := md5.Sum(data)
		md := hex.EncodeToString(sum[:])
		if i%150 == 3 {
			md = strings.Repeat("a", 32)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "data", name), data, 0o644))
		sm := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0">
  <identifier>%s</identifier><formatId>application/octet-stream</formatId><size>%d</size>
  <checksum algorithm="MD5">%s</checksum><submitter>CN=t</submitter><rightsHolder>CN=t</rightsHolder>
</d1:systemMetadata>
`, pid, len(data), md)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sysmeta", name+".xml"), []byte(sm), 0o644))
		fmt.Fprintf(&m, "%s,data/%s,sysmeta/%s.xml,%d\n", pid, name, name, len(data))
		if i%333 == 11 {
			fmt.Fprintf(&m, "%s,data/%s,sysmeta/%s.xml,\n", pid, name, name) // a duplicate pid
		}
	}
	m.WriteString("urn:uuid:missing,data/autogen.missing.1,sysmeta/autogen.00001.1.xml,\n")
	m.WriteString("urn:uuid:malformed,data/x,sysmeta/x.xml,many\n")
	p := filepath.Join(dir, "manifest.csv")
	require.NoError(t, os.WriteFile(p, []byte(m.String()), 0o644))
	return p
}

// hsRun runs the binary and returns its exit code and output.
func hsRun(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, isExit := err.(*exec.ExitError); isExit {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// treeOf maps every path under a store's root (lock files excepted) to its content ("dir" for
// directories); the lines of cid refs files are sorted, since their order is the order in
// which concurrent conversions finished.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "locks" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		if strings.HasPrefix(rel, "refs/cids/") {
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			sort.Strings(lines)
			data = []byte(strings.Join(lines, "\n"))
		}
		out[rel] = string(data)
		return err
	}))
	return out
}

// runOutputs is what a run leaves besides the store, normalised for comparison: journal
// records without timings, reports by class, the checksums CSV and the summary's counts.
type runOutputs struct {
	Records   []map[string]any
	Reports   map[string]string
	Checksums string
	Counts    map[string]any
}

var reportName = regexp.MustCompile(`^([A-Za-z]+)_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(.*)\.txt$`)

func outputsIn(t *testing.T, dir string) runOutputs {
	t.Helper()
	var o runOutputs
	lines := strings.Split(strings.TrimSuffix(string(readFile(t, filepath.Join(dir, "journal"))), "\n"), "\n")
	for _, l := range lines[1:] {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		delete(m, "time")
		o.Records = append(o.Records, m)
	}
	o.Reports = map[string]string{}
	entries, err := os.ReadDir(filepath.Join(dir, "reports"))
	require.NoError(t, err)
	for _, e := range entries {
		m := reportName.FindStringSubmatch(e.Name())
		require.NotNil(t, m, e.Name())
		o.Reports[m[1]+m[2]] = string(readFile(t, filepath.Join(dir, "reports", e.Name())))
	}
	o.Checksums = string(readFile(t, filepath.Join(dir, "checksums.csv")))
	var sum map[string]any
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(dir, "summary.json")), &sum))
	o.Counts = map[string]any{}
	for _, k := range []string{"objects", "succeeded", "failed", "bytes", "failures", "checksum_rows"} {
		o.Counts[k] = sum[k]
	}
	return o
}

func bulkCmd(store, manifest, out string, extra ...string) []string {
	return append([]string{"--store", store, "--no-sync", "-q", "convert", "--manifest", manifest,
		"--journal", filepath.Join(out, "journal"), "--report-dir", filepath.Join(out, "reports"),
		"--checksums-out", filepath.Join(out, "checksums.csv"), "--summary", filepath.Join(out, "summary.json")}, extra...)
}

// TestKillAndResume SIGKILLs convert --manifest at random (seeded) moments, runs it again each
// time, and requires the end state to be that of an uninterrupted run: the same store, journal
// (timings aside), reports, checksums and counts.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and converts thousands of files several times")
	}
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	manifest := genRepository(t, filepath.Join(tmp, "repo"), 2000)

	ref, refOut := filepath.Join(tmp, "ref"), filepath.Join(tmp, "ref-out")
	code, _, stderr := hsRun(t, bin, "--store", ref, "-q", "init")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = hsRun(t, bin, bulkCmd(ref, manifest, refOut)...)
	require.Equal(t, ExitFailure, code, "broken entries fail: %s", stderr)
	want := outputsIn(t, refOut)
	require.Len(t, want.Records, 2008) // 2000, 6 duplicates, a missing file, a malformed line

	store, out := filepath.Join(tmp, "killed"), filepath.Join(tmp, "killed-out")
	code, _, stderr = hsRun(t, bin, "--store", store, "-q", "init")
	require.Equal(t, 0, code, stderr)
	// Kill points: when the journal has grown to a random (seeded) fraction of the size of the
	// uninterrupted run's, up to a little past it (into the final compaction), then a few
	// microseconds to milliseconds later.
	rng := rand.New(rand.NewPCG(2024, 11))
	refSize := float64(len(readFile(t, filepath.Join(refOut, "journal"))))
	var points []float64
	for range 8 {
		points = append(points, rng.Float64()*1.1)
	}
	sort.Float64s(points)
	journal := filepath.Join(out, "journal")
	kills := 0
	for i, frac := range points {
		cmd := exec.Command(bin, bulkCmd(store, manifest, out)...)
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		target := int64(frac * refSize)
	wait:
		for {
			select {
			case <-exited:
				break wait
			case <-time.After(200 * time.Microsecond):
			}
			if fi, err := os.Stat(journal); err == nil && fi.Size() >= target {
				time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond))))
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		if ws, isWS := cmd.ProcessState.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
			kills++
		} else {
			t.Logf("run %d (kill at %.0f%% of the journal) ended before the kill", i, 100*frac)
		}
	}
	t.Logf("killed %d of %d runs", kills, len(points))
	require.GreaterOrEqual(t, kills, 5)

	// Kills in the final phase: while the journal is being compacted and the outputs written.
	compactKills := 0
	for range 3 {
		cmd := exec.Command(bin, bulkCmd(store, manifest, out)...)
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
	poll:
		for {
			select {
			case <-exited:
				break poll
			case <-time.After(100 * time.Microsecond):
			}
			// The compaction's temp file, beside the journal (internal/atomicfile's name).
			if m, _ := filepath.Glob(filepath.Join(out, ".journal.tmp-*")); len(m) > 0 {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		if ws, isWS := cmd.ProcessState.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
			compactKills++
		}
	}
	t.Logf("killed %d of 3 runs while compacting", compactKills)
	require.GreaterOrEqual(t, compactKills, 1)
	code, stdout, stderr := hsRun(t, bin, bulkCmd(store, manifest, out)...)
	require.Equal(t, ExitFailure, code, stderr)
	require.Contains(t, stdout, "") // the summary is printed (-q silences progress only)
	got := outputsIn(t, out)
	require.Equal(t, want.Counts, got.Counts)
	require.Equal(t, want.Reports, got.Reports)
	require.Equal(t, want.Checksums, got.Checksums, "no duplicated or missing rows")
	require.Equal(t, want.Records, got.Records)

	// A killed write may leave a temp file: the audit removes it, and then the stores agree.
	code, stdout, stderr = hsRun(t, bin, "--store", store, "audit", "--repair", "--temp-grace", "0")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	code, stdout, stderr = hsRun(t, bin, "--store", ref, "audit")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	require.Equal(t, treeOf(t, ref), treeOf(t, store))
}

// TestShardProcesses converts one repository with three processes at once, one per shard, on
// one store: together they do every object exactly once, and the store is the one a single
// process makes.
func TestShardProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	manifest := genRepository(t, filepath.Join(tmp, "repo"), 1200)

	ref, refOut := filepath.Join(tmp, "ref"), filepath.Join(tmp, "ref-out")
	code, _, stderr := hsRun(t, bin, "--store", ref, "-q", "init")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = hsRun(t, bin, bulkCmd(ref, manifest, refOut)...)
	require.Equal(t, ExitFailure, code, stderr)
	want := outputsIn(t, refOut)

	store, out := filepath.Join(tmp, "sharded"), filepath.Join(tmp, "sharded-out")
	code, _, stderr = hsRun(t, bin, "--store", store, "-q", "init")
	require.Equal(t, 0, code, stderr)
	const n = 3
	var cmds []*exec.Cmd
	var errs []*bytes.Buffer
	for i := range n {
		cmd := exec.Command(bin, bulkCmd(store, manifest, out, "--shard", fmt.Sprintf("%d/%d", i, n))...)
		var e bytes.Buffer
		cmd.Stderr = &e
		require.NoError(t, cmd.Start())
		cmds, errs = append(cmds, cmd), append(errs, &e)
	}
	for i, cmd := range cmds {
		err := cmd.Wait()
		if err != nil {
			ee, isExit := err.(*exec.ExitError)
			require.True(t, isExit && ee.ExitCode() == ExitFailure, "shard %d: %v: %s", i, err, errs[i])
		}
	}

	// Every pid of the manifest is in exactly one shard's journal; together they are the
	// unsharded journal.
	seen := map[string]int{}
	var records []map[string]any
	var checksumRows []string
	counts := map[string]float64{}
	for i := range n {
		suffix := fmt.Sprintf(".shard-%d-of-%d", i, n)
		lines := strings.Split(strings.TrimSuffix(string(readFile(t, filepath.Join(out, "journal"+suffix))), "\n"), "\n")
		for _, l := range lines[1:] {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			delete(m, "time")
			records = append(records, m)
			if m["class"] != "duplicatePid" {
				pid, _ := m["pid"].(string)
				seen[pid]++
			}
		}
		rows := strings.Split(strings.TrimSuffix(string(readFile(t, filepath.Join(out, "checksums"+suffix+".csv"))), "\n"), "\n")
		require.Equal(t, "guid,checksum_algorithm,checksum", rows[0])
		checksumRows = append(checksumRows, rows[1:]...)
		var sum map[string]any
		require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out, "summary"+suffix+".json")), &sum))
		for _, k := range []string{"objects", "succeeded", "failed"} {
			counts[k] += sum[k].(float64)
		}
	}
	for pid, k := range seen {
		require.Equal(t, 1, k, "pid %q done by %d shards", pid, k)
	}
	byLine := func(recs []map[string]any) {
		sort.Slice(recs, func(a, b int) bool { return recs[a]["line"].(float64) < recs[b]["line"].(float64) })
	}
	byLine(records)
	byLine(want.Records)
	require.Equal(t, want.Records, records)
	wantRows := strings.Split(strings.TrimSuffix(want.Checksums, "\n"), "\n")[1:]
	sort.Strings(wantRows)
	sort.Strings(checksumRows)
	require.Equal(t, wantRows, checksumRows)
	require.Equal(t, want.Counts["objects"], counts["objects"])
	require.Equal(t, want.Counts["failed"], counts["failed"])

	code, stdout, stderr := hsRun(t, bin, "--store", store, "audit")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	require.Equal(t, treeOf(t, ref), treeOf(t, store))
}

package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// storeTree maps every file under dir (outside locks/) to its content, and directories to "/".
func storeTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "locks" && d.IsDir() {
			return filepath.SkipDir
		}
		if d.IsDir() {
			out[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	}))
	return out
}

// jsonLines decodes every line of out as a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "\n"), "output ends with a newline: %q", out)
	var docs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &doc), "line %q", line)
		docs = append(docs, doc)
	}
	return docs
}

func TestAuditClean(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	// A store that was only created has no lock files yet; an audit must not make any.
	r := ok(t, nil, "--store", dir, "audit")
	require.Equal(t, "audited 0 files: 0 findings, 0 repaired, 0 errors remaining\nthe store is clean\n", r.stdout)
	requireMissing(t, filepath.Join(dir, "locks"))

	storeJtao(t, dir, jtaoPID)
	storeJtao(t, dir, "jtao.shared")
	ok(t, nil, "--store", dir, "metadata", "put", "--pid", jtaoPID, jtaoSysFile)
	r = ok(t, nil, "--store", dir, "audit", "--rehash")
	require.Equal(t, "audited 5 files: 0 findings, 0 repaired, 0 errors remaining\nthe store is clean\n", r.stdout)
	r = ok(t, nil, "--store", dir, "audit", "--json")
	docs := jsonLines(t, r.stdout)
	require.Len(t, docs, 1)
	require.Equal(t, map[string]any{"files": 5.0, "findings": 0.0, "counts": map[string]any{}, "repaired": 0.0, "errors": 0.0, "clean": true},
		docs[0]["summary"])
}

func TestAuditFindAndRepair(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	// An interrupted tag: the cid refs file lists a pid that has no pid refs file.
	cidRefs := filepath.Join(dir, filepath.FromSlash(jtaoCIDRef))
	require.NoError(t, os.WriteFile(cidRefs, []byte(jtaoPID+"\nghost.pid\n"), 0o664))
	// An abandoned temp file (found with no grace).
	temp := filepath.Join(dir, "objects", "tmp", "tmp0011223344556677")
	require.NoError(t, os.WriteFile(temp, []byte("partial"), 0o664))
	before := storeTree(t, dir)

	// Text: one line per finding, the summary, exit 1, and the store untouched.
	r := run(t, nil, "--store", dir, "audit", "--temp-grace", "0")
	require.Equal(t, ExitFailure, r.code, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	sort.Strings(lines[:2])
	require.Equal(t, "abandoned_temp  objects/tmp/tmp0011223344556677  7 bytes, last modified ", lines[0][:len("abandoned_temp  objects/tmp/tmp0011223344556677  7 bytes, last modified ")])
	require.Equal(t, "orphan_cid_refs_entry  "+jtaoCIDRef+"  pid=ghost.pid  cid="+jtaoCID+
		"  lists pid \"ghost.pid\", which has no pid refs file (refs/pids/", lines[1][:len("orphan_cid_refs_entry  "+jtaoCIDRef+"  pid=ghost.pid  cid="+jtaoCID+"  lists pid \"ghost.pid\", which has no pid refs file (refs/pids/")])
	require.Contains(t, r.stdout, "audited 4 files: 2 findings, 0 repaired, 2 errors remaining\n")
	require.Contains(t, r.stdout, "  orphan_cid_refs_entry            1  error\n")
	require.True(t, strings.HasSuffix(r.stdout, "the store has errors\n"), r.stdout)
	require.Contains(t, r.stderr, "hashstore: audit: orphan references: 2 error finding(s) not repaired")
	require.Equal(t, before, storeTree(t, dir), "an audit without --repair writes nothing")

	// JSON: a line per finding, then the summary with the error document.
	r = run(t, nil, "--store", dir, "audit", "--json", "--temp-grace", "0")
	require.Equal(t, ExitFailure, r.code, r.stderr)
	docs := jsonLines(t, r.stdout)
	require.Len(t, docs, 3)
	classes := []string{docs[0]["class"].(string), docs[1]["class"].(string)}
	sort.Strings(classes)
	require.Equal(t, []string{"abandoned_temp", "orphan_cid_refs_entry"}, classes)
	for _, d := range docs[:2] {
		require.Equal(t, true, d["error"])
		require.NotEmpty(t, d["path"])
		require.NotContains(t, d, "repaired")
		if d["class"] == "orphan_cid_refs_entry" {
			require.Equal(t, "ghost.pid", d["pid"])
			require.Equal(t, jtaoCID, d["cid"])
			require.Equal(t, jtaoCIDRef, d["path"])
		}
	}
	last := docs[2]
	require.Equal(t, "orphan_refs", last["error"].(map[string]any)["kind"])
	sum := last["summary"].(map[string]any)
	require.Equal(t, false, sum["clean"])
	require.Equal(t, map[string]any{"abandoned_temp": 1.0, "orphan_cid_refs_entry": 1.0}, sum["counts"])
	require.Equal(t, before, storeTree(t, dir))

	// Repair: each action printed, exit 0, and the store as before the break.
	r = ok(t, nil, "--store", dir, "audit", "--repair", "--temp-grace", "0", "--json")
	docs = jsonLines(t, r.stdout)
	require.Len(t, docs, 3)
	for _, d := range docs[:2] {
		require.True(t, strings.HasPrefix(d["repaired"].(string), "removed "), d["repaired"])
	}
	require.Equal(t, true, docs[2]["summary"].(map[string]any)["clean"])
	require.Equal(t, 2.0, docs[2]["summary"].(map[string]any)["repaired"])
	require.Equal(t, jtaoPID+"\n", string(readFile(t, cidRefs)))
	requireMissing(t, temp)
	r = ok(t, nil, "--store", dir, "audit")
	require.Contains(t, r.stdout, "the store is clean\n")
}

func TestAuditRepairedTextAndNotices(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	leftover := filepath.Join(dir, filepath.FromSlash(jtaoPIDRef)) + "x_delete"
	require.NoError(t, os.WriteFile(leftover, []byte("x"), 0o664))
	r := ok(t, nil, "--store", dir, "audit", "--repair", "--temp-grace", "0")
	require.Contains(t, r.stdout, "leftover_delete  "+jtaoPIDRef+"x_delete  left by an interrupted deletion  repaired: removed "+jtaoPIDRef+"x_delete\n")
	require.Contains(t, r.stdout, "1 findings, 1 repaired, 0 errors remaining\n")
	requireMissing(t, leftover)

	// An untagged object is a notice: exit 0.
	r = ok(t, nil, "--store", dir, "store", jtaoSysFile)
	cid := decode[map[string]any](t, r.stdout)["cid"].(string)
	r = ok(t, nil, "--store", dir, "audit")
	require.Contains(t, r.stdout, "untagged_object  objects/"+cid[:2]+"/"+cid[2:4]+"/"+cid[4:6]+"/"+cid[6:]+"  cid="+cid+"  no cid refs file; ")
	require.Contains(t, r.stdout, "  untagged_object                  1  notice\n")
	require.Contains(t, r.stdout, "the store is clean\n")

	// --untagged-older-than needs --repair, and a valid duration.
	run1 := run(t, nil, "--store", dir, "audit", "--untagged-older-than", "1h")
	require.Equal(t, ExitUsage, run1.code)
	require.Equal(t, ExitUsage, run(t, nil, "--store", dir, "audit", "--repair", "--untagged-older-than", "soon").code)
	require.Equal(t, ExitUsage, run(t, nil, "--store", dir, "audit", "--temp-grace", "-1h").code)

	// Young: kept. Two days old: removed with 1d.
	object := filepath.Join(dir, "objects", cid[:2], cid[2:4], cid[4:6], cid[6:])
	ok(t, nil, "--store", dir, "audit", "--repair", "--untagged-older-than", "1d")
	require.FileExists(t, object)
	old := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(object, old, old))
	r = ok(t, nil, "--store", dir, "audit", "--repair", "--untagged-older-than", "1d")
	require.Contains(t, r.stdout, "repaired: removed objects/"+cid[:2])
	requireMissing(t, object)
}

func TestAuditCorruptObject(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	object := filepath.Join(dir, filepath.FromSlash(jtaoObject))
	data := readFile(t, object)
	data[0] ^= 0x20
	require.NoError(t, os.WriteFile(object, data, 0o664))
	ok(t, nil, "--store", dir, "audit") // without --rehash the content is not read
	for _, args := range [][]string{{"audit", "--rehash", "--json"}, {"audit", "--rehash", "--repair", "--json"}} {
		r := run(t, nil, append([]string{"--store", dir}, args...)...)
		require.Equal(t, ExitFailure, r.code)
		docs := jsonLines(t, r.stdout)
		require.Len(t, docs, 2)
		require.Equal(t, "corrupt_object", docs[0]["class"])
		require.Equal(t, jtaoObject, docs[0]["path"])
		require.NotContains(t, docs[0], "repaired")
		require.Equal(t, "corrupt", docs[1]["error"].(map[string]any)["kind"])
		require.Equal(t, data, readFile(t, object), "never repaired")
	}
}

func TestDurationValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "0.5d": 12 * time.Hour, "90m": 90 * time.Minute, "0": 0} {
		var v durationValue
		require.NoError(t, v.Set(in), in)
		require.Equal(t, want, v.d, in)
	}
	for _, in := range []string{"-1h", "-2d", "xd", "NaNd", "1e9d", "soon"} {
		var v durationValue
		require.Error(t, v.Set(in), in)
	}
	require.Equal(t, "7d", (&durationValue{d: 7 * 24 * time.Hour}).String())
	require.Equal(t, "1h0m0s", (&durationValue{d: time.Hour}).String())
}

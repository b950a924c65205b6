package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/unicode"
)

// Regression tests for what was also seen while trying a hostile store: each is either fixed
// or a documented choice that these tests pin.

// A locks/ linked elsewhere is refused by every command that would take a lock there, the
// place it leads to gets nothing, and the audit reports it; commands that only read work.
func TestSeenLinkedLocks(t *testing.T) {
	h := newRepro(t)
	elsewhere := h.path("elsewhere")
	require.NoError(t, os.Mkdir(elsewhere, 0o755))
	giveToChild(t, elsewhere)
	require.NoError(t, os.RemoveAll(filepath.Join(h.store, "locks")))
	symlink(t, elsewhere, filepath.Join(h.store, "locks"))
	h.write("g", "other\n")
	for _, cmd := range [][]string{
		{"store", "--pid", "p2", h.path("g")},
		{"delete", "--pid", "p"},
		{"audit", "--repair"},
	} {
		h.fails(cmd, "locks/ is a symbolic link, not a directory")
	}
	requireEmptyDir(t, elsewhere)
	h.ok("get", "--pid", "p")
	findings, r := h.audit()
	assert.Equal(t, 1, r.code)
	f := requireFinding(t, findings, "unexpected_file", "locks")
	assert.Contains(t, f.Detail, "a symbolic link")
}

// A top directory moved out of the store and linked back: the audit says so (it used to say
// clean) and walks nothing behind the link, reads refuse it, writes refuse it, and nothing
// behind the link changes.
func TestSeenLinkedTopDirectory(t *testing.T) {
	for _, dir := range []string{"objects", "refs", "metadata"} {
		t.Run(dir, func(t *testing.T) {
			h := newRepro(t)
			h.write("doc.xml", "<doc/>\n")
			h.ok("metadata", "put", "--pid", "p", h.path("doc.xml"))
			// Something broken behind the link, where the audit walks on its own (a tmp
			// directory, refs/pids): followed, the audit would report it.
			junk := map[string]string{"objects": "objects/tmp/junk", "refs": "refs/pids/junk", "metadata": "metadata/tmp/junk"}[dir]
			h.write("junk", "not a layout file\n")
			require.NoError(t, os.Rename(h.path("junk"), filepath.Join(h.store, junk)))
			moved := h.path("moved-" + dir)
			require.NoError(t, os.Rename(filepath.Join(h.store, dir), moved))
			symlink(t, moved, filepath.Join(h.store, dir))
			before := snapshot(t, moved)

			findings, r := h.audit("--rehash")
			assert.Equal(t, 1, r.code)
			f := requireFinding(t, findings, "unreadable", dir)
			assert.Contains(t, f.Detail, "symbolic link")
			for _, f := range findings {
				assert.False(t, strings.HasPrefix(f.Path, dir+"/") && !strings.HasSuffix(f.Path, "/tmp") && f.Path != "refs/pids" && f.Path != "refs/cids",
					"the audit walked behind the link: %+v", f)
			}
			read := map[string][]string{
				"objects":  {"get", "--pid", "p"},
				"refs":     {"find", "--pid", "p"},
				"metadata": {"metadata", "get", "--pid", "p"},
			}[dir]
			h.fails(read, "found a symbolic link where a directory was expected")
			h.fails([]string{"store", "--pid", "p2", h.path("f")}, "refusing to follow a symbolic link inside the store")
			h.fails([]string{"audit", "--repair"}, "refusing to follow a symbolic link inside the store")
			assert.Equal(t, before, snapshot(t, moved))
		})
	}
}

// Text output escapes control characters: a pid that holds terminal escape sequences can
// neither drive the operator's terminal nor pass for other lines, in find, in the audit's
// findings, or in error messages.
func TestSeenEscapedOutput(t *testing.T) {
	h := newRepro(t)
	evil := "evil\x1b[2J\x07\u009b31m.1"
	h.write("g", "evil's content\n")
	h.ok("store", "--pid", evil, h.path("g"))
	requireEscaped := func(r procResult) {
		t.Helper()
		for _, out := range []string{r.stdout, r.stderr} {
			for _, raw := range []string{"\x1b", "\x07", "\u009b"} {
				assert.NotContains(t, out, raw)
			}
		}
	}
	r := h.ok("find", "--pid", evil)
	requireEscaped(r)
	assert.Contains(t, r.stdout, `pid: "evil\x1b[2J\a\u009b31m.1"`)

	// Its pid refs file gone, the pid is an orphan line in its cid refs file.
	info := h.find(evil)
	require.NoError(t, os.Remove(info.pidRefs))
	r = h.run("audit")
	assert.Equal(t, 1, r.code)
	requireEscaped(r)
	assert.Contains(t, r.stdout, `pid="evil\x1b[2J\a\u009b31m.1"`)
	requireEscaped(h.fails([]string{"get", "--pid", evil}, "not found"))
}

// Manifests: a pid with NUL and one with a lone surrogate are refused (nothing stored that no
// command could name again), a U+FFFD written in the line is kept, a BOM on the first line is
// skipped in JSON Lines as in CSV, and CR-only line endings are refused clearly instead of
// processing nothing.
func TestSeenManifests(t *testing.T) {
	h := newRepro(t)
	h.write("data", "abc")
	t.Run("JSON Lines", func(t *testing.T) {
		h.t = t
		m := h.write("m.jsonl", "\ufeff"+`{"pid":"bom.1","path":"data"}`+"\n"+
			`{"pid":"a\u0000b","path":"data"}`+"\n"+
			`{"pid":"\ud800x","path":"data"}`+"\n"+
			`{"pid":"kept\ufffd","path":"data"}`+"\n")
		h.fails([]string{"import", "--manifest", m, "--journal", h.path("j1"), "--report-dir", h.path("r1")}, "2 of 4 objects failed")
		h.ok("find", "--pid", "bom.1")
		h.ok("find", "--pid", "kept\ufffd")
		h.fails([]string{"find", "--pid", "\ufffdx"}, "not found")
		// A duplicate of the first line is found as such, BOM or not.
		dup := h.write("dup.jsonl", "\ufeff"+`{"pid":"dup.1","path":"data"}`+"\n"+`{"pid":"dup.1","path":"data"}`+"\n")
		h.fails([]string{"import", "--manifest", dup, "--journal", h.path("jd"), "--report-dir", h.path("rd")}, "1 of 2 objects failed")
		reports, err := filepath.Glob(filepath.Join(h.path("rd"), "duplicatePid_*.txt"))
		require.NoError(t, err)
		require.Len(t, reports, 1)
		assert.Equal(t, "dup.1\tline 2: duplicate pid: already on line 1\n", string(readFile(t, reports[0])))
		invalid, err := filepath.Glob(filepath.Join(h.path("r1"), "invalidPid_*.txt"))
		require.NoError(t, err)
		require.Len(t, invalid, 1)
		assert.Contains(t, string(readFile(t, invalid[0])), `line 2: invalid argument: pid "a\x00b" contains NUL`)
		malformed, err := filepath.Glob(filepath.Join(h.path("r1"), "malformedLine_*.txt"))
		require.NoError(t, err)
		require.Len(t, malformed, 1)
		assert.Contains(t, string(readFile(t, malformed[0])), "line 3: malformed: a string holds an escape that is not a character")
	})
	t.Run("CSV", func(t *testing.T) {
		h.t = t
		m := h.write("m.csv", "\ufeffpid,path\r\ncsv.1,data\r\n")
		h.ok("import", "--manifest", m, "--journal", h.path("j2"), "--report-dir", h.path("r2"))
		h.ok("find", "--pid", "csv.1")
		cr := h.write("cr.csv", "pid,path\rcr.1,data\rcr.2,data\r")
		h.fails([]string{"import", "--manifest", cr, "--journal", h.path("j3"), "--report-dir", h.path("r3")},
			"its lines end in CR alone")
		h.fails([]string{"find", "--pid", "cr.1"}, "not found")
	})
}

// A delete that meets a directory at the object's path leaves it as "<cid>_delete", which
// audit --repair removes, as the warning promises.
func TestSeenDeleteLeavesADirectoryThatRepairRemoves(t *testing.T) {
	h := newRepro(t)
	require.NoError(t, os.Remove(h.p.object))
	require.NoError(t, os.Mkdir(h.p.object, 0o755))
	writeFile(t, filepath.Join(h.p.object, "inner"), "x\n")
	giveToChild(t, h.p.object)
	r := h.ok("delete", "--pid", "p")
	assert.Contains(t, r.stderr, "audit --repair removes it")
	leftover := h.p.object + "_delete"
	require.True(t, isType(leftover, os.ModeDir))
	findings, _ := h.audit("--repair")
	f := requireFinding(t, findings, "leftover_delete", h.rel(leftover))
	assert.NotEmpty(t, f.Detail)
	requireMissing(t, leftover)
	_, r = h.audit()
	assert.Equal(t, 0, r.code, "clean after the repair: %s", r.stdout)
}

// Links in the tmp directories are reported and removed without being followed: what they
// lead to, a file or a directory with files, stays.
func TestSeenLinksInTmpDirectories(t *testing.T) {
	h := newRepro(t)
	secret := h.write("secret", "outside\n")
	dir := h.path("dir")
	require.NoError(t, os.Mkdir(dir, 0o755))
	writeFile(t, filepath.Join(dir, "keep"), "kept\n")
	giveToChild(t, dir)
	links := map[string]string{
		"objects/tmp/tmp0000000000000001": secret,
		"metadata/tmp/link":               dir,
		"refs/tmp/dangling":               h.path("nothing"),
	}
	for rel, target := range links {
		symlink(t, target, filepath.Join(h.store, rel))
	}
	before := snapshot(t, h.dir+"/dir")
	findings, r := h.audit()
	assert.Equal(t, 1, r.code)
	for rel := range links {
		requireFinding(t, findings, "abandoned_temp", rel)
	}
	findings, r = h.audit("--repair")
	assert.Equal(t, 0, r.code, r.stdout)
	for rel := range links {
		requireFinding(t, findings, "abandoned_temp", rel)
		requireMissing(t, filepath.Join(h.store, rel))
	}
	assert.Equal(t, "outside\n", string(readFile(t, secret)))
	assert.Equal(t, before, snapshot(t, dir))
}

// System metadata in a legacy character set is decoded (ISO-8859-1, UTF-16 in either byte
// order); one nobody knows is refused with its name.
func TestSeenLegacyCharsets(t *testing.T) {
	h := newRepro(t)
	h.write("data", "abc")
	doc := func(charset, pid string) string {
		return `<?xml version="1.0" encoding="` + charset + `"?>` + "\n" +
			`<ns3:systemMetadata xmlns:ns3="http://ns.dataone.org/service/types/v2.0"><identifier>` + pid +
			`</identifier><formatId>text/plain</formatId><size>3</size>` +
			`<checksum algorithm="MD5">900150983cd24fb0d6963f7d28e17f72</checksum><rightsHolder>r</rightsHolder></ns3:systemMetadata>`
	}
	utf16 := func(order unicode.Endianness, s string) string {
		b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().String(s)
		require.NoError(t, err)
		return b
	}
	for _, c := range []struct{ name, pid, data string }{
		{"ISO-8859-1", "café.1", strings.Replace(doc("ISO-8859-1", "café.1"), "é", "\xe9", 1)},
		{"UTF-16LE", "café.2", utf16(unicode.LittleEndian, doc("UTF-16", "café.2"))},
		{"UTF-16BE", "café.3", utf16(unicode.BigEndian, doc("UTF-16", "café.3"))},
	} {
		sm := h.write(c.name+".xml", c.data)
		h.ok("convert", "--pid", c.pid, "--sysmeta", sm, h.path("data"))
		assert.Equal(t, c.data, h.ok("metadata", "get", "--pid", c.pid).stdout, "%s: stored as given", c.name)
	}
	sm := h.write("unknown.xml", doc("X-NO-SUCH-SET", "café.4"))
	h.fails([]string{"convert", "--pid", "café.4", "--sysmeta", sm, h.path("data")}, `"X-NO-SUCH-SET"`, "not supported")
}

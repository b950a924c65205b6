package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the seven reproductions of a damaged or hostile store, each re-run as
// the operator ran it: the real program, a deadline, and the child's peak memory where memory
// was the failure.

// maxRSSKiB is the peak resident set a refusal may cost: the program itself takes about 10
// MB; the failures this bounds took gigabytes.
const maxRSSKiB = 100 << 10

// repro is a store made as the reproductions make it: init, then "hi" stored under pid p.
type repro struct {
	t     *testing.T
	bin   string
	dir   string // the test's directory; the store is dir/s
	store string
	p     ids // pid p's files (abs paths)
}

func newRepro(t *testing.T) *repro {
	t.Helper()
	h := &repro{t: t, bin: sharedBinary(t), dir: openTempDir(t)}
	h.store = filepath.Join(h.dir, "s")
	h.ok("init")
	h.write("f", "hi\n")
	h.ok("store", "--pid", "p", h.path("f"))
	h.p = h.find("p")
	return h
}

// path is name in the test's directory.
func (h *repro) path(name string) string { return filepath.Join(h.dir, name) }

// write creates the file name in the test's directory, owned by the children's user.
func (h *repro) write(name, data string) string {
	h.t.Helper()
	p := h.path(name)
	writeFile(h.t, p, data)
	giveToChild(h.t, p)
	return p
}

// run runs the program on the store with a deadline of commandWait and checks what every run
// must do: exit in time with 0 or 1, without a crash.
func (h *repro) run(args ...string) procResult {
	h.t.Helper()
	return h.check(args, proc{bin: h.bin, env: []string{StoreEnv + "=" + h.store}}.run(h.t, commandWait, args...))
}

// measure is run, with the program's own peak memory measured (proc.measured).
func (h *repro) measure(args ...string) procResult {
	h.t.Helper()
	return h.check(args, proc{bin: h.bin, env: []string{StoreEnv + "=" + h.store}}.measured(h.t, commandWait, args...))
}

func (h *repro) check(args []string, r procResult) procResult {
	h.t.Helper()
	require.False(h.t, r.hung, "hashstore %s hung: stderr %q", strings.Join(args, " "), clip(r.stderr))
	require.False(h.t, r.crashed(), "hashstore %s crashed: %s", strings.Join(args, " "), clip(r.stderr))
	require.Contains(h.t, []int{0, 1}, r.code, "hashstore %s: stderr %q", strings.Join(args, " "), clip(r.stderr))
	return r
}

// ok runs the program and requires exit status 0.
func (h *repro) ok(args ...string) procResult {
	h.t.Helper()
	r := h.run(args...)
	require.Equal(h.t, 0, r.code, "hashstore %s: stderr %q", strings.Join(args, " "), clip(r.stderr))
	return r
}

// fails runs the program and requires exit status 1 with stderr holding each of want.
func (h *repro) fails(args []string, want ...string) procResult {
	h.t.Helper()
	return h.failed(h.run(args...), args, want...)
}

// failed requires r, a run of args, to have exited with status 1 with stderr holding each of
// want.
func (h *repro) failed(r procResult, args []string, want ...string) procResult {
	h.t.Helper()
	require.Equal(h.t, 1, r.code, "hashstore %s must fail: stdout %q", strings.Join(args, " "), clip(r.stdout))
	for _, w := range want {
		assert.Contains(h.t, r.stderr, w, "hashstore %s", strings.Join(args, " "))
	}
	return r
}

// find returns the absolute paths of pid's files, from find --json.
func (h *repro) find(pid string) ids {
	h.t.Helper()
	doc := decode[map[string]any](h.t, h.ok("find", "--pid", pid, "--json").stdout)
	s := func(k string) string { v, _ := doc[k].(string); return v }
	return ids{pid: pid, cid: s("cid"), pidRefs: s("pid_refs_path"), cidRefs: s("cid_refs_path"), object: s("object_path"), sysmeta: s("sysmeta_path")}
}

// audit runs audit --json with extra args and returns its findings and exit status.
func (h *repro) audit(args ...string) ([]auditLine, procResult) {
	h.t.Helper()
	r := h.run(append([]string{"--json", "audit", "--temp-grace", "0"}, args...)...)
	var findings []auditLine
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var l auditLine
		require.NoError(h.t, json.Unmarshal([]byte(line), &l), "audit line %q", clip(line))
		if l.Class != "" {
			findings = append(findings, l)
		}
	}
	return findings, r
}

// rel is abs relative to the store, with slashes, as findings name paths.
func (h *repro) rel(abs string) string {
	r, err := filepath.Rel(h.store, abs)
	require.NoError(h.t, err)
	return filepath.ToSlash(r)
}

// requireFinding requires a finding of class at the store-relative path rel.
func requireFinding(t *testing.T, findings []auditLine, class, rel string) auditLine {
	t.Helper()
	for _, f := range findings {
		if f.Class == class && f.Path == rel {
			return f
		}
	}
	require.Failf(t, "finding missing", "no %s at %s in %+v", class, rel, findings)
	return auditLine{}
}

// 1. A FIFO where a file is read: every command that reads it returns at once with an error
// (or the audit with a finding), whichever file it stands for.
func TestReproFIFOWhereAFileIsRead(t *testing.T) {
	h := newRepro(t)
	h.write("s.xml", "<not-read/>")
	h.ok("metadata", "put", "--pid", "p", h.path("s.xml"))
	h.p = h.find("p")
	oldTemp := filepath.Join(h.store, "objects", "tmp", "tmp0123456789abcdef")
	for _, c := range []struct {
		name  string
		path  string
		cmds  [][]string
		audit string // the class the audit reports it as
	}{
		{"pid refs", h.p.pidRefs, [][]string{{"get", "--pid", "p"}, {"find", "--pid", "p"}, {"delete", "--pid", "p"}}, "unexpected_file"},
		{"cid refs", h.p.cidRefs, [][]string{{"get", "--pid", "p"}, {"find", "--pid", "p"}, {"delete", "--pid", "p"}}, "unexpected_file"},
		{"object", h.p.object, [][]string{{"get", "--pid", "p"}, {"digest", "--pid", "p", "--algorithm", "MD5"}}, "unexpected_file"},
		{"metadata", h.p.sysmeta, [][]string{{"metadata", "get", "--pid", "p"}}, "unexpected_file"},
		{"temp", oldTemp, nil, "abandoned_temp"},
		{"hashstore.yaml", filepath.Join(h.store, "hashstore.yaml"), [][]string{{"get", "--pid", "p"}, {"find", "--pid", "p"}, {"audit"}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			saved := h.path("saved")
			if c.name != "temp" {
				require.NoError(t, os.Rename(c.path, saved))
			}
			mkfifo(t, c.path)
			giveToChild(t, c.path)
			for _, cmd := range c.cmds {
				r := h.fails(cmd, "named pipe (FIFO)")
				assert.Less(t, r.elapsed, 5*time.Second)
			}
			if c.audit != "" {
				for _, repair := range [][]string{nil, {"--repair"}} {
					findings, _ := h.audit(repair...)
					f := requireFinding(t, findings, c.audit, h.rel(c.path))
					if repair != nil && c.name == "temp" {
						assert.Contains(t, f.Detail, "named pipe")
					}
				}
			}
			require.NoError(t, os.RemoveAll(c.path))
			if c.name != "temp" {
				require.NoError(t, os.Rename(saved, c.path))
			}
			_, r := h.audit()
			require.Equal(t, 0, r.code, "the store is whole again: %s", r.stdout)
		})
	}
}

// 1. A FIFO given as input with no writer: store waits for it, and the first SIGTERM (or
// SIGINT) stops it, cleanly, leaving nothing behind. convert refuses a FIFO for --sysmeta at
// once, alone or in a manifest.
func TestReproSignalStopsAStoreReadingAFIFO(t *testing.T) {
	h := newRepro(t)
	fifo := h.path("fifo")
	mkfifo(t, fifo)
	giveToChild(t, fifo)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			begin := time.Now()
			cmd, err := proc{bin: h.bin, env: []string{StoreEnv + "=" + h.store}}.start(
				[]string{"--json", "store", "--pid", "from.fifo", fifo}, &stdout, &stderr)
			require.NoError(t, err)
			time.Sleep(300 * time.Millisecond)
			require.Nil(t, cmd.ProcessState, "store waits for a writer")
			require.NoError(t, cmd.Process.Signal(sig))
			signalled := time.Now()
			r := wait(t, cmd, begin, commandWait, &stdout, &stderr)
			require.False(t, r.hung, "one %s must stop it: %s", sig, r.stderr)
			assert.Less(t, time.Since(signalled), 5*time.Second)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stdout, `"kind":"canceled"`)
			requireEmptyDir(t, filepath.Join(h.store, "objects", "tmp"))
			h.t = t
			h.fails([]string{"find", "--pid", "from.fifo"}, "not found")
		})
	}
	t.Run("convert --sysmeta", func(t *testing.T) {
		h.t = t
		h.fails([]string{"convert", "--pid", "p2", "--sysmeta", fifo, h.path("f")}, "is a named pipe (FIFO), not a regular file")
	})
	t.Run("manifest sysmeta", func(t *testing.T) {
		h.t = t
		m := h.write("m.csv", "pid,path,sysmeta\np2,f,fifo\n")
		r := h.fails([]string{"convert", "--manifest", m, "--journal", h.path("journal")}, "1 of 1 objects failed")
		assert.Less(t, r.elapsed, 5*time.Second)
		reports, err := filepath.Glob(h.path("invalidSysmeta_*.txt"))
		require.NoError(t, err)
		require.Len(t, reports, 1)
		assert.Contains(t, string(readFile(t, reports[0])), "named pipe")
	})
}

// 2. A symbolic link planted at an object path is not served, hashed or taken for the object.
func TestReproSymlinkAtObjectPath(t *testing.T) {
	h := newRepro(t)
	secret := h.write("secret", "a file outside the store\n")
	require.NoError(t, os.Remove(h.p.object))
	symlink(t, secret, h.p.object)
	for _, cmd := range [][]string{
		{"get", "--pid", "p"},
		{"get", "--pid", "p", "-o", h.path("out")},
		{"digest", "--pid", "p", "--algorithm", "MD5"},
		{"digest", "--pid", "p", "--algorithm", "SHA-256", "--reread"},
	} {
		r := h.fails(cmd, "found a symbolic link where a regular file was expected")
		assert.NotContains(t, r.stdout, "outside the store")
	}
	requireMissing(t, h.path("out"))
	findings, r := h.audit("--rehash")
	assert.Equal(t, 1, r.code)
	requireFinding(t, findings, "unexpected_file", h.rel(h.p.object))
	assert.Equal(t, "a file outside the store\n", string(readFile(t, secret)))
}

// 3. One odd entry does not stop the audit: a directory at a pid refs path, at a cid refs
// path, and a pid refs file naming a cid of 5,000 characters are each reported, and so is an
// unrelated broken pid after them; delete cleans up the pid with the over-long cid.
func TestReproAuditGoesOnPastOddEntries(t *testing.T) {
	h := newRepro(t)
	// A second, unrelated broken pid: its pid refs file names a cid nobody stored.
	h.write("g", "second\n")
	h.ok("store", "--pid", "p2", h.path("g"))
	p2 := h.find("p2")
	writeFile(t, p2.pidRefs, strings.Repeat("0", 64))
	giveToChild(t, p2.pidRefs)

	t.Run("directory at pid refs", func(t *testing.T) {
		h.t = t
		saved := h.path("saved")
		require.NoError(t, os.Rename(h.p.pidRefs, saved))
		require.NoError(t, os.Mkdir(h.p.pidRefs, 0o755))
		giveToChild(t, h.p.pidRefs)
		findings, r := h.audit()
		assert.Equal(t, 1, r.code)
		requireFinding(t, findings, "unexpected_file", h.rel(h.p.pidRefs))
		f := requireFinding(t, findings, "unreadable", h.rel(h.p.cidRefs))
		assert.Contains(t, f.Detail, "found a directory")
		requireFinding(t, findings, "orphan_pid_refs", h.rel(p2.pidRefs))
		require.NoError(t, os.Remove(h.p.pidRefs))
		require.NoError(t, os.Rename(saved, h.p.pidRefs))
	})
	t.Run("directory at cid refs", func(t *testing.T) {
		h.t = t
		saved := h.path("saved")
		require.NoError(t, os.Rename(h.p.cidRefs, saved))
		require.NoError(t, os.Mkdir(h.p.cidRefs, 0o755))
		giveToChild(t, h.p.cidRefs)
		findings, r := h.audit()
		assert.Equal(t, 1, r.code)
		requireFinding(t, findings, "unexpected_file", h.rel(h.p.cidRefs))
		requireFinding(t, findings, "unreadable", h.rel(h.p.pidRefs))
		requireFinding(t, findings, "orphan_pid_refs", h.rel(p2.pidRefs))
		require.NoError(t, os.Remove(h.p.cidRefs))
		require.NoError(t, os.Rename(saved, h.p.cidRefs))
	})
	t.Run("a cid of 5000 characters", func(t *testing.T) {
		h.t = t
		writeFile(t, h.p.pidRefs, strings.Repeat("a", 5000))
		findings, r := h.audit()
		assert.Equal(t, 1, r.code)
		f := requireFinding(t, findings, "malformed_refs", h.rel(h.p.pidRefs))
		assert.Contains(t, f.Detail, "cannot be a cid")
		requireFinding(t, findings, "orphan_pid_refs", h.rel(p2.pidRefs))
		h.ok("delete", "--pid", "p")
		requireMissing(t, h.p.pidRefs)
		h.fails([]string{"find", "--pid", "p"}, "not found")
	})
}

// 4. A huge store_depth (or width) in hashstore.yaml is a clear error, at once and in little
// memory, not a panic or an exhausted machine.
func TestReproHugeDepth(t *testing.T) {
	h := newRepro(t)
	yamlPath := filepath.Join(h.store, "hashstore.yaml")
	orig := string(readFile(t, yamlPath))
	for _, c := range []struct{ key, value, want string }{
		{"store_depth", "4611686018427387904", "store_depth 4611686018427387904 with store_width 2 makes paths longer than 2048 characters"},
		{"store_depth", "2147483647", "store_depth 2147483647 with store_width 2 makes paths longer than 2048 characters"},
		{"store_depth", "9223372036854775807", "store_depth"},
		{"store_width", "4611686018427387904", "store_width must be at most"},
		{"store_depth", "-1", "store_depth must be at least 1"},
	} {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			h.t = t
			changed := replaceYAMLValue(t, orig, c.key, c.value)
			writeFile(t, yamlPath, changed)
			giveToChild(t, yamlPath)
			for _, cmd := range [][]string{{"get", "--pid", "p"}, {"audit"}, {"store", "--pid", "x", h.path("f")}} {
				r := h.failed(h.measure(cmd...), cmd, c.want, "hashstore.yaml")
				assert.Less(t, r.maxRSSKiB, int64(maxRSSKiB), "peak memory")
			}
		})
	}
	writeFile(t, yamlPath, orig)
}

// replaceYAMLValue sets key's value in a hashstore.yaml text.
func replaceYAMLValue(t *testing.T, yaml, key, value string) string {
	t.Helper()
	lines := strings.Split(yaml, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, key+":") {
			lines[i] = key + ": " + value
			return strings.Join(lines, "\n")
		}
	}
	require.Failf(t, "no key", "%s not in hashstore.yaml", key)
	return ""
}

// 5. A hashstore.yaml of 48 MB (valid YAML: the properties, then comments) is refused at once,
// without reading it.
func TestReproHugeConfig(t *testing.T) {
	h := newRepro(t)
	yamlPath := filepath.Join(h.store, "hashstore.yaml")
	f, err := os.OpenFile(yamlPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	comment := "# " + strings.Repeat("x", 1000) + "\n"
	for range 48 << 10 {
		_, err = f.WriteString(comment)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	fi, err := os.Stat(yamlPath)
	require.NoError(t, err)
	for _, cmd := range [][]string{{"get", "--pid", "p"}, {"audit"}} {
		r := h.measure(cmd...)
		t.Logf("hashstore %s with a %d-byte hashstore.yaml: exit %d in %s, peak RSS %d KiB",
			strings.Join(cmd, " "), fi.Size(), r.code, r.elapsed.Round(time.Millisecond), r.maxRSSKiB)
		assert.Less(t, r.maxRSSKiB, int64(maxRSSKiB), "peak memory")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, fmt.Sprintf("hashstore.yaml: %d bytes is more than the limit of 65536 bytes", fi.Size()))
	}
}

// 6. convert bounds a --sysmeta document before reading it: a sparse file of 1 GB and the
// endless /dev/zero are refused at once, in little memory, alone or from a manifest.
func TestReproHugeSysmeta(t *testing.T) {
	h := newRepro(t)
	sparse := h.path("big.xml")
	f, err := os.Create(sparse)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30))
	require.NoError(t, f.Close())
	giveToChild(t, sparse)
	for _, c := range []struct{ sysmeta, want string }{
		{sparse, "1073741824 bytes is more than the limit of 16777216 bytes"},
		{"/dev/zero", "/dev/zero is a character device, not a regular file"},
	} {
		args := []string{"convert", "--pid", "q", "--sysmeta", c.sysmeta, h.path("f")}
		r := h.failed(h.measure(args...), args, c.want)
		t.Logf("convert --sysmeta %s: exit %d in %s, peak RSS %d KiB", c.sysmeta, r.code, r.elapsed.Round(time.Millisecond), r.maxRSSKiB)
		assert.Less(t, r.maxRSSKiB, int64(maxRSSKiB), "peak memory")
	}
	m := h.write("m.jsonl", fmt.Sprintf(`{"pid":"q1","path":"f","sysmeta":%q}`+"\n"+`{"pid":"q2","path":"f","sysmeta":"/dev/zero"}`+"\n", sparse))
	args := []string{"convert", "--manifest", m, "--journal", h.path("journal")}
	r := h.failed(h.measure(args...), args, "2 of 2 objects failed")
	t.Logf("convert --manifest with both: exit %d in %s, peak RSS %d KiB", r.code, r.elapsed.Round(time.Millisecond), r.maxRSSKiB)
	assert.Less(t, r.maxRSSKiB, int64(maxRSSKiB), "peak memory")
	h.fails([]string{"find", "--pid", "q1"}, "not found")
}

// 7. get -o FILE never follows or overwrites what stands at a temp name beside FILE, and of
// concurrent gets to one FILE, one complete object remains.
func TestReproOutputFile(t *testing.T) {
	h := newRepro(t)
	victim := h.write("victim", "the victim's content\n")
	out := h.path("out")
	h.write("doc.xml", "<doc/>\n")
	h.ok("metadata", "put", "--pid", "p", h.path("doc.xml"))
	for _, cmd := range [][]string{{"get", "--pid", "p", "-o", out}, {"metadata", "get", "--pid", "p", "-o", out}} {
		for _, name := range []string{out + ".tmp", filepath.Join(h.dir, ".out.tmp")} {
			symlink(t, victim, name)
		}
		h.ok(cmd...)
		assert.Equal(t, "the victim's content\n", string(readFile(t, victim)), "%v", cmd)
		fi, err := os.Lstat(out)
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular())
		for _, name := range []string{out + ".tmp", filepath.Join(h.dir, ".out.tmp")} {
			assert.True(t, isType(name, os.ModeSymlink), "the planted link is left alone")
			require.NoError(t, os.Remove(name))
		}
		require.NoError(t, os.Remove(out))
	}

	// Two objects of different sizes, fetched concurrently to one FILE, many times.
	big := strings.Repeat("the second object, larger than the first\n", 50000)
	h.write("big", big)
	h.ok("store", "--pid", "big", h.path("big"))
	for i := range 10 {
		var cmds [2]*procCmd
		for j, pid := range []string{"p", "big"} {
			cmds[j] = startProc(t, proc{bin: h.bin, env: []string{StoreEnv + "=" + h.store}}, "get", "--pid", pid, "-o", out)
		}
		for _, c := range cmds {
			r := c.wait(t)
			require.Equal(t, 0, r.code, r.stderr)
		}
		got := string(readFile(t, out))
		assert.True(t, got == "hi\n" || got == big, "round %d: FILE is one complete object (%d bytes)", i, len(got))
	}
	entries, err := os.ReadDir(h.dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "no temp file is left")
	}
}

// procCmd is a started run of the program.
type procCmd struct {
	cmd            *exec.Cmd
	begin          time.Time
	stdout, stderr *bytes.Buffer
}

func startProc(t *testing.T, p proc, args ...string) *procCmd {
	t.Helper()
	c := &procCmd{begin: time.Now(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	cmd, err := p.start(args, c.stdout, c.stderr)
	require.NoError(t, err)
	c.cmd = cmd
	return c
}

func (c *procCmd) wait(t *testing.T) procResult {
	t.Helper()
	r := wait(t, c.cmd, c.begin, commandWait, c.stdout, c.stderr)
	require.False(t, r.hung)
	return r
}

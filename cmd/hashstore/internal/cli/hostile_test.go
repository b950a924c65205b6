package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
)

// The hostile-store matrix: every kind of store entry, replaced by every odd thing that can
// stand in its place, under every command, each run as a real process with a deadline. Each
// case checks that the command exits in time with 0 or 1 and no crash, that it fails where it
// must read what was planted, that nothing outside the store (nor the file inside it that
// links point to) is read into stdout or changed, and that a following audit reports the
// planted entry while leaving the unrelated bystander object alone.

// entryKind says how an entry is planted.
type entryKind int

const (
	fileEntry entryKind = iota // a file of the store, replaced
	tempEntry                  // a new entry in a tmp/ directory
	dirEntry                   // a directory of the store, replaced
)

// entry is a kind of store entry.
type entry struct {
	name string
	kind entryKind
	rel  func(fx *fixture) string // store-relative slash path
	// decoy is what the links of the symlink forms point to (a file holding it inside the
	// store root, or outside the store): content a command that followed the link would show
	// or use, so that following shows on stdout or as a success.
	decoy func(fx *fixture) string
	// marker, when set, must never appear on stdout (for directories: content of the files
	// moved behind the link).
	marker string
	// global entries (the configuration, locks/, the top directories) concern every pid, so
	// findings about the bystander are no error.
	global bool
}

func temp(area string) entry {
	return entry{name: "temp-" + area, kind: tempEntry,
		rel:   func(*fixture) string { return area + "/tmp/" + atomicfile.TempPrefix + "0123456789abcdef" },
		decoy: func(*fixture) string { return "DECOY-TEMP-CONTENT\n" }}
}

func topDir(rel, marker string) entry {
	return entry{name: "dir-" + strings.ReplaceAll(rel, "/", "-"), kind: dirEntry, global: true, marker: marker,
		rel: func(*fixture) string { return rel }}
}

var entries = []entry{
	{name: "pid-refs", rel: func(fx *fixture) string { return fx.p.pidRefs },
		decoy: func(*fixture) string { return strings.Repeat("d", 64) }},
	{name: "cid-refs", rel: func(fx *fixture) string { return fx.p.cidRefs },
		decoy: func(*fixture) string { return "decoy.pid.1\n" }},
	{name: "object", rel: func(fx *fixture) string { return fx.p.object },
		decoy: func(*fixture) string { return "DECOY-OBJECT-CONTENT\n" }},
	{name: "metadata", rel: func(fx *fixture) string { return fx.p.sysmeta },
		decoy: func(*fixture) string { return "<decoy>DECOY-METADATA</decoy>\n" }},
	{name: "config", rel: func(*fixture) string { return "hashstore.yaml" }, global: true, marker: "DECOY-NAMESPACE",
		decoy: func(fx *fixture) string {
			// Valid properties: a command that followed the link would work.
			yaml, _ := os.ReadFile(filepath.Join(storeDir(fx.dir), "hashstore.yaml"))
			return strings.ReplaceAll(string(yaml), "https://ns.dataone.org/service/types/v2.0#SystemMetadata", "DECOY-NAMESPACE")
		}},
	temp("objects"), temp("metadata"), temp("refs"),
	{name: "locks", kind: dirEntry, global: true, rel: func(*fixture) string { return "locks" }},
	topDir("objects", "<eml:eml"),             // P's object is an EML document
	topDir("metadata", "<ns3:systemMetadata"), // and its system metadata a v2 document
	topDir("refs", ""), topDir("refs/pids", ""), topDir("refs/cids", ""),
}

// form is an odd thing planted in an entry's place.
type form struct {
	name    string
	applies func(e entry) bool
	// plant puts it at abs (the entry's path in the case's store); the case directory is
	// dir. It returns the path the odd thing stands at, when not abs.
	plant func(t *testing.T, c *matrixCase) string
	// still reports whether what was planted at p is still there, unchanged in kind.
	still func(p string) bool
}

func isType(p string, want os.FileMode) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().Type() == want
}

func notDir(e entry) bool   { return e.kind != dirEntry }
func always(entry) bool     { return true }
func fileOnly(e entry) bool { return e.kind == fileEntry && e.name != "config" }

// replace removes what stands at the case's entry (for a file entry) and returns its path.
func replace(t *testing.T, c *matrixCase) string {
	t.Helper()
	if c.entry.kind != tempEntry {
		require.NoError(t, os.RemoveAll(c.abs))
	}
	return c.abs
}

// linkTarget returns where a link of the case points: a decoy file, or, for a directory entry,
// the entry itself moved to dest.
func linkTarget(t *testing.T, c *matrixCase, dest string) string {
	t.Helper()
	if c.entry.kind == dirEntry {
		require.NoError(t, os.Rename(c.abs, dest))
		return dest
	}
	writeFile(t, dest, c.entry.decoy(c.fx))
	replace(t, c)
	return dest
}

var forms = []form{
	{name: "fifo", applies: always,
		plant: func(t *testing.T, c *matrixCase) string { mkfifo(t, replace(t, c)); return "" },
		still: func(p string) bool { return isType(p, os.ModeNamedPipe) }},
	{name: "directory", applies: notDir,
		plant: func(t *testing.T, c *matrixCase) string {
			p := replace(t, c)
			require.NoError(t, os.Mkdir(p, 0o755))
			writeFile(t, filepath.Join(p, "inside"), "a file in a directory where a file should be\n")
			return ""
		},
		still: func(p string) bool { return isType(p, os.ModeDir) }},
	{name: "link-inside", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			symlink(t, linkTarget(t, c, filepath.Join(c.store, insideTarget)), c.abs)
			return ""
		},
		still: func(p string) bool { return isType(p, os.ModeSymlink) }},
	{name: "link-outside", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			symlink(t, linkTarget(t, c, outside(c.dir, canaryName)), c.abs)
			return ""
		},
		still: func(p string) bool { return isType(p, os.ModeSymlink) }},
	{name: "link-dangling", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			if c.entry.kind == dirEntry {
				require.NoError(t, os.RemoveAll(c.abs))
			} else {
				replace(t, c)
			}
			symlink(t, filepath.Join(c.store, "no-such-file"), c.abs)
			return ""
		},
		still: func(p string) bool { return isType(p, os.ModeSymlink) }},
	{name: "socket", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			require.NoError(t, os.RemoveAll(c.abs))
			mksocket(t, c.abs)
			return ""
		},
		still: func(p string) bool { return isType(p, os.ModeSocket) }},
	{name: "unreadable", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			if c.entry.kind == tempEntry {
				writeFile(t, c.abs, c.entry.decoy(c.fx))
			}
			require.NoError(t, os.Chmod(c.abs, 0))
			return ""
		},
		still: func(p string) bool {
			fi, err := os.Lstat(p)
			return err == nil && fi.Mode().Perm() == 0
		}},
	{name: "long-name", applies: func(e entry) bool { return e.kind == tempEntry || fileOnly(e) },
		plant: func(t *testing.T, c *matrixCase) string {
			switch c.entry.name {
			case "pid-refs": // names a cid no file name can hold
				writeFile(t, c.abs, strings.Repeat("a", 5000))
				return ""
			case "cid-refs": // lists, beside P, a pid of 5000 characters
				f, err := os.OpenFile(c.abs, os.O_APPEND|os.O_WRONLY, 0)
				require.NoError(t, err)
				_, err = f.WriteString("p" + strings.Repeat("x", 4999) + "\n")
				require.NoError(t, err)
				require.NoError(t, f.Close())
				return ""
			}
			long := filepath.Join(filepath.Dir(c.abs), longName)
			if c.entry.kind == tempEntry {
				writeFile(t, long, c.entry.decoy(c.fx))
			} else {
				require.NoError(t, os.Rename(c.abs, long)) // the object or document under a name of 255 bytes
			}
			return long
		},
		still: func(p string) bool {
			if data, err := os.ReadFile(p); err == nil && (strings.HasPrefix(string(data), strings.Repeat("a", 5000)) ||
				strings.Contains(string(data), strings.Repeat("x", 4999))) {
				return true
			}
			return filepath.Base(p) == longName && isType(p, 0)
		}},
	{name: "empty", applies: always,
		plant: func(t *testing.T, c *matrixCase) string {
			require.NoError(t, os.RemoveAll(c.abs))
			writeFile(t, c.abs, "")
			return ""
		},
		still: func(p string) bool {
			fi, err := os.Lstat(p)
			return err == nil && fi.Mode().IsRegular() && fi.Size() == 0
		}},
}

// command is a command of the matrix, run against P (or storing P's content anew).
type command struct {
	name   string
	writes bool // opens the store for writing
	args   func(c *matrixCase) []string
}

var commands = []command{
	{name: "store", writes: true, args: func(c *matrixCase) []string {
		return []string{"store", "--pid", newPID, input(c.dir, "jtao")}
	}},
	{name: "tag", writes: true, args: func(c *matrixCase) []string {
		return []string{"tag", "--pid", newPID, "--cid", c.fx.p.cid}
	}},
	{name: "get", args: func(*matrixCase) []string { return []string{"get", "--pid", jtaoPID} }},
	{name: "digest", args: func(*matrixCase) []string { return []string{"digest", "--pid", jtaoPID, "--algorithm", "MD5"} }},
	{name: "find", args: func(*matrixCase) []string { return []string{"find", "--pid", jtaoPID} }},
	{name: "delete", writes: true, args: func(*matrixCase) []string { return []string{"delete", "--pid", jtaoPID} }},
	{name: "metadata-get", args: func(*matrixCase) []string { return []string{"metadata", "get", "--pid", jtaoPID} }},
	{name: "metadata-put", writes: true, args: func(c *matrixCase) []string {
		return []string{"metadata", "put", "--pid", jtaoPID, input(c.dir, "meta.xml")}
	}},
	{name: "metadata-delete", writes: true, args: func(*matrixCase) []string {
		return []string{"metadata", "delete", "--pid", jtaoPID, "--all"}
	}},
	{name: "audit", args: func(*matrixCase) []string { return []string{"audit", "--temp-grace", "0"} }},
	{name: "audit-repair", writes: true, args: func(*matrixCase) []string {
		return []string{"audit", "--repair", "--temp-grace", "0"}
	}},
	{name: "convert", writes: true, args: func(c *matrixCase) []string {
		return []string{"convert", "--pid", jtaoPID, "--sysmeta", input(c.dir, "jtao.xml"), input(c.dir, "jtao")}
	}},
}

// outcome is what a command must do with an entry in a form.
type outcome int

const (
	anyStatus outcome = iota // 0 or 1, as long as the other checks hold
	mustFail                 // exit 1: the command needs what was planted
	mustWork                 // exit 0: what was planted is none of the command's business
)

// expect is the outcome of cmd when e is replaced by f.
func expect(e entry, f form, cmd command) outcome {
	nonRegular := f.name != "empty" && f.name != "long-name"
	switch e.name {
	case "config":
		return mustFail // nothing opens a store whose properties cannot be read
	case "pid-refs", "cid-refs":
		if e.name == "cid-refs" && f.name == "long-name" {
			// P is still listed: only the audit sees the extra line.
			return map[bool]outcome{true: mustFail, false: mustWork}[cmd.name == "audit"]
		}
		switch cmd.name {
		case "get", "digest", "find", "audit":
			return mustFail
		}
	case "object":
		switch {
		case nonRegular && (cmd.name == "get" || cmd.name == "digest" || cmd.name == "audit"):
			return mustFail
		case f.name == "long-name" && (cmd.name == "get" || cmd.name == "digest" || cmd.name == "audit"):
			return mustFail
		}
	case "metadata":
		switch {
		case cmd.name == "get", cmd.name == "digest", cmd.name == "find":
			return mustWork
		case cmd.name == "metadata-get" && f.name != "empty":
			return mustFail
		case cmd.name == "audit" && f.name != "empty":
			return mustFail
		}
	case "temp-objects", "temp-metadata", "temp-refs":
		// A temp entry belongs to no pid: everything works, the audit reports it and
		// the repair removes it.
		return map[bool]outcome{true: mustFail, false: mustWork}[cmd.name == "audit"]
	case "locks":
		if !cmd.writes && cmd.name != "audit" {
			return mustWork // read-only commands take no lock files
		}
		if f.name != "unreadable" {
			return mustFail // a writable open refuses a locks/ that is not a directory
		}
	default: // the top directories
		if f.name == "unreadable" && (e.name == "dir-refs-pids" || e.name == "dir-refs-cids") && strings.HasPrefix(cmd.name, "metadata-") {
			return mustWork // the directory is there, and metadata never looks into it
		}
		if cmd.writes || cmd.name == "audit" {
			return mustFail
		}
		switch e.name {
		case "dir-objects":
			if cmd.name == "get" || cmd.name == "digest" {
				return mustFail
			}
		case "dir-metadata":
			if cmd.name == "metadata-get" {
				return mustFail
			}
		default: // refs, refs/pids, refs/cids
			if cmd.name == "get" || cmd.name == "digest" || cmd.name == "find" {
				return mustFail
			}
		}
	}
	return anyStatus
}

// matrixCase is one cell of the matrix.
type matrixCase struct {
	fx    *fixture
	entry entry
	form  form
	cmd   command
	dir   string // the case's directory: store/, in/, outside/
	store string
	abs   string // the entry's path in the store
	odd   string // where the planted thing stands
}

// auditLine is one line of audit --json: a finding, or the summary.
type auditLine struct {
	Class   string          `json:"class"`
	Path    string          `json:"path"`
	PID     string          `json:"pid"`
	CID     string          `json:"cid"`
	Detail  string          `json:"detail"`
	Summary json.RawMessage `json:"summary"`
}

func TestHostileStoreMatrix(t *testing.T) {
	bin := sharedBinary(t)
	base := openTempDir(t)
	fx := newFixture(t, bin, base)

	var cases []*matrixCase
	for _, e := range entries {
		for _, f := range forms {
			if !f.applies(e) {
				continue
			}
			for _, cmd := range commands {
				cases = append(cases, &matrixCase{fx: fx, entry: e, form: f, cmd: cmd})
			}
		}
	}
	planted := len(cases) / len(commands)
	outcomes := map[outcome]int{}
	for _, c := range cases {
		outcomes[expect(c.entry, c.form, c.cmd)]++
	}
	t.Logf("hostile matrix: %d entries x %d forms (where they apply) = %d planted states, x %d commands = %d cases "+
		"(%d must fail, %d must work, %d either), %d processes with the audits after them",
		len(entries), len(forms), planted, len(commands), len(cases), outcomes[mustFail], outcomes[mustWork], outcomes[anyStatus], 2*len(cases))

	// Cases run in a pool of their own (t.Run may be called from several goroutines): most of
	// a case is waiting for its processes, so more of them than cores keep the cores busy.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(cases) {
					return
				}
				c := cases[i]
				c.dir = filepath.Join(base, fmt.Sprintf("case%04d", i))
				t.Run(c.entry.name+"/"+c.form.name+"/"+c.cmd.name, c.run)
			}
		}()
	}
	wg.Wait()
}

// run plants the case's form, runs its command and then an audit, and checks both.
func (c *matrixCase) run(t *testing.T) {
	c.fx.newCase(t, c.dir)
	defer removeAllForced(c.dir)
	c.store = storeDir(c.dir)
	c.abs = filepath.Join(c.store, filepath.FromSlash(c.entry.rel(c.fx)))
	c.odd = c.abs
	if p := c.form.plant(t, c); p != "" {
		c.odd = p
	}
	giveToChild(t, c.dir)
	protected := func() map[string]string {
		s := snapshot(t, filepath.Join(c.dir, outsideDir))
		for k, v := range snapshot(t, filepath.Join(c.store, insideTarget)) {
			s["inside:"+k] = v
		}
		return s
	}
	before := protected()
	p := proc{bin: c.fx.bin}

	r := p.run(t, commandWait, append([]string{"--store", c.store}, c.cmd.args(c)...)...)
	c.checkRun(t, r, "the command")
	switch expect(c.entry, c.form, c.cmd) {
	case mustFail:
		assert.Equal(t, 1, r.code, "must fail: stdout %q\nstderr %q", clip(r.stdout), clip(r.stderr))
		assert.True(t, strings.HasPrefix(r.stderr, "hashstore: "), "a clear error: %q", clip(r.stderr))
	case mustWork:
		assert.Equal(t, 0, r.code, "must work: stderr %q", clip(r.stderr))
	}
	if c.entry.kind == tempEntry && c.cmd.name == "audit-repair" {
		_, err := os.Lstat(c.odd)
		assert.True(t, os.IsNotExist(err), "the repair removes the temp entry (%v)", err)
	}
	assert.Equal(t, before, protected(), "nothing outside the store, nor what links point to, is changed")

	a := p.run(t, commandWait, "--store", c.store, "--json", "audit", "--rehash", "--temp-grace", "0")
	c.checkRun(t, a, "the audit after it")
	c.checkAudit(t, a)
	assert.Equal(t, before, protected(), "the audit changes nothing outside the store")
}

// checkRun checks what every run must do: exit 0 or 1 in time without a crash, and show
// nothing that a followed link would have shown.
func (c *matrixCase) checkRun(t *testing.T, r procResult, what string) {
	t.Helper()
	require.False(t, r.hung, "%s hung (killed after %s): stderr %q", what, commandWait, clip(r.stderr))
	assert.False(t, r.crashed(), "%s crashed: %s", what, clip(r.stderr))
	assert.Contains(t, []int{0, 1}, r.code, "%s: exit status %d, stderr %q", what, r.code, clip(r.stderr))
	if r.code == 1 {
		assert.NotEmpty(t, r.stderr, "%s failed without saying why", what)
	}
	for _, marker := range c.markers() {
		assert.NotContains(t, r.stdout, marker, "%s printed what a link leads to", what)
	}
}

// markers are strings only a followed link could bring to stdout.
func (c *matrixCase) markers() []string {
	switch {
	case !strings.HasPrefix(c.form.name, "link-"):
		return nil
	case c.entry.marker != "":
		return []string{c.entry.marker}
	case c.entry.decoy != nil:
		return []string{strings.TrimSpace(c.entry.decoy(c.fx))}
	}
	return nil
}

// checkAudit checks that the audit (JSON lines) reports what was planted, if it is still
// there, and says nothing about the bystander unless the entry concerns every pid.
func (c *matrixCase) checkAudit(t *testing.T, a procResult) {
	t.Helper()
	if c.entry.name == "config" {
		assert.Equal(t, 1, a.code)
		assert.Contains(t, a.stderr, "hashstore.yaml", "the audit names what keeps the store from opening")
		return
	}
	var findings []auditLine
	for _, line := range strings.Split(strings.TrimSpace(a.stdout), "\n") {
		var l auditLine
		if !assert.NoError(t, json.Unmarshal([]byte(line), &l), "audit line %q", clip(line)) {
			return
		}
		if l.Class != "" {
			findings = append(findings, l)
		}
	}
	rel := func(p string) string {
		r, _ := filepath.Rel(c.store, p)
		return filepath.ToSlash(r)
	}
	exempt := (c.entry.name == "metadata" && c.form.name == "empty") || // an empty document is a document
		(c.entry.name == "locks" && c.form.name == "unreadable") // lock files are not the audit's to check
	for _, odd := range []string{c.odd, c.odd + "_delete"} {
		if exempt || !c.form.still(odd) && !(odd != c.odd && exists(odd)) {
			continue
		}
		found := false
		for _, f := range findings {
			if f.Path == rel(odd) || strings.HasPrefix(f.Path, rel(odd)+"/") || mentions(f.Detail, odd) {
				found = true
			}
		}
		assert.True(t, found, "the audit reports %s:\n%s", rel(odd), clip(a.stdout))
	}
	if c.entry.global {
		return
	}
	q := c.fx.q
	for _, f := range findings {
		for _, s := range []string{q.pid, q.cid} {
			assert.NotContains(t, f.Path+" "+f.PID+" "+f.CID+" "+f.Detail, s, "a finding about the bystander: %+v", f)
		}
		for _, p := range []string{q.pidRefs, q.cidRefs, q.object, q.sysmeta} {
			assert.NotEqual(t, p, f.Path, "a finding about the bystander: %+v", f)
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// mentions reports whether s names the path p itself (not merely a path below it).
func mentions(s, p string) bool {
	for i := strings.Index(s, p); i >= 0; {
		end := i + len(p)
		if end == len(s) || strings.ContainsRune(`: "',;)`, rune(s[end])) {
			return true
		}
		j := strings.Index(s[end:], p)
		if j < 0 {
			break
		}
		i = end + j
	}
	return false
}

// clip shortens a long output for a failure message.
func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

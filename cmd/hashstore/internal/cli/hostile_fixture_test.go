package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A hostile-store fixture: a small store made by the real program, holding the jtao.1700.1
// vector under pid P (object, refs and system metadata) and an unrelated bystander object Q
// with a metadata document of its own, plus the inputs the commands read. Each case of the
// matrix works on a copy of it, next to a directory "outside" the store that nothing may read
// into stdout or change.

const (
	bystanderPID  = "bystander.1"
	newPID        = "new.pid.1"
	commandWait   = 10 * time.Second // the deadline of one command: past it, the command hung
	insideTarget  = "inside-target"  // a file inside the store root that links point to
	outsideDir    = "outside"        // beside the store: links point here, dirs are moved here
	canaryName    = "canary"         // outside/canary: what links out of the store point to
	caseStoreName = "store"
	caseInputs    = "in"
)

// ids are the store-relative paths of one pid's files.
type ids struct {
	pid, cid                          string
	pidRefs, cidRefs, object, sysmeta string
}

// fixture is the template of the matrix's cases.
type fixture struct {
	bin  string
	dir  string // holds store/ and in/
	p, q ids
}

// storeDir and inputs name the parts of a case directory.
func storeDir(caseDir string) string      { return filepath.Join(caseDir, caseStoreName) }
func input(caseDir, name string) string   { return filepath.Join(caseDir, caseInputs, name) }
func outside(caseDir, name string) string { return filepath.Join(caseDir, outsideDir, name) }

// newFixture builds the template store in base with the program, as the children's user.
func newFixture(t *testing.T, bin, base string) *fixture {
	t.Helper()
	fx := &fixture{bin: bin, dir: filepath.Join(base, "template")}
	in := filepath.Join(fx.dir, caseInputs)
	require.NoError(t, os.MkdirAll(in, 0o755))
	for name, data := range map[string][]byte{
		"jtao":     readFile(t, jtaoFile),
		"jtao.xml": readFile(t, jtaoSysFile),
		"q":        []byte("the bystander's object, which no case touches\n"),
		"q.xml":    []byte("<bystander>its metadata</bystander>\n"),
		"meta.xml": []byte("<replacement>metadata put by a case</replacement>\n"),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(in, name), data, 0o644))
	}
	giveToChild(t, fx.dir)
	st := storeDir(fx.dir)
	p := proc{bin: bin}
	for _, args := range [][]string{
		{"init"},
		{"store", "--pid", jtaoPID, filepath.Join(in, "jtao")},
		{"metadata", "put", "--pid", jtaoPID, filepath.Join(in, "jtao.xml")},
		{"store", "--pid", bystanderPID, filepath.Join(in, "q")},
		{"metadata", "put", "--pid", bystanderPID, filepath.Join(in, "q.xml")},
	} {
		r := p.run(t, commandWait, append([]string{"--store", st, "-q"}, args...)...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
	}
	fx.p = fx.find(t, jtaoPID)
	fx.q = fx.find(t, bystanderPID)
	return fx
}

// find returns where pid's files are in the template, from the program's own find.
func (fx *fixture) find(t *testing.T, pid string) ids {
	t.Helper()
	st := storeDir(fx.dir)
	r := proc{bin: fx.bin}.run(t, commandWait, "--store", st, "find", "--pid", pid, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := decode[map[string]any](t, r.stdout)
	rel := func(key string) string {
		abs, _ := doc[key].(string)
		require.NotEmpty(t, abs, key)
		p, err := filepath.Rel(st, abs)
		require.NoError(t, err)
		return filepath.ToSlash(p)
	}
	return ids{pid: pid, cid: doc["cid"].(string), pidRefs: rel("pid_refs_path"), cidRefs: rel("cid_refs_path"),
		object: rel("object_path"), sysmeta: rel("sysmeta_path")}
}

// newCase copies the template into dir (which must not exist) and adds the empty outside
// directory.
func (fx *fixture) newCase(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, copyTree(fx.dir, dir))
	require.NoError(t, os.Mkdir(filepath.Join(dir, outsideDir), 0o755))
}

// copyTree copies the directories and regular files below src to dst, with their modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Mkdir(target, fi.Mode().Perm())
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// snapshot describes every entry below root (links not followed) by type, mode, size,
// modification time and, for regular files, a digest of the content: two snapshots differ
// if anything below root was created, removed, replaced, written or chmod-ed.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if _, err := os.Lstat(root); os.IsNotExist(err) {
		return out
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String() + " " + fi.ModTime().Format(time.RFC3339Nano)
		if fi.Mode().IsRegular() {
			sum := "unreadable"
			if data, err := os.ReadFile(p); err == nil {
				h := sha256.Sum256(data)
				sum = hex.EncodeToString(h[:])
			}
			desc += " " + sum
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = desc
		return nil
	})
	require.NoError(t, err)
	return out
}

// mkfifo, mksocket, symlink and the other planting helpers fail the test on error.

func mkfifo(t *testing.T, p string) {
	t.Helper()
	require.NoError(t, unix.Mkfifo(p, 0o644))
}

// mksocket makes a socket file at p, as a server that died without removing it leaves one.
func mksocket(t *testing.T, p string) {
	t.Helper()
	require.NoError(t, unix.Mknod(p, unix.S_IFSOCK|0o644, 0))
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	require.NoError(t, os.Symlink(target, p))
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
}

// longName is a file name of 255 bytes, the most a name may have (NAME_MAX).
var longName = strings.Repeat("f", 255)

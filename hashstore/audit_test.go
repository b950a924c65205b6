package hashstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/atomicfile"
)

// auditEnv is a store with the three reference vectors (pid, system metadata) and a second pid
// on jtao.1700.1's content, and helpers to break it by hand.
type auditEnv struct {
	t    *testing.T
	fs   afero.Fs
	root string
	s    *hashstore.FileHashStore
	doi  hashstoretest.Vector
	jtao hashstoretest.Vector
	urn  hashstoretest.Vector
}

const auditDupPID = "jtao.1700.1.shared"

// auditFilesystems are the filesystems every audit case runs on.
var auditFilesystems = []struct {
	name string
	mk   func(t *testing.T) (afero.Fs, string)
}{
	{"os", func(t *testing.T) (afero.Fs, string) { return afero.NewOsFs(), filepath.Join(t.TempDir(), "store") }},
	{"mem", func(t *testing.T) (afero.Fs, string) { return afero.NewMemMapFs(), "/store" }},
}

// fsRoot is a filesystem and a store root in it.
type fsRoot struct {
	fs   afero.Fs
	root string
}

func mkFs(t *testing.T, mk func(*testing.T) (afero.Fs, string)) fsRoot {
	fsys, root := mk(t)
	return fsRoot{fsys, root}
}

func newAuditEnv(t *testing.T, where fsRoot) *auditEnv {
	fsys, root := where.fs, where.root
	t.Helper()
	s, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFs(fsys), hashstore.WithSync(false))
	require.NoError(t, err)
	vs := hashstoretest.Vectors()
	e := &auditEnv{t: t, fs: fsys, root: root, s: s, doi: vs[0], jtao: vs[1], urn: vs[2]}
	ctx := t.Context()
	for _, v := range vs {
		_, err := s.StoreObject(ctx, bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
		require.NoError(t, err)
		_, err = s.StoreMetadata(ctx, v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
	}
	_, err = s.StoreObject(ctx, bytes.NewReader(e.jtao.Data()), hashstore.WithPID(auditDupPID))
	require.NoError(t, err)
	return e
}

func (e *auditEnv) abs(rel string) string { return filepath.Join(e.root, filepath.FromSlash(rel)) }

func (e *auditEnv) write(rel, data string) {
	e.t.Helper()
	require.NoError(e.t, e.fs.MkdirAll(filepath.Dir(e.abs(rel)), 0o755))
	require.NoError(e.t, afero.WriteFile(e.fs, e.abs(rel), []byte(data), 0o664))
}

func (e *auditEnv) remove(rel string) {
	e.t.Helper()
	require.NoError(e.t, e.fs.Remove(e.abs(rel)))
}

func (e *auditEnv) rename(from, to string) {
	e.t.Helper()
	require.NoError(e.t, e.fs.Rename(e.abs(from), e.abs(to)))
}

func (e *auditEnv) read(rel string) string {
	e.t.Helper()
	b, err := afero.ReadFile(e.fs, e.abs(rel))
	require.NoError(e.t, err)
	return string(b)
}

func (e *auditEnv) exists(rel string) bool {
	_, err := e.fs.Stat(e.abs(rel))
	return err == nil
}

// storeUntagged stores data without a pid and returns its cid.
func (e *auditEnv) storeUntagged(data string) string {
	e.t.Helper()
	meta, err := e.s.StoreObject(e.t.Context(), strings.NewReader(data))
	require.NoError(e.t, err)
	return meta.CID
}

// later is a clock three hours ahead, past the default temp grace.
func later() time.Time { return time.Now().Add(3 * time.Hour) }

// runAudit audits and returns the findings sorted by class and path.
func runAudit(t *testing.T, s *hashstore.FileHashStore, opts hashstore.AuditOptions) ([]hashstore.Finding, hashstore.AuditSummary) {
	t.Helper()
	var found []hashstore.Finding
	sum, err := s.Audit(t.Context(), opts, func(f hashstore.Finding) error {
		found = append(found, f)
		return nil
	})
	require.NoError(t, err)
	sortFindings(found)
	return found, sum
}

func sortFindings(fs []hashstore.Finding) {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Class != fs[j].Class {
			return fs[i].Class < fs[j].Class
		}
		if fs[i].Path != fs[j].Path {
			return fs[i].Path < fs[j].Path
		}
		return fs[i].PID < fs[j].PID
	})
}

// want is an expected finding: class, path, pid, cid, and whether repair fixes it.
type want struct {
	class    hashstore.FindingClass
	path     string
	pid, cid string
	repaired bool
}

func key(f hashstore.Finding) want {
	return want{class: f.Class, path: f.Path, pid: f.PID, cid: f.CID, repaired: f.Repaired != ""}
}

func sortWants(ws []want) []want {
	out := append([]want(nil), ws...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].class != out[j].class {
			return out[i].class < out[j].class
		}
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].pid < out[j].pid
	})
	return out
}

// snapshot maps every file under root to its content and every directory to "/".
func snapshot(t *testing.T, fsys afero.Fs, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, afero.Walk(fsys, root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "locks" || strings.HasPrefix(rel, "locks/") {
			return nil // lock files are created by taking locks; not store content
		}
		if fi.IsDir() {
			out[rel] = "/"
			return nil
		}
		b, err := afero.ReadFile(fsys, p)
		out[rel] = string(b)
		return err
	}))
	return out
}

// changed lists the paths whose content differs between two snapshots.
func changed(before, after map[string]string) []string {
	var out []string
	for p, b := range before {
		if a, ok := after[p]; !ok || a != b {
			out = append(out, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func TestAuditCleanStore(t *testing.T) {
	for _, fsys := range auditFilesystems {
		t.Run(fsys.name, func(t *testing.T) {
			e := newAuditEnv(t, mkFs(t, fsys.mk))
			before := snapshot(t, e.fs, e.root)
			var progress []hashstore.AuditProgress
			found, sum := runAudit(t, e.s, hashstore.AuditOptions{Rehash: true, Repair: true, Now: later,
				Progress: func(p hashstore.AuditProgress) { progress = append(progress, p) }})
			assert.Empty(t, found)
			assert.True(t, sum.Clean)
			assert.Zero(t, sum.Errors)
			assert.Zero(t, sum.Findings)
			// 3 objects, 3 cid refs, 4 pid refs, 3 documents.
			assert.Equal(t, int64(13), sum.Files)
			assert.Equal(t, before, snapshot(t, e.fs, e.root), "auditing a clean store changes nothing")
			require.NotEmpty(t, progress)
			assert.Equal(t, int64(13), progress[len(progress)-1].Files)
		})
	}
}

// TestAuditGoldenStores audits the stores written by the reference implementations: clean,
// including the Java cid refs files without a final newline.
func TestAuditGoldenStores(t *testing.T) {
	for _, g := range goldenStores {
		for fsName, mk := range goldenFilesystems(t) {
			t.Run(g.root+"/"+fsName, func(t *testing.T) {
				fsys, dir := mk()
				root := extractGolden(t, fsys, dir, g.tarball, g.root)
				s, err := hashstore.Open(root, hashstore.WithFs(fsys), hashstore.WithReadOnly())
				require.NoError(t, err)
				found, sum := runAudit(t, s, hashstore.AuditOptions{Rehash: true})
				assert.Empty(t, found)
				assert.True(t, sum.Clean)
			})
		}
	}
}

// auditCase is a store broken by hand: what the audit must find, what a repair must change,
// and what a second audit finds after the repair (notices only).
type auditCase struct {
	name  string
	opts  hashstore.AuditOptions // Now defaults to later
	setup func(e *auditEnv)
	find  func(e *auditEnv) []want
	// changes lists the paths a repair changes; every other path must stay byte-identical.
	changes func(e *auditEnv) []string
	// after lists what an audit finds once repaired (notices, or errors left alone).
	after func(e *auditEnv) []want
	// repairAlso lists what the repairing audit finds besides find's findings: notices about
	// states its own repairs made (an object left untagged), found later in the same walk.
	repairAlso func(e *auditEnv) []want
}

func auditCases() []auditCase {
	none := func(*auditEnv) []string { return nil }
	nothing := func(*auditEnv) []want { return nil }
	return []auditCase{
		{
			name: "interrupted tag onto a shared object",
			// TagObject wrote the cid refs line, then stopped before the pid refs file.
			setup: func(e *auditEnv) { e.write(e.urn.CIDRefsPath, e.urn.PID+"\nnew.pid\n") },
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingOrphanCIDRefsEntry, e.urn.CIDRefsPath, "new.pid", e.urn.CID, true}}
			},
			changes: func(e *auditEnv) []string { return []string{e.urn.CIDRefsPath} },
			after:   nothing,
		},
		{
			name: "interrupted tag of a new object",
			setup: func(e *auditEnv) {
				cid := e.storeUntagged("fresh content")
				e.write(hashstoretest.CIDRefsPath(cid), "fresh.pid\n")
			},
			find: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("fresh content"))
				return []want{{hashstore.FindingOrphanCIDRefsEntry, hashstoretest.CIDRefsPath(cid), "fresh.pid", cid, true}}
			},
			changes: func(e *auditEnv) []string {
				return []string{hashstoretest.CIDRefsPath(hashstoretest.SHA256Hex([]byte("fresh content")))}
			},
			after: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("fresh content"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
			repairAlso: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("fresh content"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
		},
		{
			name: "interrupted delete of the last pid after the object went",
			// DeleteObject renamed the metadata away, then the object, and stopped.
			setup: func(e *auditEnv) {
				e.rename(e.doi.SysmetaPath, e.doi.SysmetaPath+"_delete")
				e.rename(e.doi.ObjectPath, e.doi.ObjectPath+"_delete")
			},
			find: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingLeftoverDelete, e.doi.ObjectPath + "_delete", "", "", true},
					{hashstore.FindingLeftoverDelete, e.doi.SysmetaPath + "_delete", "", "", true},
					{hashstore.FindingRefsToMissingObject, e.doi.CIDRefsPath, e.doi.PID, e.doi.CID, true},
				}
			},
			changes: func(e *auditEnv) []string {
				return []string{e.doi.ObjectPath + "_delete", e.doi.SysmetaPath + "_delete", e.doi.CIDRefsPath, e.doi.PIDRefsPath}
			},
			after: nothing,
		},
		{
			name: "interrupted delete of the last pid before the pid refs went",
			setup: func(e *auditEnv) {
				e.remove(e.doi.SysmetaPath)
				e.remove(e.doi.ObjectPath)
				e.remove(e.doi.CIDRefsPath)
			},
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingOrphanPIDRefs, e.doi.PIDRefsPath, "", e.doi.CID, true}}
			},
			changes: func(e *auditEnv) []string { return []string{e.doi.PIDRefsPath} },
			after:   nothing,
		},
		{
			name: "interrupted delete of one pid of a shared object",
			// The cid refs file was rewritten without the pid; its pid refs file stayed.
			setup: func(e *auditEnv) {
				e.remove(e.jtao.SysmetaPath)
				e.write(e.jtao.CIDRefsPath, auditDupPID+"\n")
			},
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingPIDMissingFromCIDRefs, e.jtao.PIDRefsPath, "", e.jtao.CID, true}}
			},
			changes: func(e *auditEnv) []string { return []string{e.jtao.PIDRefsPath} },
			after:   nothing,
		},
		{
			name: "glued lines (Java then Python) are left alone",
			// Java wrote "jtao.1700.1" with no newline; Python appended the shared pid to the
			// same line and rolled back its pid refs file.
			setup: func(e *auditEnv) {
				e.write(e.jtao.CIDRefsPath, e.jtao.PID+auditDupPID+"\n")
				e.remove(hashstoretest.PIDRefsPath(auditDupPID))
			},
			find: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingOrphanCIDRefsEntry, e.jtao.CIDRefsPath, e.jtao.PID + auditDupPID, e.jtao.CID, false},
					{hashstore.FindingPIDMissingFromCIDRefs, e.jtao.PIDRefsPath, "", e.jtao.CID, false},
				}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingOrphanCIDRefsEntry, e.jtao.CIDRefsPath, e.jtao.PID + auditDupPID, e.jtao.CID, false},
					{hashstore.FindingPIDMissingFromCIDRefs, e.jtao.PIDRefsPath, "", e.jtao.CID, false},
				}
			},
		},
		{
			name:  "a listed pid tagged to another object is left alone",
			setup: func(e *auditEnv) { e.write(e.urn.CIDRefsPath, e.urn.PID+"\n"+e.doi.PID+"\n") },
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingOrphanCIDRefsEntry, e.urn.CIDRefsPath, e.doi.PID, e.urn.CID, false}}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{{hashstore.FindingOrphanCIDRefsEntry, e.urn.CIDRefsPath, e.doi.PID, e.urn.CID, false}}
			},
		},
		{
			name:  "orphan pid refs with the object present is left alone",
			setup: func(e *auditEnv) { e.remove(e.urn.CIDRefsPath) },
			find: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingOrphanPIDRefs, e.urn.PIDRefsPath, "", e.urn.CID, false},
					{hashstore.FindingUntaggedObject, e.urn.ObjectPath, "", e.urn.CID, false},
				}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingOrphanPIDRefs, e.urn.PIDRefsPath, "", e.urn.CID, false},
					{hashstore.FindingUntaggedObject, e.urn.ObjectPath, "", e.urn.CID, false},
				}
			},
		},
		{
			name: "missing object of several pids is left alone",
			setup: func(e *auditEnv) {
				e.remove(e.jtao.ObjectPath)
			},
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingRefsToMissingObject, e.jtao.CIDRefsPath, "", e.jtao.CID, false}}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{{hashstore.FindingRefsToMissingObject, e.jtao.CIDRefsPath, "", e.jtao.CID, false}}
			},
		},
		{
			name: "empty cid refs file",
			setup: func(e *auditEnv) {
				cid := e.storeUntagged("left empty")
				e.write(hashstoretest.CIDRefsPath(cid), "\n \n")
			},
			find: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("left empty"))
				return []want{{hashstore.FindingEmptyCIDRefs, hashstoretest.CIDRefsPath(cid), "", cid, true}}
			},
			changes: func(e *auditEnv) []string {
				return []string{hashstoretest.CIDRefsPath(hashstoretest.SHA256Hex([]byte("left empty")))}
			},
			after: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("left empty"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
			repairAlso: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("left empty"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
		},
		{
			name: "malformed refs are reported only",
			setup: func(e *auditEnv) {
				e.write(hashstoretest.PIDRefsPath("empty.refs"), "")
				e.write(hashstoretest.PIDRefsPath("two.values"), e.urn.CID+" "+e.doi.CID)
				e.write(hashstoretest.PIDRefsPath("unsafe.cid"), "../../../etc/passwd")
				e.write(e.urn.CIDRefsPath, e.urn.PID+"\nbad pid\n")
			},
			find: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("empty.refs"), "", "", false},
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("two.values"), "", "", false},
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("unsafe.cid"), "", "", false},
					{hashstore.FindingMalformedRefs, e.urn.CIDRefsPath, "bad pid", e.urn.CID, false},
				}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("empty.refs"), "", "", false},
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("two.values"), "", "", false},
					{hashstore.FindingMalformedRefs, hashstoretest.PIDRefsPath("unsafe.cid"), "", "", false},
					{hashstore.FindingMalformedRefs, e.urn.CIDRefsPath, "bad pid", e.urn.CID, false},
				}
			},
		},
		{
			name: "unexpected files are reported only",
			setup: func(e *auditEnv) {
				e.write("objects/zz/README", "x")
				e.write("objects/94/f9/b6/short", "x")
				e.write("objects/94/f9/b6/"+strings.ToUpper(e.jtao.CID[6:]), "x")
				e.write("refs/pids/ab", "x")
				e.write("refs/notes.txt", "x")
				e.write("metadata/0d/55/5e/stray", "x")
				e.write(e.doi.SysmetaPath[:strings.LastIndex(e.doi.SysmetaPath, "/")]+"/notes.txt", "x")
				e.write("refs/cids/ab/cd/ef/gh/too-deep", "x")
			},
			find: func(e *auditEnv) []want {
				u := hashstore.FindingUnexpectedFile
				return []want{
					{u, "metadata/0d/55/5e/stray", "", "", false},
					{u, e.doi.SysmetaPath[:strings.LastIndex(e.doi.SysmetaPath, "/")] + "/notes.txt", "", "", false},
					{u, "objects/94/f9/b6/" + strings.ToUpper(e.jtao.CID[6:]), "", "", false},
					{u, "objects/94/f9/b6/short", "", "", false},
					{u, "objects/zz", "", "", false},
					{u, "refs/cids/ab/cd/ef/gh", "", "", false},
					{u, "refs/notes.txt", "", "", false},
					{u, "refs/pids/ab", "", "", false},
				}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				u := hashstore.FindingUnexpectedFile
				return []want{
					{u, "metadata/0d/55/5e/stray", "", "", false},
					{u, e.doi.SysmetaPath[:strings.LastIndex(e.doi.SysmetaPath, "/")] + "/notes.txt", "", "", false},
					{u, "objects/94/f9/b6/" + strings.ToUpper(e.jtao.CID[6:]), "", "", false},
					{u, "objects/94/f9/b6/short", "", "", false},
					{u, "objects/zz", "", "", false},
					{u, "refs/cids/ab/cd/ef/gh", "", "", false},
					{u, "refs/notes.txt", "", "", false},
					{u, "refs/pids/ab", "", "", false},
				}
			},
		},
		{
			name: "abandoned temp files",
			setup: func(e *auditEnv) {
				e.write("objects/tmp/tmp0123456789abcdef", "partial object")
				e.write("metadata/tmp/tmp-1700000000000123.tmp", "partial doc") // a Java name
				e.write("refs/tmp/tmpabcdefgh", "partial refs")                 // a Python name
				e.write("tmp0123456789abcdef", "partial hashstore.yaml")
			},
			find: func(e *auditEnv) []want {
				a := hashstore.FindingAbandonedTemp
				return []want{
					{a, "metadata/tmp/tmp-1700000000000123.tmp", "", "", true},
					{a, "objects/tmp/tmp0123456789abcdef", "", "", true},
					{a, "refs/tmp/tmpabcdefgh", "", "", true},
					{a, "tmp0123456789abcdef", "", "", true},
				}
			},
			changes: func(e *auditEnv) []string {
				return []string{"metadata/tmp/tmp-1700000000000123.tmp", "objects/tmp/tmp0123456789abcdef", "refs/tmp/tmpabcdefgh", "tmp0123456789abcdef"}
			},
			after: nothing,
		},
		{
			name: "leftover _delete files",
			setup: func(e *auditEnv) {
				e.write(e.urn.PIDRefsPath+"_delete", e.urn.CID)
				e.write(hashstoretest.ObjectPath(e.doi.CID[:10]+strings.Repeat("0", 54))+"_delete", "gone")
				e.write(hashstoretest.CIDRefsPath(e.doi.CID[:10]+strings.Repeat("0", 54))+"_delete", "gone\n")
				e.write(e.urn.SysmetaPath+"x_delete", "old doc")
			},
			find: func(e *auditEnv) []want {
				l := hashstore.FindingLeftoverDelete
				other := e.doi.CID[:10] + strings.Repeat("0", 54)
				return []want{
					{l, e.urn.SysmetaPath + "x_delete", "", "", true},
					{l, hashstoretest.ObjectPath(other) + "_delete", "", "", true},
					{l, hashstoretest.CIDRefsPath(other) + "_delete", "", "", true},
					{l, e.urn.PIDRefsPath + "_delete", "", "", true},
				}
			},
			changes: func(e *auditEnv) []string {
				other := e.doi.CID[:10] + strings.Repeat("0", 54)
				return []string{e.urn.SysmetaPath + "x_delete", hashstoretest.ObjectPath(other) + "_delete",
					hashstoretest.CIDRefsPath(other) + "_delete", e.urn.PIDRefsPath + "_delete"}
			},
			after: nothing,
		},
		{
			name: "corrupt object is found by rehash and never repaired",
			opts: hashstore.AuditOptions{Rehash: true},
			setup: func(e *auditEnv) {
				data := []byte(e.read(e.jtao.ObjectPath))
				data[100] ^= 1
				e.write(e.jtao.ObjectPath, string(data))
			},
			find: func(e *auditEnv) []want {
				return []want{{hashstore.FindingCorruptObject, e.jtao.ObjectPath, "", e.jtao.CID, false}}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				return []want{{hashstore.FindingCorruptObject, e.jtao.ObjectPath, "", e.jtao.CID, false}}
			},
		},
		{
			name: "metadata without a pid is a notice, never repaired",
			setup: func(e *auditEnv) {
				_, err := e.s.StoreMetadata(e.t.Context(), "sysmeta.only", strings.NewReader("<sysmeta/>"))
				require.NoError(e.t, err)
			},
			find: func(e *auditEnv) []want {
				p := hashstoretest.MetadataPath("sysmeta.only", hashstore.DefaultNamespace)
				return []want{{hashstore.FindingMetadataWithoutPID, p[:strings.LastIndex(p, "/")], "", "", false}}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				p := hashstoretest.MetadataPath("sysmeta.only", hashstore.DefaultNamespace)
				return []want{{hashstore.FindingMetadataWithoutPID, p[:strings.LastIndex(p, "/")], "", "", false}}
			},
		},
		{
			name: "old untagged objects are removed with UntaggedOlderThan",
			opts: hashstore.AuditOptions{UntaggedOlderThan: 2 * time.Hour},
			setup: func(e *auditEnv) {
				e.storeUntagged("never tagged")
			},
			find: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("never tagged"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, true}}
			},
			changes: func(e *auditEnv) []string {
				return []string{hashstoretest.ObjectPath(hashstoretest.SHA256Hex([]byte("never tagged")))}
			},
			after: nothing,
		},
		{
			name: "young untagged objects stay",
			opts: hashstore.AuditOptions{UntaggedOlderThan: 4 * time.Hour},
			setup: func(e *auditEnv) {
				e.storeUntagged("never tagged")
			},
			find: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("never tagged"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
			changes: none,
			after: func(e *auditEnv) []want {
				cid := hashstoretest.SHA256Hex([]byte("never tagged"))
				return []want{{hashstore.FindingUntaggedObject, hashstoretest.ObjectPath(cid), "", cid, false}}
			},
		},
	}
}

// TestAuditFindsAndRepairs builds each broken state by hand, audits it (nothing may change),
// repairs it (exactly the expected paths may change), and audits again.
func TestAuditFindsAndRepairs(t *testing.T) {
	for _, c := range auditCases() {
		for _, fsys := range auditFilesystems {
			t.Run(c.name+"/"+fsys.name, func(t *testing.T) {
				e := newAuditEnv(t, mkFs(t, fsys.mk))
				c.setup(e)
				opts := c.opts
				if opts.Now == nil {
					opts.Now = later
				}
				broken := snapshot(t, e.fs, e.root)

				// A read-only audit finds, and touches nothing.
				ro, err := hashstore.Open(e.root, hashstore.WithFs(e.fs), hashstore.WithReadOnly())
				require.NoError(t, err)
				found, sum := runAudit(t, ro, opts)
				wantFound := c.find(e)
				for i := range wantFound {
					wantFound[i].repaired = false
				}
				got := make([]want, len(found))
				for i, f := range found {
					got[i] = key(f)
					assert.NotEmpty(t, f.Detail, "%+v", f)
					assert.Empty(t, f.Repaired)
				}
				assert.Equal(t, sortWants(wantFound), sortWants(got))
				assertSummary(t, found, sum)
				assert.Equal(t, broken, snapshot(t, e.fs, e.root), "an audit without repair writes nothing")
				_, err = ro.Audit(t.Context(), hashstore.AuditOptions{Repair: true}, nil)
				assert.ErrorIs(t, err, hashstore.ErrReadOnly)

				// Repair: the same findings, the repairable ones repaired.
				opts.Repair = true
				found, sum = runAudit(t, e.s, opts)
				got = make([]want, len(found))
				for i, f := range found {
					got[i] = key(f)
					if f.Repaired != "" {
						assert.True(t, strings.HasPrefix(f.Repaired, "removed "), f.Repaired)
					}
				}
				wantRepair := c.find(e)
				if c.repairAlso != nil {
					wantRepair = append(wantRepair, c.repairAlso(e)...)
				}
				assert.Equal(t, sortWants(wantRepair), sortWants(got))
				assertSummary(t, found, sum)
				after := snapshot(t, e.fs, e.root)
				var wantChanged []string
				if c.changes != nil {
					wantChanged = c.changes(e)
				}
				sort.Strings(wantChanged)
				assert.Equal(t, wantChanged, changed(broken, after), "the repair changes exactly these paths")

				// Audit again: what is left is what the case expects.
				opts.Repair = false
				found, sum = runAudit(t, e.s, opts)
				got = got[:0]
				for _, f := range found {
					got = append(got, key(f))
				}
				assert.Equal(t, sortWants(c.after(e)), sortWants(got))
				clean := true
				for _, w := range c.after(e) {
					clean = clean && !w.class.IsError()
				}
				assert.Equal(t, clean, sum.Clean)
			})
		}
	}
}

func assertSummary(t *testing.T, found []hashstore.Finding, sum hashstore.AuditSummary) {
	t.Helper()
	counts := map[hashstore.FindingClass]int{}
	errs, repaired := 0, 0
	for _, f := range found {
		counts[f.Class]++
		switch {
		case f.Repaired != "":
			repaired++
		case f.Class.IsError():
			errs++
		}
	}
	assert.Equal(t, counts, sum.Counts)
	assert.Equal(t, len(found), sum.Findings)
	assert.Equal(t, errs, sum.Errors)
	assert.Equal(t, repaired, sum.Repaired)
	assert.Equal(t, errs == 0, sum.Clean)
}

// TestAuditRepairedLineKeepsTheRest checks the bytes a line removal leaves: the other pids,
// one per line, in their order.
func TestAuditRepairedLineKeepsTheRest(t *testing.T) {
	for _, fsys := range auditFilesystems {
		t.Run(fsys.name, func(t *testing.T) {
			e := newAuditEnv(t, mkFs(t, fsys.mk))
			e.write(e.jtao.CIDRefsPath, e.jtao.PID+"\nghost.pid\n"+auditDupPID+"\n")
			found, sum := runAudit(t, e.s, hashstore.AuditOptions{Repair: true})
			require.Len(t, found, 1)
			assert.Equal(t, "ghost.pid", found[0].PID)
			assert.Contains(t, found[0].Repaired, `removed line "ghost.pid" from `+e.jtao.CIDRefsPath)
			assert.True(t, sum.Clean)
			assert.Equal(t, e.jtao.PID+"\n"+auditDupPID+"\n", e.read(e.jtao.CIDRefsPath))
			for _, pid := range []string{e.jtao.PID, auditDupPID} {
				_, err := e.s.FindObject(t.Context(), pid)
				assert.NoError(t, err)
			}
		})
	}
}

// TestAuditTempFiles: young temp files and temp files a writer still owns are neither
// reported nor removed; abandoned ones are.
func TestAuditTempFiles(t *testing.T) {
	for _, fsys := range auditFilesystems {
		t.Run(fsys.name, func(t *testing.T) {
			e := newAuditEnv(t, mkFs(t, fsys.mk))
			e.write("objects/tmp/tmpabandoned", "x")
			w := &atomicfile.Writer{Fs: e.fs, FileMode: 0o664, DirMode: 0o755}
			live, err := w.CreateTemp(e.abs("refs/tmp"))
			require.NoError(t, err)
			defer live.Discard()
			_, err = live.Write([]byte("being written"))
			require.NoError(t, err)
			liveRel := "refs/tmp/" + filepath.Base(live.Name())

			// With the real clock both are younger than the default grace.
			found, sum := runAudit(t, e.s, hashstore.AuditOptions{Repair: true})
			assert.Empty(t, found)
			assert.True(t, sum.Clean)
			assert.True(t, e.exists("objects/tmp/tmpabandoned"))

			// Without any grace the owned one is still protected by its owner's claim.
			found, _ = runAudit(t, e.s, hashstore.AuditOptions{Repair: true, TempGrace: -1})
			require.Len(t, found, 1)
			assert.Equal(t, "objects/tmp/tmpabandoned", found[0].Path)
			assert.Equal(t, "removed objects/tmp/tmpabandoned", found[0].Repaired)
			assert.False(t, e.exists("objects/tmp/tmpabandoned"))
			assert.True(t, e.exists(liveRel))

			// Hours later it is still owned.
			found, _ = runAudit(t, e.s, hashstore.AuditOptions{Repair: true, Now: later})
			assert.Empty(t, found)
			require.NoError(t, live.Commit(e.abs("refs/elsewhere")))
			assert.Equal(t, "being written", e.read("refs/elsewhere"))

			// A short grace: a file modified an hour ago is abandoned.
			e.write("metadata/tmp/tmpold", "x")
			old := time.Now().Add(-time.Hour)
			require.NoError(t, e.fs.Chtimes(e.abs("metadata/tmp/tmpold"), old, old))
			found, _ = runAudit(t, e.s, hashstore.AuditOptions{TempGrace: time.Minute,
				Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
			var paths []string
			for _, f := range found {
				paths = append(paths, f.Path)
			}
			assert.Contains(t, paths, "metadata/tmp/tmpold")
		})
	}
}

// TestAuditReportErrorStops: an error from the report function ends the audit with it.
func TestAuditReportErrorStops(t *testing.T) {
	e := newAuditEnv(t, fsRoot{afero.NewMemMapFs(), "/store"})
	e.remove(e.urn.CIDRefsPath)
	e.remove(e.doi.CIDRefsPath)
	stop := fmt.Errorf("enough")
	n := 0
	sum, err := e.s.Audit(t.Context(), hashstore.AuditOptions{}, func(hashstore.Finding) error {
		n++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
	assert.False(t, sum.Clean)
}

// TestAuditCancel: a cancelled context stops the walk.
func TestAuditCancel(t *testing.T) {
	e := newAuditEnv(t, fsRoot{afero.NewMemMapFs(), "/store"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sum, err := e.s.Audit(ctx, hashstore.AuditOptions{}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, sum.Clean)
}

// TestAuditUnderLoad audits, with and without repair and with a short grace for young files, while
// other goroutines store, describe and delete objects (some sharing content): every state
// the writers pass through is one the audit must recognise as transient.
func TestAuditUnderLoad(t *testing.T) {
	for _, fsys := range auditFilesystems {
		t.Run(fsys.name, func(t *testing.T) {
			fs, root := fsys.mk(t)
			s, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFs(fs), hashstore.WithSync(false))
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			var ops atomic.Int64
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ctx.Err() == nil; i++ {
						pid := fmt.Sprintf("load.%d.%d", w, i)
						data := fmt.Sprintf("content %d", i%5) // shared between workers
						if _, err := s.StoreObject(ctx, strings.NewReader(data), hashstore.WithPID(pid)); err != nil {
							assert.ErrorIs(t, err, context.Canceled)
							return
						}
						if _, err := s.StoreMetadata(ctx, pid, strings.NewReader("<doc/>")); err != nil {
							assert.ErrorIs(t, err, context.Canceled)
							return
						}
						if err := s.DeleteObject(ctx, pid); err != nil {
							assert.ErrorIs(t, err, context.Canceled)
							return
						}
						ops.Add(1)
					}
				}()
			}
			deadline := time.Now().Add(2 * time.Second)
			rounds := 0
			for time.Now().Before(deadline) || rounds < 3 {
				found, sum := runAudit(t, s, hashstore.AuditOptions{Repair: rounds%2 == 1, TempGrace: time.Second, Rehash: true})
				assert.Empty(t, found, "round %d", rounds)
				assert.True(t, sum.Clean)
				rounds++
			}
			cancel()
			wg.Wait()
			t.Logf("%d audits during %d store+delete cycles", rounds, ops.Load())
			assert.Positive(t, ops.Load())
			found, sum := runAudit(t, s, hashstore.AuditOptions{Now: later})
			assert.Empty(t, found)
			assert.True(t, sum.Clean)
		})
	}
}

// TestAuditBoundedMemory audits a store of 20,000 objects and checks that the live heap
// during the walk stays within a small constant of what it was before, sampling it on every
// Progress call: the audit holds no per-object state.
func TestAuditBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a store of 20,000 objects")
	}
	const n = 20000
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithSync(false), hashstore.WithProcessLocks(false))
	require.NoError(t, err)
	ctx := t.Context()
	// Built by writing the files the store would write (faster than StoreObject; the clean
	// audit below checks the layout): object, cid refs and pid refs per pid. The cids are made
	// up (nothing is rehashed) and share their shard directories, so that the objects and
	// their cid refs files are in two directories of 20,000 entries each, which the audit
	// must read in chunks.
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for {
				i := next.Add(1)
				if i > n {
					return
				}
				rand.Read(buf)
				cid := fmt.Sprintf("000000%058x", i)
				pid := fmt.Sprintf("pid.%d", i)
				for rel, data := range map[string][]byte{
					hashstoretest.ObjectPath(cid):  buf,
					hashstoretest.CIDRefsPath(cid): []byte(pid + "\n"),
					hashstoretest.PIDRefsPath(pid): []byte(cid),
				} {
					p := filepath.Join(root, filepath.FromSlash(rel))
					if !assert.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755)) || !assert.NoError(t, os.WriteFile(p, data, 0o664)) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	heap := func() uint64 {
		runtime.GC()
		runtime.GC() // the second empties the sync.Pool victim caches the first left
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	var peak uint64
	samples := 0
	sum, err := s.Audit(ctx, hashstore.AuditOptions{Progress: func(hashstore.AuditProgress) {
		samples++
		peak = max(peak, heap())
	}}, nil)
	require.NoError(t, err)
	assert.True(t, sum.Clean)
	assert.Equal(t, int64(3*n), sum.Files)
	assert.Greater(t, samples, 3*n/1000)
	growth := int64(peak) - int64(base)
	t.Logf("heap before %d KiB, peak during the audit %d KiB (%+d KiB) over %d samples", base>>10, peak>>10, growth>>10, samples)
	// A map of the 40,000 ids would take several MiB; the walk itself needs a few hundred KiB.
	assert.Less(t, growth, int64(1<<20), "the audit's heap must not grow with the store")
}

// TestAuditReportMayUseTheStore: findings are reported with no lock held, so the report
// function may call the store, even about the very ids of the finding.
func TestAuditReportMayUseTheStore(t *testing.T) {
	for _, fsys := range auditFilesystems {
		t.Run(fsys.name, func(t *testing.T) {
			e := newAuditEnv(t, mkFs(t, fsys.mk))
			e.write(e.urn.CIDRefsPath, e.urn.PID+"\nghost.pid\n")
			n := 0
			_, err := e.s.Audit(t.Context(), hashstore.AuditOptions{Repair: true}, func(f hashstore.Finding) error {
				n++
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				return e.s.TagObject(ctx, "tagged.from.report", f.CID)
			})
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			_, err = e.s.FindObject(t.Context(), "tagged.from.report")
			assert.NoError(t, err)
		})
	}
}

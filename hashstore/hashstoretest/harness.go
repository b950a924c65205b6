// Package hashstoretest is the conformance suite for HashStore implementations that keep the
// DataONE on-disk layout (FORMAT.md). Run executes every case of CONFORMANCE.md that this
// project covers, each as a subtest named after its id (C001...), against stores made by a
// Harness. Expectations about paths and bytes are computed from the reference vectors, never
// from the implementation's own path helpers.
//
// Ids the suite does not cover are listed, with the reason, in UNCOVERED.md beside this file.
package hashstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

//go:embed vectors
var vectorFiles embed.FS

// Vector is one reference test object (VECTORS.md): its pid, data, system metadata, every
// digest and every path relative to a depth-3, width-2, SHA-256 store.
type Vector struct {
	PID           string
	File          string // data file name in vectors/ (the pid made colon-free)
	Size          int64  // data size in bytes
	Digests       map[hashstore.Algorithm]string
	CID           string
	ObjectPath    string
	CIDRefsPath   string
	PIDHash       string
	PIDRefsPath   string
	SysmetaName   string // H(pid + default namespace)
	SysmetaPath   string
	SysmetaSHA256 string
}

// Data returns the vector's data bytes.
func (v Vector) Data() []byte { return mustRead("vectors/" + v.File) }

// Sysmeta returns the vector's system metadata document.
func (v Vector) Sysmeta() []byte { return mustRead("vectors/" + v.File + ".xml") }

func mustRead(name string) []byte {
	b, err := vectorFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Vectors returns the three reference test objects, in VECTORS.md order.
func Vectors() []Vector { return append([]Vector{}, vectorTable...) }

// Harness tells Run how to make the stores under test.
type Harness struct {
	// NewRoot returns a filesystem and a path in it where no store exists yet. Each case
	// calls it once (or more, for cases about several stores).
	NewRoot func(t *testing.T) (afero.Fs, string)
	// Open opens the store at root, creating it with cfg if there is none (hashstore.New
	// semantics: an existing store with other properties is refused).
	Open func(t *testing.T, fsys afero.Fs, root string, cfg hashstore.Config) (hashstore.Store, error)
	// Put, if set, replaces Store.StoreObject as the way cases add data (with the same
	// options and the same results). The hard-link converter sets it to link files in.
	Put func(t *testing.T, e *Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error)
	// Skip, if set, is asked about each case id; a non-empty answer skips the case with that
	// reason (for harnesses where a case's premise does not apply, such as a case about
	// reading from a failing stream when data arrives by hard link).
	Skip func(id string) string
}

// FileHashStore is the Harness for hashstore.FileHashStore on the filesystems NewRoot makes.
func FileHashStore(newRoot func(t *testing.T) (afero.Fs, string), opts ...hashstore.Option) Harness {
	return Harness{
		NewRoot: newRoot,
		Open: func(t *testing.T, fsys afero.Fs, root string, cfg hashstore.Config) (hashstore.Store, error) {
			return hashstore.New(root, cfg, append([]hashstore.Option{hashstore.WithFs(fsys)}, opts...)...)
		},
	}
}

// OSRoot is a NewRoot on the OS filesystem in a fresh t.TempDir.
func OSRoot(t *testing.T) (afero.Fs, string) {
	return afero.NewOsFs(), filepath.Join(t.TempDir(), "store")
}

// MemRoot is a NewRoot on afero's memory filesystem.
func MemRoot(t *testing.T) (afero.Fs, string) { return afero.NewMemMapFs(), "/hashstore" }

// testCase is one registered conformance case.
type testCase struct {
	id   string // CONFORMANCE.md id or range, e.g. "C037" or "C037-C040"
	name string
	fn   func(t *testing.T, e *Env)
}

var registry []testCase

// register adds cases to the suite; each file of the suite registers its own in init.
func register(id, name string, fn func(t *testing.T, e *Env)) {
	registry = append(registry, testCase{id, name, fn})
}

// Run runs every registered case, in id order, as subtest "<id>_<name>", each on a fresh
// store with DefaultConfig.
func Run(t *testing.T, h Harness) {
	cases := append([]testCase{}, registry...)
	sort.SliceStable(cases, func(i, j int) bool { return cases[i].id < cases[j].id })
	for _, c := range cases {
		t.Run(c.id+"_"+c.name, func(t *testing.T) {
			if h.Skip != nil {
				if why := h.Skip(c.id); why != "" {
					t.Skip(why)
				}
			}
			c.fn(t, NewEnv(t, h, hashstore.DefaultConfig()))
		})
	}
}

// Env is one case's world: a store on a filesystem, and helpers to look at its files.
type Env struct {
	T       *testing.T
	H       Harness
	Fs      afero.Fs
	Root    string
	Config  hashstore.Config
	Store   hashstore.Store
	Context context.Context
}

// NewEnv makes a fresh store with cfg through h.
func NewEnv(t *testing.T, h Harness, cfg hashstore.Config) *Env {
	fsys, root := h.NewRoot(t)
	s, err := h.Open(t, fsys, root, cfg)
	require.NoError(t, err, "creating the store")
	return &Env{T: t, H: h, Fs: fsys, Root: root, Config: cfg, Store: s, Context: t.Context()}
}

// Reopen opens the same root again with cfg, returning the store or the error.
func (e *Env) Reopen(cfg hashstore.Config) (hashstore.Store, error) {
	return e.H.Open(e.T, e.Fs, e.Root, cfg)
}

// Put adds data as StoreObject would (through the harness's Put if it has one).
func (e *Env) Put(data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
	if e.H.Put != nil {
		return e.H.Put(e.T, e, data, opts...)
	}
	return e.Store.StoreObject(e.Context, bytes.NewReader(data), opts...)
}

// PutVector stores v's data under its pid and fails the test on error.
func (e *Env) PutVector(v Vector, opts ...hashstore.StoreOption) hashstore.ObjectMetadata {
	e.T.Helper()
	meta, err := e.Put(v.Data(), append([]hashstore.StoreOption{hashstore.WithPID(v.PID)}, opts...)...)
	require.NoError(e.T, err, "storing %s", v.PID)
	return meta
}

// PutSysmeta stores v's system metadata under its pid in the default namespace.
func (e *Env) PutSysmeta(v Vector) string {
	e.T.Helper()
	p, err := e.Store.StoreMetadata(e.Context, v.PID, bytes.NewReader(v.Sysmeta()))
	require.NoError(e.T, err)
	return p
}

// Path joins a store-relative slash path to the root.
func (e *Env) Path(rel string) string { return filepath.Join(e.Root, filepath.FromSlash(rel)) }

// Exists reports whether a store-relative path exists.
func (e *Env) Exists(rel string) bool {
	_, err := e.Fs.Stat(e.Path(rel))
	return err == nil
}

// ReadFile returns a store-relative file's content, failing the test if it cannot.
func (e *Env) ReadFile(rel string) []byte {
	e.T.Helper()
	b, err := afero.ReadFile(e.Fs, e.Path(rel))
	require.NoError(e.T, err)
	return b
}

// WriteFile writes a store-relative file directly (to set up broken states), creating its
// directory.
func (e *Env) WriteFile(rel string, data []byte) {
	e.T.Helper()
	require.NoError(e.T, e.Fs.MkdirAll(path.Dir(e.Path(rel)), 0o755))
	require.NoError(e.T, afero.WriteFile(e.Fs, e.Path(rel), data, 0o664))
}

// Remove deletes a store-relative file directly (to set up broken states).
func (e *Env) Remove(rel string) {
	e.T.Helper()
	require.NoError(e.T, e.Fs.Remove(e.Path(rel)))
}

// Files lists the regular files under a store-relative directory, as store-relative slash
// paths, skipping its tmp/ directory.
func (e *Env) Files(dir string) []string {
	e.T.Helper()
	var out []string
	base := e.Path(dir)
	if _, err := e.Fs.Stat(base); err != nil {
		return nil
	}
	err := afero.Walk(e.Fs, base, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.Root, p)
		rel = filepath.ToSlash(rel)
		if fi.IsDir() && fi.Name() == "tmp" && filepath.Dir(p) == base {
			return filepath.SkipDir
		}
		if fi.Mode().IsRegular() {
			out = append(out, rel)
		}
		return nil
	})
	require.NoError(e.T, err)
	return out
}

// Count is len(Files(dir)).
func (e *Env) Count(dir string) int { return len(e.Files(dir)) }

// TmpEmpty asserts that objects/tmp, metadata/tmp and refs/tmp hold nothing.
func (e *Env) TmpEmpty() {
	e.T.Helper()
	for _, d := range []string{"objects/tmp", "metadata/tmp", "refs/tmp"} {
		entries, err := afero.ReadDir(e.Fs, e.Path(d))
		require.NoError(e.T, err)
		names := make([]string, 0, len(entries))
		for _, en := range entries {
			names = append(names, en.Name())
		}
		require.Empty(e.T, names, "%s must be empty", d)
	}
}

// Tree returns every file under the root as store-relative path -> sha256 of its content
// (directories map to "dir/"), for before/after comparisons. The locks/ directory is left out:
// lock files are created on first use, whether or not the operation then succeeds, and hold
// no data.
func (e *Env) Tree() map[string]string {
	e.T.Helper()
	out := map[string]string{}
	err := afero.Walk(e.Fs, e.Root, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.Root, p)
		if fi.IsDir() && rel == "locks" {
			return filepath.SkipDir
		}
		if fi.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = "dir/"
			return nil
		}
		b, err := afero.ReadFile(e.Fs, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	require.NoError(e.T, err)
	return out
}

// PIDRefsPath is refs/pids/shard(sha256(pid)) for a depth-3, width-2, SHA-256 store,
// computed here, independently of the implementation.
func PIDRefsPath(pid string) string { return "refs/pids/" + shard(sha256Hex(pid)) }

// CIDRefsPath is refs/cids/shard(cid) for a depth-3, width-2 store.
func CIDRefsPath(cid string) string { return "refs/cids/" + shard(cid) }

// ObjectPath is objects/shard(cid) for a depth-3, width-2 store.
func ObjectPath(cid string) string { return "objects/" + shard(cid) }

// MetadataPath is metadata/shard(sha256(pid))/sha256(pid+formatID) for a SHA-256 store.
func MetadataPath(pid, formatID string) string {
	return "metadata/" + shard(sha256Hex(pid)) + "/" + sha256Hex(pid+formatID)
}

func shard(id string) string {
	var parts []string
	for i := 0; i < 3 && len(id) > 0; i++ {
		n := min(2, len(id))
		parts, id = append(parts, id[:n]), id[n:]
	}
	if id != "" {
		parts = append(parts, id)
	}
	return strings.Join(parts, "/")
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// SHA256Hex returns the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

package hashstoretest

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

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
	env := bareEnv(t, h, cfg)
	_, err := openAt(env, cfg)
	require.NoError(t, err, "creating the store")
	return env
}

// bareEnv returns an Env for a new root of h where nothing exists yet and no store is open
// (Store is nil until openAt succeeds).
func bareEnv(t *testing.T, h Harness, cfg hashstore.Config) *Env {
	fsys, root := h.NewRoot(t)
	return &Env{T: t, H: h, Fs: fsys, Root: root, Config: cfg, Context: t.Context()}
}

// bareRoot is bareEnv for another root of e's harness.
func bareRoot(e *Env) *Env { return bareEnv(e.T, e.H, e.Config) }

// Reopen opens the same root again with cfg, returning the store or the error.
func (e *Env) Reopen(cfg hashstore.Config) (hashstore.Store, error) {
	return e.H.Open(e.T, e.Fs, e.Root, cfg)
}

// openAt reopens env's root with cfg and, on success, makes the store env.Store.
func openAt(env *Env, cfg hashstore.Config) (hashstore.Store, error) {
	s, err := env.Reopen(cfg)
	if err == nil {
		env.Store, env.Config = s, cfg
	}
	return s, err
}

// loadAt opens the existing store at env's root with the properties of its hashstore.yaml
// through Harness.Load, skipping the test if the harness has no Load.
func loadAt(t *testing.T, env *Env) (hashstore.Store, hashstore.Config, error) {
	t.Helper()
	if env.H.Load == nil {
		t.Skip("the harness cannot load a store's properties (Harness.Load is nil)")
	}
	return env.H.Load(t, env.Fs, env.Root)
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

// putDataOnly stores data without a pid and fails the test on error.
func putDataOnly(t *testing.T, e *Env, data []byte) hashstore.ObjectMetadata {
	t.Helper()
	meta, err := e.Put(data)
	require.NoError(t, err)
	return meta
}

// storeFn returns a function storing data with opts through env.Put, for rejectsWith.
func storeFn(env *Env, data []byte, opts ...hashstore.StoreOption) func() error {
	return func() error {
		_, err := env.Put(data, opts...)
		return err
	}
}

// PutSysmeta stores v's system metadata under its pid in the default namespace.
func (e *Env) PutSysmeta(v Vector) string {
	e.T.Helper()
	return storeMeta(e.T, e, v.PID, v.Sysmeta())
}

// storeMeta stores a metadata document and fails the test on error, returning its path.
func storeMeta(t *testing.T, e *Env, pid string, doc []byte, opts ...hashstore.MetadataOption) string {
	t.Helper()
	p, err := e.Store.StoreMetadata(e.Context, pid, bytes.NewReader(doc), opts...)
	require.NoError(t, err)
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

// outsideRoot returns a path next to (not inside) env's root, for input files.
func outsideRoot(env *Env, name string) string {
	return strings.TrimSuffix(env.Root, string(os.PathSeparator)) + "-" + name
}

// mkdirs creates store-relative directories directly.
func mkdirs(t *testing.T, env *Env, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		require.NoError(t, env.Fs.MkdirAll(env.Path(d), 0o755))
	}
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

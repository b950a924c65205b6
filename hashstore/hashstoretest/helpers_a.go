package hashstoretest

// Helpers for the cases of CONFORMANCE.md sections 1-4 and 16 (cases_config.go, cases_store.go,
// cases_internals.go, cases_paths.go).

import (
	"bytes"
	"crypto/sha512"
	"embed"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// yamlFixtures holds hashstore.yaml exactly as the reference implementations 1.1.0 write it for
// the default properties (copied from spec/fixtures).
//
//go:embed fixtures
var yamlFixtures embed.FS

const (
	pythonYAMLFixture = "fixtures/hashstore.python-1.1.0.yaml"
	javaYAMLFixture   = "fixtures/hashstore.java-1.1.0.yaml"
	// pythonYAMLSHA256 is the digest FORMAT.md 2.2 gives for the Python file.
	pythonYAMLSHA256 = "932caafd797f60d3bc11bd78181988deac26dc67a349b0c7c94d2cff4a010e42"
)

// yamlFixture returns an embedded fixture's bytes.
func yamlFixture(name string) []byte {
	b, err := yamlFixtures.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// replaceOnce returns s with old replaced by new, failing the test unless old occurs exactly
// once (so a fixture edit cannot silently do nothing).
func replaceOnce(t *testing.T, s []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(s, []byte(old)), "fixture must contain %q once", old)
	return bytes.Replace(s, []byte(old), []byte(new), 1)
}

// defaultDigestKeys are the digest-map keys every StoreObject returns.
var defaultDigestKeys = hashstore.DefaultAlgorithms()

// assertDigestSet asserts that got holds exactly the keys given, each with v's digest.
func assertDigestSet(t *testing.T, v Vector, got map[hashstore.Algorithm]string, keys ...hashstore.Algorithm) {
	t.Helper()
	gotKeys := slices.Sorted(maps.Keys(got))
	want := slices.Sorted(slices.Values(keys))
	assert.Equal(t, want, gotKeys, "digest map keys for %s", v.PID)
	for _, k := range keys {
		require.NotEmpty(t, v.Digests[k], "vector has no %s digest", k)
		assert.Equal(t, v.Digests[k], got[k], "%s of %s", k, v.PID)
	}
}

// bareRoot returns an Env for a new root of the harness where nothing exists yet and no store
// is open (Store is nil until openAt succeeds).
func bareRoot(e *Env) *Env {
	fsys, root := e.H.NewRoot(e.T)
	return &Env{T: e.T, H: e.H, Fs: fsys, Root: root, Config: e.Config, Context: e.Context}
}

// openAt opens (or creates) the store at env's root with cfg through the harness and, on
// success, makes it env.Store.
func openAt(env *Env, cfg hashstore.Config) (hashstore.Store, error) {
	s, err := env.H.Open(env.T, env.Fs, env.Root, cfg)
	if err == nil {
		env.Store, env.Config = s, cfg
	}
	return s, err
}

// treeOrEmpty is env.Tree() without the store's lock files (locks/, outside the data layout:
// a lock file appears the first time its stripe is used, whatever the outcome of the call), or
// an empty map when the root does not exist yet.
func treeOrEmpty(env *Env) map[string]string {
	if _, err := env.Fs.Stat(env.Root); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}
	}
	tree := env.Tree()
	for p := range tree {
		if p == "locks/" || strings.HasPrefix(p, "locks/") {
			delete(tree, p)
		}
	}
	return tree
}

// changesNothing runs fn and asserts that the whole tree under env's root (files, their
// content, and directories) is the same afterwards. It returns fn's error.
func changesNothing(t *testing.T, env *Env, fn func() error) error {
	t.Helper()
	before := treeOrEmpty(env)
	err := callSafely(t, fn)
	assert.Equal(t, before, treeOrEmpty(env), "the store must be unchanged")
	return err
}

// errPanicked stands for the error of a call that panicked (the panic is reported by
// callSafely).
var errPanicked = errors.New("call panicked")

// callSafely runs fn, turning a panic into a test failure and errPanicked, so that one broken
// call cannot take the whole suite down.
func callSafely(t *testing.T, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("call panicked: %v", r)
			err = errPanicked
		}
	}()
	return fn()
}

// rejectsWith asserts that fn fails with an error matching target and leaves the store
// unchanged, temp directories included.
func rejectsWith(t *testing.T, env *Env, target error, fn func() error, msgAndArgs ...any) error {
	t.Helper()
	err := changesNothing(t, env, fn)
	assert.ErrorIs(t, err, target, msgAndArgs...)
	return err
}

// storeFn returns a function storing data with opts through env.Put, for rejectsWith.
func storeFn(env *Env, data []byte, opts ...hashstore.StoreOption) func() error {
	return func() error {
		_, err := env.Put(data, opts...)
		return err
	}
}

// pseudoRandom returns n deterministic pseudo-random bytes.
func pseudoRandom(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8(seedBytes(seed)).Read(b)
	return b
}

// pseudoRandomReader streams n deterministic pseudo-random bytes without holding them.
func pseudoRandomReader(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8(seedBytes(seed)), n)
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

// countingReader counts the bytes read through it and records whether Read was called.
type countingReader struct {
	r     io.Reader
	mu    sync.Mutex
	n     int64
	calls int
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.mu.Lock()
	c.n += int64(k)
	c.calls++
	c.mu.Unlock()
	return k, err
}

func (c *countingReader) consumed() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.calls
}

// failingReader serves data and then, instead of io.EOF, fails with err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// hookReader serves data, calling hook once when at least after bytes have been served.
type hookReader struct {
	r     io.Reader
	after int64
	n     int64
	hook  func()
	fired bool
}

func (h *hookReader) Read(p []byte) (int, error) {
	k, err := h.r.Read(p)
	h.n += int64(k)
	if !h.fired && h.n >= h.after {
		h.fired = true
		h.hook()
	}
	return k, err
}

// stallingReader serves data, then signals drained and blocks until release is closed, then
// reports io.EOF: it holds a StoreObject call in the middle of its read.
type stallingReader struct {
	data     []byte
	drained  chan struct{}
	release  chan struct{}
	signaled bool
}

func newStallingReader(data []byte) *stallingReader {
	return &stallingReader{data: data, drained: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if len(s.data) > 0 {
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	}
	if !s.signaled {
		s.signaled = true
		close(s.drained)
	}
	<-s.release
	return 0, io.EOF
}

// stalledTempFile stores data (8 MiB or more, so that it spans several of the implementation's
// read chunks) through a reader that stalls after its last byte, and waits until objects/tmp
// holds exactly one file of len(data) bytes: the temp file, complete but not yet moved. It
// returns that file's information, then lets the store finish and returns its result.
func stalledTempFile(t *testing.T, e *Env, data []byte, opts ...hashstore.StoreOption) (fs.FileInfo, hashstore.ObjectMetadata, error) {
	t.Helper()
	r := newStallingReader(data)
	type result struct {
		meta hashstore.ObjectMetadata
		err  error
	}
	done := make(chan result, 1)
	go func() {
		meta, err := e.Store.StoreObject(e.Context, r, opts...)
		done <- result{meta, err}
	}()
	released := false
	release := func() {
		if !released {
			released = true
			close(r.release)
		}
	}
	defer release()
	select {
	case <-r.drained:
	case res := <-done:
		t.Fatalf("StoreObject returned before reaching the end of its input: %v", res.err)
	case <-time.After(30 * time.Second):
		t.Fatal("StoreObject did not read its input")
	}
	var seen fs.FileInfo
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, err := afero.ReadDir(e.Fs, e.Path("objects/tmp"))
		require.NoError(t, err)
		if len(entries) == 1 && entries[0].Size() == int64(len(data)) {
			seen = entries[0]
			break
		}
		require.LessOrEqual(t, len(entries), 1, "one store makes one temp file")
		time.Sleep(5 * time.Millisecond)
	}
	release()
	res := <-done
	require.NotNil(t, seen, "objects/tmp never held one temp file of %d bytes while the data was being stored", len(data))
	return seen, res.meta, res.err
}

// policyFileModes and policyDirModes are the permission policies of the references: Python's
// 0664 files / 0755 directories and Java's 0640 / 0750. A store picks one (FORMAT.md 4.5).
var (
	policyFileModes = []fs.FileMode{0o664, 0o640}
	policyDirModes  = []fs.FileMode{0o755, 0o750}
)

// modeOf returns the permission bits of a store-relative path.
func modeOf(t *testing.T, e *Env, rel string) fs.FileMode {
	t.Helper()
	fi, err := e.Fs.Stat(e.Path(rel))
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// sha512_224Hex is the SHA-512/224 hex digest of s's UTF-8 bytes, for stores created by the
// Java implementation with that algorithm.
func sha512_224Hex(s string) string {
	sum := sha512.Sum512_224([]byte(s))
	return hex.EncodeToString(sum[:])
}

// outsideRoot returns a path next to (not inside) env's root, for input files.
func outsideRoot(env *Env, name string) string {
	return strings.TrimSuffix(env.Root, string(os.PathSeparator)) + "-" + name
}

// readAllClose reads r to the end and closes it.
func readAllClose(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(r)
}

// hexOf is the lowercase hex form of a digest.
func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

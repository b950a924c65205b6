// Package hostile_test holds the library-level tests of a damaged or hostile store (what the
// store refuses when it reads, how the audit goes on past odd entries): FileHashStore on the
// OS filesystem, where pipes, sockets, links and permissions are real. The same behaviour is
// tested through the program, as real processes, in cmd/hashstore/internal/cli.
package hostile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/hashstore-go/hashstore/hashstore"
)

// deadline is how long one call may take before the test calls it hung.
const deadline = 5 * time.Second

// within runs f with a deadline: a call that blocks (on a named pipe, say) fails the test
// instead of hanging it. The goroutine of a hung call is left behind.
func within[T any](t *testing.T, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(deadline):
		t.Fatalf("hung: no return within %s", deadline)
	}
	var zero T
	return zero, nil
}

// world is a store on the OS filesystem holding pid P (data "p's data", a metadata document)
// and the bystander Q, and a directory outside it.
type world struct {
	s       *hashstore.FileHashStore
	root    string
	outside string
	p, q    hashstore.ObjectInfo
}

func newWorld(t *testing.T) *world {
	t.Helper()
	base := t.TempDir()
	w := &world{root: filepath.Join(base, "store"), outside: filepath.Join(base, "outside")}
	require.NoError(t, os.Mkdir(w.outside, 0o755))
	s, err := hashstore.New(w.root, hashstore.DefaultConfig(), hashstore.WithSync(false))
	require.NoError(t, err)
	w.s = s
	w.p = w.add(t, "p.1", "p's data\n")
	w.q = w.add(t, "q.1", "the bystander's data\n")
	return w
}

// add stores data and a metadata document under pid.
func (w *world) add(t *testing.T, pid, data string) hashstore.ObjectInfo {
	t.Helper()
	ctx := context.Background()
	_, err := w.s.StoreObject(ctx, bytes.NewReader([]byte(data)), hashstore.WithPID(pid))
	require.NoError(t, err)
	_, err = w.s.StoreMetadata(ctx, pid, bytes.NewReader([]byte("<doc of="+pid+"/>")))
	require.NoError(t, err)
	info, err := w.s.FindObject(ctx, pid)
	require.NoError(t, err)
	return info
}

// rel is a store path relative to the root, with slashes, as findings name it.
func (w *world) rel(t *testing.T, abs string) string {
	t.Helper()
	r, err := filepath.Rel(w.root, abs)
	require.NoError(t, err)
	return filepath.ToSlash(r)
}

// audit runs an audit (no grace: no writer is at work) and returns its findings.
func (w *world) audit(t *testing.T, opts hashstore.AuditOptions) ([]hashstore.Finding, hashstore.AuditSummary) {
	t.Helper()
	opts.TempGrace = -1
	var found []hashstore.Finding
	sum, err := within(t, func() (hashstore.AuditSummary, error) {
		return w.s.Audit(context.Background(), opts, func(f hashstore.Finding) error {
			found = append(found, f)
			return nil
		})
	})
	require.NoError(t, err)
	return found, sum
}

// finding returns the finding of class at rel, failing the test if there is none.
func finding(t *testing.T, found []hashstore.Finding, class hashstore.FindingClass, rel string) hashstore.Finding {
	t.Helper()
	for _, f := range found {
		if f.Class == class && f.Path == rel {
			return f
		}
	}
	require.Failf(t, "finding missing", "no %s at %s in %+v", class, rel, found)
	return hashstore.Finding{}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	require.NoError(t, unix.Mkfifo(p, 0o644))
}

func mksocket(t *testing.T, p string) {
	t.Helper()
	require.NoError(t, unix.Mknod(p, unix.S_IFSOCK|0o644, 0))
}

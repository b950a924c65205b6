package converter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/links"
)

func newTestConverter(t *testing.T) *Converter {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(false))
	require.NoError(t, err)
	ls, err := links.New(s)
	require.NoError(t, err)
	return New(ls)
}

// TestBulkBackpressure slows the writer down and checks that the reader never runs further
// ahead of it than the bounded queues allow: memory does not grow with the manifest.
func TestBulkBackpressure(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("pid,sysmeta\n")
	const n = 600
	for i := range n {
		fmt.Fprintf(&b, "p.%d,missing/%d.xml\n", i, i) // each fails at once: fileNotFound
	}
	manifest := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte(b.String()), 0o644))
	const workers, large = 2, 1
	// The queues: ordinary, large, results; one entry in each worker and in the reader.
	bound := int64(4*workers + 4*large + 8*(workers+large) + workers + large + 1)
	var worst, calls atomic.Int64
	opts := BulkOptions{Manifest: manifest, Workers: workers, LargeWorkers: large, ProgressInterval: time.Nanosecond,
		Progress: func(p Progress) {
			calls.Add(1)
			if d := p.Read - p.Done; d > worst.Load() {
				worst.Store(d)
			}
			time.Sleep(200 * time.Microsecond) // a slow writer
		}}
	sum, err := newTestConverter(t).RunBulk(context.Background(), opts)
	require.NoError(t, err)
	require.Equal(t, int64(n), sum.Failures[ClassFileNotFound])
	require.Greater(t, calls.Load(), int64(n/2))
	require.LessOrEqual(t, worst.Load(), bound, "entries read but not yet written")
	require.Greater(t, worst.Load(), int64(workers), "the queues were in use")
}

// TestBulkLargeLane holds a large file in its worker until every small file after it is done:
// with one ordinary worker, that finishes only if the large file has a lane of its own.
func TestBulkLargeLane(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("pid,path\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big"), make([]byte, 4096), 0o644))
	b.WriteString("big,big\n")
	const small = 40
	for i := range small {
		name := fmt.Sprintf("s%d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644))
		fmt.Fprintf(&b, "%s,%s\n", name, name)
	}
	manifest := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte(b.String()), 0o644))
	var done atomic.Int64
	released := make(chan bool, 1)
	testHookProcess = func(w *work) {
		if w.e.PID != "big" {
			return
		}
		require.True(t, w.large)
		deadline := time.Now().Add(20 * time.Second)
		for done.Load() < small && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		released <- done.Load() >= small
	}
	t.Cleanup(func() { testHookProcess = nil })
	opts := BulkOptions{Manifest: manifest, Workers: 1, LargeWorkers: 1, LargeThreshold: 1024, ProgressInterval: time.Nanosecond,
		Progress: func(p Progress) { done.Store(p.Done) }}
	sum, err := newTestConverter(t).RunBulk(context.Background(), opts)
	require.NoError(t, err)
	require.Zero(t, sum.Failed)
	require.True(t, <-released, "the small files were done while the large one was in its lane")
}

func TestPidSet(t *testing.T) {
	var s pidSet
	for i := range 100000 {
		_, seen := s.lookupOrAdd(PIDHash(fmt.Sprint(i)), uint32(i))
		require.False(t, seen)
	}
	for i := range 100000 {
		v, seen := s.lookupOrAdd(PIDHash(fmt.Sprint(i)), 1<<31)
		require.True(t, seen)
		require.Equal(t, uint32(i), v)
	}
	_, seen := s.lookupOrAdd(0, 7)
	require.False(t, seen)
	v, seen := s.lookupOrAdd(0, 8)
	require.True(t, seen)
	require.Equal(t, uint32(7), v)
	require.LessOrEqual(t, len(s.keys), 262144, "at most 8/3 slots per pid after growth")
}

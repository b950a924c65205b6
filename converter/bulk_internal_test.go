package converter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
)

func newTestConverter(t *testing.T) *Converter {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(false))
	require.NoError(t, err)
	return New(s, hashstore.LinkFile)
}

// manifestOpts are options that read the manifest at path, with the journal beside it.
func manifestOpts(t *testing.T, path string) BulkOptions {
	t.Helper()
	src, err := NewManifestSource(path)
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	return BulkOptions{Source: src, Journal: path + ".journal"}
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
	// The queues: ordinary, large, results; one entry in each worker and in the reader; with
	// one-record commits, one batch in the writer's hands, one queued, one being committed.
	bound := int64(4*workers + 4*large + 8*(workers+large) + workers + large + 1 + 3)
	var worst, calls atomic.Int64
	opts := manifestOpts(t, manifest)
	opts.Workers, opts.LargeWorkers, opts.ProgressInterval = workers, large, time.Nanosecond
	opts.CheckpointRecords = 1 // a commit, and so a Progress call, per object
	opts.Progress = func(p Progress) {
		calls.Add(1)
		if d := p.Read - p.Done; d > worst.Load() {
			worst.Store(d)
		}
		time.Sleep(200 * time.Microsecond) // a slow writer
	}
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
	opts := manifestOpts(t, manifest)
	opts.Workers, opts.LargeWorkers, opts.LargeThreshold, opts.ProgressInterval = 1, 1, 1024, time.Nanosecond
	opts.Progress = func(p Progress) { done.Store(p.Done) }
	sum, err := newTestConverter(t).RunBulk(context.Background(), opts)
	require.NoError(t, err)
	require.Zero(t, sum.Failed)
	require.True(t, <-released, "the small files were done while the large one was in its lane")
}

// rereader is a PIDRereader over a map from offsets to pids; an unknown offset is an error.
type rereader map[int64]string

func (r rereader) PIDAt(offset int64) (string, error) {
	pid, ok := r[offset]
	if !ok {
		return "", errors.New("no entry at that offset")
	}
	return pid, nil
}

// TestDuplicateConfirmedBySource: a repeated pid is found by hash and confirmed by reading the
// earlier entry's pid again from the source. A hash collision (another pid with the same
// hash), an entry the source cannot read again, and a source without a PIDRereader (whose
// pids are distinct) never make a duplicate.
func TestDuplicateConfirmedBySource(t *testing.T) {
	t.Parallel()
	r := &bulkRun{rereads: rereader{100: "a", 200: "b"}}
	next := func(line, offset int64, pid string) (int64, bool) {
		t.Helper()
		ord, err := r.addOrd(line, offset)
		require.NoError(t, err)
		return r.duplicate(ord, pid)
	}
	_, dup := next(2, 100, "a")
	require.False(t, dup)
	_, dup = next(3, 200, "b")
	require.False(t, dup)
	first, dup := next(4, 300, "a")
	require.True(t, dup)
	require.Equal(t, int64(2), first, "the line of the first entry with the pid")

	// A collision: the set holds the hash of "c" for the entry on line 2, whose pid is "a".
	_, seen := r.dups.LookupOrAdd(pidset.Hash("c"), 0)
	require.False(t, seen)
	_, dup = next(5, 400, "c")
	require.False(t, dup, "same hash, another pid: not a duplicate")

	// The entry a hash points to cannot be read again: not rejected on a hash alone.
	r.dups.LookupOrAdd(pidset.Hash("d"), 3) // the entry on line 5, at offset 400, unknown to it
	_, dup = next(6, 500, "d")
	require.False(t, dup)

	// Without a PIDRereader the source's pids are distinct by contract.
	plain := &bulkRun{}
	for line := range int64(3) {
		ord, err := plain.addOrd(line+2, line*10)
		require.NoError(t, err)
		_, dup := plain.duplicate(ord, "same")
		require.False(t, dup)
	}
}

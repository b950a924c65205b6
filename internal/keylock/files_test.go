package keylock

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newFiles(t *testing.T, stripes int) *Files {
	t.Helper()
	f, err := NewFiles(filepath.Join(t.TempDir(), "locks"), stripes, 0o664, 0o755)
	require.NoError(t, err)
	return f
}

func TestFilesExcludeGoroutines(t *testing.T) {
	f := newFiles(t, 4)
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := f.Lock(context.Background(), CID, "same-key")
			if !assert.NoError(t, err) {
				return
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(200 * time.Microsecond)
			inside.Add(-1)
			u()
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), maxInside.Load())
}

func TestFilesBoundedAndModes(t *testing.T) {
	f := newFiles(t, 8)
	for i := 0; i < 200; i++ {
		for _, k := range []Kind{PID, CID, Metadata} {
			u, err := f.Lock(context.Background(), k, filepath.Join("key", string(rune('a'+i%26)), string(rune(i))))
			require.NoError(t, err)
			u()
		}
	}
	entries, err := os.ReadDir(f.Dir())
	require.NoError(t, err)
	assert.LessOrEqual(t, len(entries), 3*8, "one file per kind and stripe at most")
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o664), fi.Mode().Perm(), e.Name())
	}
	fi, err := os.Stat(f.Dir())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
}

func TestFilesWaitEndsWithContext(t *testing.T) {
	f := newFiles(t, 16)
	u, err := f.Lock(context.Background(), PID, "p")
	require.NoError(t, err)
	defer u()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = f.Lock(ctx, PID, "p")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestFilesExcludeProcesses starts a child process that takes a lock and holds it until its
// stdin closes. While it holds it, this process cannot take the same key; afterwards it can.
func TestFilesExcludeProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockHolder$")
	cmd.Env = append(os.Environ(), "KEYLOCK_HELPER_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	f, err := NewFiles(dir, DefaultStripes, 0o664, 0o755)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	_, err = f.Lock(ctx, CID, "shared-cid")
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the child holds the lock")
	// Another key (on another stripe) is free.
	u, err := f.Lock(context.Background(), PID, "shared-cid")
	require.NoError(t, err)
	u()

	stdin.Close() // the child releases and exits
	require.NoError(t, cmd.Wait())
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err = f.Lock(ctx, CID, "shared-cid")
	require.NoError(t, err)
	u()
}

// TestHelperLockHolder is the child of TestFilesExcludeProcesses; it does nothing in a normal
// test run.
func TestHelperLockHolder(t *testing.T) {
	dir := os.Getenv("KEYLOCK_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	f, err := NewFiles(dir, DefaultStripes, 0o664, 0o755)
	require.NoError(t, err)
	u, err := f.Lock(context.Background(), CID, "shared-cid")
	require.NoError(t, err)
	os.Stdout.WriteString("locked\n")
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // until the parent closes our stdin
	u()
}

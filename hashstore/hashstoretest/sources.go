package hashstoretest

// Sources of data for StoreObject: deterministic pseudo-random bytes, and readers that count,
// fail, call back or stall, to watch what the store does while it reads.

import (
	"io"
	"io/fs"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// pseudoRandom returns n deterministic pseudo-random bytes: those pseudoRandomReader streams.
func pseudoRandom(seed uint64, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(pseudoRandomReader(seed, int64(n)), b); err != nil {
		panic(err) // a ChaCha8 stream never ends early
	}
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

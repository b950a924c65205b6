package multihash

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/align"
)

// hashSet builds fresh digests; each test case needs its own because Copy writes into them.
type hashSet struct {
	name string
	new  func() []hash.Hash
}

func fiveDefaults() []hash.Hash {
	return []hash.Hash{md5.New(), sha1.New(), sha256.New(), sha512.New384(), sha512.New()}
}

var hashSets = []hashSet{
	{"1", func() []hash.Hash { return []hash.Hash{sha256.New()} }},
	{"5", fiveDefaults},
	{"7", func() []hash.Hash {
		return append(fiveDefaults(), sha256.New224(), sha512.New512_256())
	}},
}

// testInput is deterministic pseudo-random data, long enough for every size the tests use.
var testInput = func() []byte {
	b := make([]byte, 6<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}()

// serialSums is the reference: every hash fed the whole input in one goroutine.
func serialSums(hs []hash.Hash, data []byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		h.Write(data)
		out[i] = h.Sum(nil)
	}
	return out
}

func sums(hs []hash.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h.Sum(nil)
	}
	return out
}

// copyWithin runs Copy but fails the test, rather than hanging it, if Copy does not return in
// time; for the cases where the bug being guarded against is a deadlock.
func copyWithin(t *testing.T, d time.Duration, ctx context.Context, r io.Reader, hs []hash.Hash, opts Options) (int64, error) {
	t.Helper()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := Copy(ctx, r, hs, opts)
		done <- result{n, err}
	}()
	select {
	case res := <-done:
		return res.n, res.err
	case <-time.After(d):
		t.Fatalf("Copy did not return within %v", d)
		return 0, nil
	}
}

// readerKinds are the read patterns Copy must not care about.
var readerKinds = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"plain", func(r io.Reader) io.Reader { return r }},
	{"one-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data-with-eof", iotest.DataErrReader},
}

// sizesFor covers the chunk boundaries where hand-off bugs live, plus a few random sizes.
func sizesFor(chunk int, rng *rand.Rand) []int {
	sizes := []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + chunk/3}
	for range 3 {
		sizes = append(sizes, rng.IntN(5*chunk))
	}
	return sizes
}

// TestCopyMatchesSerial checks that digests, byte count and tee output equal serial hashing
// for every size, read pattern, digest count and chunking.
func TestCopyMatchesSerial(t *testing.T) {
	chunkings := []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"1000x3", Options{ChunkSize: 1000, Chunks: 3}},
		{"64x1", Options{ChunkSize: 64, Chunks: 1}},
		{"1000x4-two-workers", Options{ChunkSize: 1000, workers: 2}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ck := range chunkings {
		chunk := ck.opts.ChunkSize
		if chunk == 0 {
			chunk = DefaultChunkSize
		}
		for _, size := range sizesFor(chunk, rng) {
			data := testInput[:size]
			for _, rk := range readerKinds {
				if rk.name == "one-byte" && size > 1<<20 {
					continue // millions of one-byte reads add time, not coverage
				}
				for _, hsSet := range hashSets {
					want := serialSums(hsSet.new(), data)
					for _, withTee := range []bool{false, true} {
						name := fmt.Sprintf("%s/size=%d/%s/hashes=%s/tee=%v", ck.name, size, rk.name, hsSet.name, withTee)
						t.Run(name, func(t *testing.T) {
							opts := ck.opts
							tee := &checkingWriter{want: data}
							if withTee {
								opts.Tee = tee
							}
							hs := hsSet.new()
							n, err := Copy(context.Background(), rk.wrap(bytes.NewReader(data)), hs, opts)
							require.NoError(t, err)
							assert.Equal(t, int64(size), n)
							assert.Equal(t, want, sums(hs))
							if withTee {
								tee.requireAll(t)
							}
						})
					}
				}
			}
		}
	}
}

// checkingWriter compares what it is given with the expected stream as it arrives, which under
// -race is much cheaper than buffering megabytes and comparing at the end.
type checkingWriter struct {
	want []byte
	off  int
	bad  int // offset of the first mismatching Write, or -1
	seen bool
}

func (w *checkingWriter) Write(p []byte) (int, error) {
	if !w.seen && (len(p) > len(w.want)-w.off || !bytes.Equal(p, w.want[w.off:w.off+len(p)])) {
		w.seen, w.bad = true, w.off
	}
	w.off += len(p)
	return len(p), nil
}

func (w *checkingWriter) requireAll(t *testing.T) {
	t.Helper()
	require.False(t, w.seen, "tee got wrong bytes at offset %d", w.bad)
	require.Equal(t, len(w.want), w.off, "tee got a different number of bytes")
}

// slowWriter records everything written while making each Write take a varying time, so the
// tee goroutine falls behind the digests and any reordering or buffer reuse would show.
type slowWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.writes++
	time.Sleep(time.Duration(w.writes%3) * time.Millisecond)
	return w.buf.Write(p)
}

// TestTeeReceivesExactInput checks that a slow tee still gets the input exactly, in order, even
// though chunks are recycled while it lags.
func TestTeeReceivesExactInput(t *testing.T) {
	data := testInput[:200*1024+17]
	tee := &slowWriter{}
	hs := fiveDefaults()
	n, err := Copy(context.Background(), bytes.NewReader(data), hs, Options{Tee: tee, ChunkSize: 4096, Chunks: 2})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	assert.True(t, bytes.Equal(data, tee.buf.Bytes()), "tee output differs from input")
	assert.Equal(t, serialSums(fiveDefaults(), data), sums(hs))
}

// countingReader counts the bytes handed out, to prove Copy never reads past its limit.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// TestLimit checks that an input of exactly Limit bytes passes, one byte more fails with
// ErrLimitExceeded, and no more than Limit+1 bytes are ever taken from the source.
func TestLimit(t *testing.T) {
	const chunk = 1000
	cases := []struct {
		name  string
		size  int
		limit int64
		fail  bool
	}{
		{"zero limit empty", 0, 0, false},
		{"zero limit one byte", 1, 0, true},
		{"inline exact", 500, 500, false},
		{"inline one over", 501, 500, true},
		{"inline far over", 900, 10, true},
		{"one byte limit", 1, 1, false},
		{"one byte limit two bytes", 2, 1, true},
		{"limit chunk-1 exact", chunk - 1, chunk - 1, false},
		{"limit chunk-1 over", chunk, chunk - 1, true},
		{"limit chunk exact", chunk, chunk, false},
		{"limit chunk over", chunk + 1, chunk, true},
		{"limit chunk+1 exact", chunk + 1, chunk + 1, false},
		{"pipeline exact", 5*chunk + 7, 5*chunk + 7, false},
		{"pipeline one over", 5*chunk + 8, 5*chunk + 7, true},
		{"pipeline far over", 50 * chunk, 5*chunk + 7, true},
		{"limit above size", 3 * chunk, 1 << 62, false},
	}
	for _, c := range cases {
		for _, rk := range readerKinds {
			t.Run(c.name+"/"+rk.name, func(t *testing.T) {
				data := testInput[:c.size]
				// Count outside the wrapper: DataErrReader reads ahead from what it wraps.
				src := &countingReader{r: rk.wrap(bytes.NewReader(data))}
				var tee bytes.Buffer
				hs := fiveDefaults()
				n, err := Copy(context.Background(), src, hs, Options{Limited: true, Limit: c.limit, ChunkSize: chunk, Tee: &tee})
				assert.LessOrEqual(t, src.n, c.limit+1, "read past Limit+1")
				assert.Equal(t, src.n, n, "returned count must be the bytes consumed")
				if c.fail {
					require.ErrorIs(t, err, ErrLimitExceeded)
					assert.Equal(t, c.limit+1, n)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, int64(c.size), n)
				assert.Equal(t, serialSums(fiveDefaults(), data), sums(hs))
				assert.True(t, bytes.Equal(data, tee.Bytes()))
			})
		}
	}
}

// requireNoLeak polls until the goroutine count is back to base. Copy waits for its goroutines,
// but a goroutine still exists for a moment after its function has returned.
func requireNoLeak(t *testing.T, base int) {
	t.Helper()
	// Not require.Eventually: it runs the condition on a goroutine of its own, which would count.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines leaked")
}

// errAfterReader serves data, then fails with err instead of io.EOF.
type errAfterReader struct {
	data []byte
	err  error
}

func (r *errAfterReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	k := copy(p, r.data)
	r.data = r.data[k:]
	return k, nil
}

var errBoom = errors.New("boom")

// TestReaderError checks that a source error, on the inline path or mid-pipeline, is returned
// and that every goroutine has exited.
func TestReaderError(t *testing.T) {
	for _, size := range []int{0, 10, 999, 1000, 1001, 7654} {
		for _, srcErr := range []error{errBoom, io.ErrUnexpectedEOF} {
			t.Run(fmt.Sprintf("%d/%v", size, srcErr), func(t *testing.T) {
				base := runtime.NumGoroutine()
				src := &errAfterReader{data: testInput[:size], err: srcErr}
				n, err := Copy(context.Background(), src, fiveDefaults(), Options{ChunkSize: 1000, Tee: io.Discard})
				require.ErrorIs(t, err, srcErr)
				assert.Equal(t, int64(size), n)
				requireNoLeak(t, base)
			})
		}
	}
}

// stallReader returns (0, nil) forever, which must not spin Copy.
type stallReader struct{}

func (stallReader) Read([]byte) (int, error) { return 0, nil }

// TestReaderWithoutProgress checks that a source that never returns data nor an error is given
// up on with io.ErrNoProgress.
func TestReaderWithoutProgress(t *testing.T) {
	_, err := copyWithin(t, 10*time.Second, context.Background(), stallReader{}, fiveDefaults(), Options{})
	require.ErrorIs(t, err, io.ErrNoProgress)
}

// cancellingReader cancels its context once it has served cancelAt bytes, and tracks whether a
// Read is in flight so the test can check Copy never abandons one.
type cancellingReader struct {
	r        io.Reader
	n        int64
	cancelAt int64
	cancel   context.CancelFunc
	inRead   atomic.Int32
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	c.inRead.Add(1)
	defer c.inRead.Add(-1)
	k, err := c.r.Read(p)
	c.n += int64(k)
	if c.n >= c.cancelAt {
		c.cancel()
	}
	return k, err
}

// TestCancelMidStream checks that cancelling between chunks makes Copy return ctx.Err() promptly,
// without reading the rest, with no Read in flight and no goroutine left.
func TestCancelMidStream(t *testing.T) {
	const chunk = 1000
	for _, afterChunks := range []int{1, 2, 5} {
		for _, withTee := range []bool{false, true} {
			t.Run(fmt.Sprintf("after=%d/tee=%v", afterChunks, withTee), func(t *testing.T) {
				base := runtime.NumGoroutine()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				src := &cancellingReader{r: bytes.NewReader(testInput[:100*chunk]), cancelAt: int64(afterChunks * chunk), cancel: cancel}
				opts := Options{ChunkSize: chunk}
				if withTee {
					opts.Tee = io.Discard
				}
				n, err := Copy(ctx, src, fiveDefaults(), opts)
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, int64(afterChunks*chunk), n, "Copy must stop at the first check after cancellation")
				assert.Equal(t, int32(0), src.inRead.Load(), "Copy returned with a Read in flight")
				requireNoLeak(t, base)
			})
		}
	}
}

// TestCancelledBeforeStart checks that a dead context stops Copy before it reads anything.
func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := &countingReader{r: bytes.NewReader(testInput[:10])}
	n, err := Copy(ctx, src, fiveDefaults(), Options{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, n)
	assert.Zero(t, src.n)
}

// activeWriter is a slow consumer (a hash or a tee) that records whether any Write is running,
// so a test can check that Copy waited for it rather than just signalling it to stop.
type activeWriter struct {
	hash.Hash
	active *atomic.Int32
	delay  time.Duration
}

func (w activeWriter) Write(p []byte) (int, error) {
	w.active.Add(1)
	defer w.active.Add(-1)
	time.Sleep(w.delay)
	return w.Hash.Write(p)
}

// TestCopyWaitsForConsumers checks that when Copy returns early no consumer is still running,
// which is what lets the caller reuse the hashes and the tee straight away.
func TestCopyWaitsForConsumers(t *testing.T) {
	var active atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &cancellingReader{r: bytes.NewReader(testInput[:100*1000]), cancelAt: 3000, cancel: cancel}
	hs := []hash.Hash{
		activeWriter{Hash: md5.New(), active: &active, delay: 20 * time.Millisecond},
		activeWriter{Hash: sha1.New(), active: &active, delay: 5 * time.Millisecond},
	}
	tee := activeWriter{Hash: crc32.NewIEEE(), active: &active, delay: 30 * time.Millisecond}
	_, err := Copy(ctx, src, hs, Options{ChunkSize: 1000, Tee: tee})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(0), active.Load(), "a consumer was still writing when Copy returned")
}

// panicHash panics in the Write after its first `after` ones.
type panicHash struct {
	hash.Hash
	after int
	calls int
	value any
}

func (p *panicHash) Write(b []byte) (int, error) {
	p.calls++
	if p.calls > p.after {
		panic(p.value)
	}
	return p.Hash.Write(b)
}

// TestDigestPanic checks that a panicking hash, inline or in the pipeline, yields an error
// naming the panic instead of crashing or hanging the other consumers, and leaks nothing.
func TestDigestPanic(t *testing.T) {
	cases := []struct {
		name  string
		size  int
		after int
		value any
	}{
		{"inline", 10, 0, "kaboom"},
		{"first chunk", 5000, 0, "kaboom"},
		{"third chunk", 5000, 2, "kaboom"},
		{"error value", 5000, 1, errBoom},
	}
	for _, c := range cases {
		for _, workers := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(t *testing.T) {
				base := runtime.NumGoroutine()
				hs := fiveDefaults()
				hs[2] = &panicHash{Hash: sha256.New(), after: c.after, value: c.value}
				_, err := copyWithin(t, 10*time.Second, context.Background(), bytes.NewReader(testInput[:c.size]), hs,
					Options{ChunkSize: 1000, Chunks: 2, Tee: io.Discard, workers: workers})
				require.ErrorIs(t, err, ErrDigestPanic)
				assert.Contains(t, err.Error(), fmt.Sprint(c.value))
				assert.Contains(t, err.Error(), "digest 2")
				if e, ok := c.value.(error); ok {
					assert.ErrorIs(t, err, e, "an error panic value must stay matchable")
				}
				requireNoLeak(t, base)
			})
		}
	}
}

// failingWriter accepts `budget` bytes, then fails or, if short is set, reports a short write
// without an error.
type failingWriter struct {
	budget int
	short  bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.budget {
		w.budget -= len(p)
		return len(p), nil
	}
	k := w.budget
	w.budget = 0
	if w.short {
		return k, nil
	}
	return k, errBoom
}

// TestTeeError checks that a failing tee, inline or mid-pipeline, stops the copy with its error
// (or io.ErrShortWrite for a short write) and leaks nothing.
func TestTeeError(t *testing.T) {
	for _, size := range []int{10, 999, 5000, 50000} {
		for _, short := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/short=%v", size, short), func(t *testing.T) {
				base := runtime.NumGoroutine()
				tee := &failingWriter{budget: size / 2, short: short}
				src := &countingReader{r: bytes.NewReader(testInput[:size])}
				_, err := Copy(context.Background(), src, fiveDefaults(), Options{ChunkSize: 1000, Tee: tee})
				if short {
					require.ErrorIs(t, err, io.ErrShortWrite)
				} else {
					require.ErrorIs(t, err, errBoom)
				}
				if size >= 50000 {
					assert.Less(t, src.n, int64(size), "Copy kept reading after the tee failed")
				}
				requireNoLeak(t, base)
			})
		}
	}
}

// TestNoGoroutineLeak runs every way a pipelined Copy can fail and checks, after each, that the
// goroutine count is back to where it was.
func TestNoGoroutineLeak(t *testing.T) {
	const chunk = 1000
	data := testInput[:40*chunk]
	cases := []struct {
		name string
		run  func() error
	}{
		{"limit", func() error {
			_, err := Copy(context.Background(), bytes.NewReader(data), fiveDefaults(), Options{ChunkSize: chunk, Limited: true, Limit: 10 * chunk, Tee: io.Discard})
			return err
		}},
		{"reader error", func() error {
			_, err := Copy(context.Background(), &errAfterReader{data: data, err: errBoom}, fiveDefaults(), Options{ChunkSize: chunk, Tee: io.Discard})
			return err
		}},
		{"cancel", func() error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := &cancellingReader{r: bytes.NewReader(data), cancelAt: 3 * chunk, cancel: cancel}
			_, err := Copy(ctx, src, fiveDefaults(), Options{ChunkSize: chunk, Tee: io.Discard})
			return err
		}},
		{"tee error", func() error {
			_, err := Copy(context.Background(), bytes.NewReader(data), fiveDefaults(), Options{ChunkSize: chunk, Tee: &failingWriter{budget: 5 * chunk}})
			return err
		}},
		{"digest panic", func() error {
			hs := append(fiveDefaults(), &panicHash{Hash: md5.New(), after: 3, value: "kaboom"})
			_, err := Copy(context.Background(), bytes.NewReader(data), hs, Options{ChunkSize: chunk, Tee: io.Discard})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			before := pipelineStarts.Load()
			require.Error(t, c.run())
			require.Equal(t, int64(1), pipelineStarts.Load()-before, "the case must exercise the pipeline")
			requireNoLeak(t, base)
		})
	}
}

// TestSmallInputStaysInline checks that input ending within the first chunk starts no pipeline,
// and that input past it does, so the counter is known to work.
func TestSmallInputStaysInline(t *testing.T) {
	cases := []struct {
		size     int
		pipeline bool
	}{
		{0, false}, {1, false}, {999, false}, {1001, true}, {5000, true},
	}
	for _, c := range cases {
		for _, withTee := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/tee=%v", c.size, withTee), func(t *testing.T) {
				opts := Options{ChunkSize: 1000}
				if withTee {
					opts.Tee = io.Discard
				}
				before := pipelineStarts.Load()
				_, err := Copy(context.Background(), bytes.NewReader(testInput[:c.size]), fiveDefaults(), opts)
				require.NoError(t, err)
				started := pipelineStarts.Load() - before
				if c.pipeline {
					assert.Equal(t, int64(1), started)
				} else {
					assert.Zero(t, started)
				}
			})
		}
	}
}

// TestNoConsumers checks that Copy with neither digests nor tee still counts the input rather
// than waiting for releases that nobody would make.
func TestNoConsumers(t *testing.T) {
	for _, size := range []int{0, 10, 5000} {
		n, err := copyWithin(t, 10*time.Second, context.Background(), bytes.NewReader(testInput[:size]), nil, Options{ChunkSize: 1000})
		require.NoError(t, err)
		assert.Equal(t, int64(size), n)
	}
}

// patternReader serves `left` bytes of a repeated pattern without holding them all, standing in
// for a huge file.
type patternReader struct{ left int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	for done := 0; done < len(p); {
		done += copy(p[done:], testInput[:64<<10])
	}
	r.left -= int64(len(p))
	return len(p), nil
}

// TestMemoryBoundedByPool checks that a stream much larger than the pool allocates no more than
// the pool, whatever its length.
func TestMemoryBoundedByPool(t *testing.T) {
	const size = 512 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := Copy(context.Background(), &patternReader{left: size}, []hash.Hash{crc32.NewIEEE(), crc32.NewIEEE()}, Options{Tee: io.Discard})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(DefaultChunks*DefaultChunkSize+1<<20), "allocated %d bytes for a %d-byte stream", allocated, size)
}

// TestConcurrentCopies checks that simultaneous Copy calls sharing the package buffer pool
// never see each other's data.
func TestConcurrentCopies(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data := testInput[i*1000 : i*1000+20000+i*333]
			hs := fiveDefaults()
			_, err := Copy(context.Background(), bytes.NewReader(data), hs, Options{ChunkSize: 1000})
			assert.NoError(t, err)
			assert.Equal(t, serialSums(fiveDefaults(), data), sums(hs))
		})
	}
	wg.Wait()
}

// alignRecorder is a Tee that records whether every buffer it got started at an align.Block
// boundary and was a whole number of blocks (the last one excepted).
type alignRecorder struct {
	misaligned, oddSized int
	sizes                []int
}

func (a *alignRecorder) Write(p []byte) (int, error) {
	if !align.Aligned(p) {
		a.misaligned++
	}
	if len(p)%align.Block != 0 {
		a.oddSized++
	}
	a.sizes = append(a.sizes, len(p))
	return len(p), nil
}

// The Tee can write the chunks with O_DIRECT: aligned buffers, whole blocks but for the tail.
func TestChunksAreAlignedForDirectWrites(t *testing.T) {
	var rec alignRecorder
	data := make([]byte, 5*DefaultChunkSize+123)
	// A reader handing out odd-sized pieces must not make the chunks odd-sized.
	n, err := Copy(context.Background(), iotest.HalfReader(bytes.NewReader(data)), []hash.Hash{md5.New()}, Options{Tee: &rec})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	assert.Zero(t, rec.misaligned, "chunk buffers must start at a block boundary")
	assert.Equal(t, 1, rec.oddSized, "only the tail may be a partial block: %v", rec.sizes)
	assert.Len(t, rec.sizes, 6)
}

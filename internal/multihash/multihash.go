// Package multihash feeds one stream of bytes to several digests in a single pass.
//
// A store object is read once, but DataONE wants several checksums of it (MD5, SHA-1, SHA-256,
// SHA-384, SHA-512 by default) and the bytes also have to land in a temporary file. Updating
// the digests one after another in one goroutine leaves every core but one idle, so Copy reads
// fixed-size chunks in the calling goroutine and hands each chunk, read-only, to one goroutine
// per digest and one for the tee. A small fixed pool of chunks bounds memory per stream
// whatever the input size, and reference counts return a chunk to the pool once every consumer
// is done with it. Inputs that fit in the first chunk skip all of that and are hashed inline.
package multihash

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashstore-go/hashstore/internal/align"
)

// ErrLimitExceeded is returned by Copy when the source holds more than Options.Limit bytes.
var ErrLimitExceeded = errors.New("multihash: input longer than its limit")

// ErrDigestPanic is wrapped by the error Copy returns when a hash's Write panics. The panic is
// recovered so that one broken hash.Hash cannot take the process down or hang the other
// digests; the error text carries the digest's index, type and panic value.
var ErrDigestPanic = errors.New("multihash: digest panicked")

const (
	// DefaultChunkSize is the chunk size used when Options.ChunkSize is zero. 256 KiB keeps the
	// per-chunk hand-off cost (channel sends, wake-ups) small next to hashing the chunk, and is
	// also the inline cut-off: an input of a few chunks already gains from spreading them over
	// the cores (bench/README.md).
	DefaultChunkSize = 256 << 10
	// DefaultChunks is the pool size used when Options.Chunks is zero. Eight chunks (2 MiB per
	// stream) let the reader run ahead of the slowest digest so that faster digests never
	// starve, which is what keeps every core busy; larger pools bought nothing measurable, so
	// the smaller footprint costs nothing.
	DefaultChunks = 8
)

// Options tunes one Copy call. The zero value hashes the whole input with default chunking.
type Options struct {
	// Tee, when non-nil, receives every byte read, in order. A Tee error stops the copy.
	Tee io.Writer
	// Limited makes Limit (which may be 0) the most bytes the source may hold. Copy then reads
	// at most Limit+1 bytes and returns an error wrapping ErrLimitExceeded if the extra byte
	// exists.
	Limited bool
	Limit   int64
	// ChunkSize is the size of each read from the source and of each buffer handed to the
	// digests; values <= 0 mean DefaultChunkSize. Input that ends within the first chunk is
	// hashed in the calling goroutine, so this is also the threshold for going parallel.
	ChunkSize int
	// Chunks is how many buffers one Copy may hold at once, so peak buffer memory per call is
	// Chunks*ChunkSize; values <= 0 mean DefaultChunks. 1 is allowed but serialises reading with
	// hashing.
	Chunks int

	// workers, when > 0, spreads the digests round-robin over that many goroutines instead of
	// one goroutine each. It exists so the benchmarks can compare the two layouts.
	workers int
}

// Copy reads r to EOF exactly once, writing every byte to opts.Tee (if set) and to every hash
// in hs. It returns the number of bytes consumed from r (at most Limit+1 when a limit is set).
// It stops early with ctx.Err() when ctx is cancelled, with the reader's or Tee's error
// (returned as is), with an error wrapping ErrLimitExceeded, or with one wrapping
// ErrDigestPanic. On error the states of hs are unspecified.
//
// Concurrency: when the input is longer than one chunk, each hash's Write and the Tee's Write
// run on goroutines of their own, concurrently with each other and with reads from r. Each
// hash and the Tee still see their writes one at a time and in stream order, so the elements of
// hs must be distinct and unused by anyone else until Copy returns. The slices they receive are
// shared and must be neither modified nor retained, as io.Writer already requires.
//
// Reads happen only in the calling goroutine, and every goroutine Copy starts has exited when
// it returns, so the caller may close or reuse r, the Tee and the hashes as soon as Copy
// returns. The flip side is that cancellation is only noticed between chunks: a Read (or a Tee
// Write) that blocks forever blocks Copy until it returns. Callers that need to bound that
// unblock it themselves, typically by closing the source when ctx is done.
func Copy(ctx context.Context, r io.Reader, hs []hash.Hash, opts Options) (int64, error) {
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}

	first := getChunk(size)
	k, err := fill(r, first.buf[:readSize(opts, 0, size)])
	n := int64(k)
	switch {
	case err != nil && err != io.EOF:
		putChunk(first)
		return n, err
	case opts.Limited && n > opts.Limit:
		putChunk(first)
		return n, limitError(opts.Limit)
	case err == io.EOF:
		// The whole input fit in one chunk: goroutines and hand-offs would cost more than the
		// hashing they could parallelise.
		err = writeInline(hs, opts.Tee, first.buf[:k])
		putChunk(first)
		return n, err
	}
	first.n = k
	return runPipeline(ctx, r, hs, opts, size, first)
}

// readSize is how much the next read may ask for, so that no more than Limit+1 bytes are ever
// taken from the source: a reader positioned in a larger stream must keep the rest.
func readSize(opts Options, done int64, size int) int {
	if !opts.Limited {
		return size
	}
	limit := opts.Limit
	// limit-done >= 0 here because Copy stops as soon as done exceeds limit; computing the
	// remainder before adding 1 keeps limit == MaxInt64 from overflowing.
	if rest := limit - done; rest < int64(size) {
		return int(rest) + 1
	}
	return size
}

func limitError(limit int64) error {
	return fmt.Errorf("%w (%d bytes)", ErrLimitExceeded, limit)
}

// maxEmptyReads mirrors bufio's guard: a source that keeps returning (0, nil) would otherwise
// spin Copy forever, so after this many in a row Copy fails with io.ErrNoProgress.
const maxEmptyReads = 100

var errBadRead = errors.New("multihash: reader returned an invalid count")

// fill reads into buf until it is full or the source reports an error. Unlike io.ReadFull it
// passes the source's error through unchanged, so a clean end is exactly io.EOF: io.ReadFull
// turns an early EOF into io.ErrUnexpectedEOF, and a truncated compressed stream that itself
// reports io.ErrUnexpectedEOF would then be indistinguishable from a short, complete input.
func fill(r io.Reader, buf []byte) (int, error) {
	n, empty := 0, 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		if k < 0 || k > len(buf)-n {
			return n, errBadRead
		}
		n += k
		if err != nil {
			return n, err
		}
		if k > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// writeInline is the small-input path: everything in the calling goroutine, with the same
// panic contract as the pipeline so callers see one behaviour whatever the input size.
func writeInline(hs []hash.Hash, tee io.Writer, p []byte) error {
	if tee != nil {
		if err := writeTee(tee, p); err != nil {
			return err
		}
	}
	return writeDigests(hs, nil, p)
}

func writeTee(w io.Writer, p []byte) error {
	k, err := w.Write(p)
	if err == nil && k != len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// writeDigests writes p to hs[i] for each i in idx (all of hs when idx is nil), converting a
// panic into an error naming the digest at fault.
func writeDigests(hs []hash.Hash, idx []int, p []byte) (err error) {
	cur := -1
	defer func() {
		if v := recover(); v != nil {
			err = digestPanic(cur, hs[cur], v)
		}
	}()
	if idx == nil {
		for cur = range hs {
			hs[cur].Write(p)
		}
		return nil
	}
	for _, cur = range idx {
		hs[cur].Write(p)
	}
	return nil
}

func digestPanic(i int, h hash.Hash, v any) error {
	if e, ok := v.(error); ok {
		return fmt.Errorf("%w: digest %d (%T): %w", ErrDigestPanic, i, h, e)
	}
	return fmt.Errorf("%w: digest %d (%T): %v", ErrDigestPanic, i, h, v)
}

// chunk is one pooled buffer. refs counts the consumers that have not yet finished with it; the
// one that drops it to zero hands it back to the reader.
type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

// chunkPools holds one sync.Pool per chunk size (map[int]*sync.Pool), so repeated Copy calls
// reuse their buffers instead of allocating Chunks*ChunkSize each time, and a caller using an
// odd size cannot make the default-size pool hand out wrong-sized buffers.
var chunkPools sync.Map

func poolFor(size int) *sync.Pool {
	if p, ok := chunkPools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := chunkPools.LoadOrStore(size, &sync.Pool{
		// Aligned for direct I/O, so that a Tee writing to a file opened with O_DIRECT can
		// write the chunks as they come; every chunk but the last is also a whole number of
		// blocks when ChunkSize is a multiple of align.Block, as DefaultChunkSize is.
		New: func() any { return &chunk{buf: align.Buffer(size)} },
	})
	return p.(*sync.Pool)
}

func getChunk(size int) *chunk {
	return poolFor(size).Get().(*chunk)
}

func putChunk(c *chunk) {
	c.n = 0
	poolFor(len(c.buf)).Put(c)
}

// pipelineStarts counts pipelines started; tests use it to check that small inputs stay inline.
var pipelineStarts atomic.Int64

// pipeline is the state of one parallel Copy. Only the calling goroutine touches owned and
// inputs; consumers touch free, stop and the failure fields.
type pipeline struct {
	size   int
	max    int
	owned  []*chunk      // every buffer taken from the pool, returned to it at the end
	free   chan *chunk   // buffers every consumer has released; capacity max, so never blocks
	inputs []chan *chunk // one per consumer; capacity max, so dispatch never blocks
	wg     sync.WaitGroup

	stop     atomic.Bool // consumers skip their work once set, to drain quickly
	failOnce sync.Once
	failed   chan struct{} // closed after err is set
	err      error         // first consumer failure
}

func runPipeline(ctx context.Context, r io.Reader, hs []hash.Hash, opts Options, size int, first *chunk) (int64, error) {
	pipelineStarts.Add(1)
	p := &pipeline{
		size:   size,
		max:    max(opts.Chunks, 0),
		owned:  []*chunk{first},
		failed: make(chan struct{}),
	}
	if p.max == 0 {
		p.max = DefaultChunks
	}
	p.free = make(chan *chunk, p.max)

	if opts.Tee != nil {
		tee := opts.Tee
		p.start(func(b []byte) error { return writeTee(tee, b) })
	}
	for _, idx := range groupDigests(len(hs), opts.workers) {
		p.start(func(b []byte) error { return writeDigests(hs, idx, b) })
	}

	n := int64(first.n)
	p.dispatch(first)
	for {
		if err := ctx.Err(); err != nil {
			return n, p.abort(err)
		}
		c, err := p.acquire(ctx)
		if err != nil {
			return n, p.abort(err)
		}
		k, rerr := fill(r, c.buf[:readSize(opts, n, size)])
		n += int64(k)
		if opts.Limited && n > opts.Limit {
			p.free <- c
			return n, p.abort(limitError(opts.Limit))
		}
		if k > 0 {
			c.n = k
			p.dispatch(c)
		} else {
			p.free <- c
		}
		if rerr == io.EOF {
			return n, p.finish()
		}
		if rerr != nil {
			return n, p.abort(rerr)
		}
	}
}

// groupDigests returns the digest indices each digest goroutine serves. By default every digest
// gets its own goroutine and the Go scheduler balances them over the available cores, which
// adapts to digests of very different speeds; a static grouping cannot know those speeds.
func groupDigests(n, workers int) [][]int {
	if workers <= 0 || workers > n {
		workers = n
	}
	groups := make([][]int, workers)
	for i := range n {
		groups[i%workers] = append(groups[i%workers], i)
	}
	return groups
}

func (p *pipeline) start(write func([]byte) error) {
	in := make(chan *chunk, p.max)
	p.inputs = append(p.inputs, in)
	p.wg.Go(func() {
		for c := range in {
			if !p.stop.Load() {
				if err := write(c.buf[:c.n]); err != nil {
					p.fail(err)
				}
			}
			p.release(c)
			// Yield so each chunk is a scheduling point. A consumer whose queue is full runs
			// through it without blocking, so with more consumers than cores whole-stream runs
			// would be placed by work stealing once and never rebalanced
			// (BenchmarkFiveDigestsEngineGrouped compares the layouts).
			runtime.Gosched()
		}
	})
}

func (p *pipeline) fail(err error) {
	p.failOnce.Do(func() {
		p.err = err
		p.stop.Store(true)
		close(p.failed)
	})
}

func (p *pipeline) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		p.free <- c
	}
}

// dispatch hands a filled chunk to every consumer. The reference count is set before the first
// send so that no consumer can release it early.
func (p *pipeline) dispatch(c *chunk) {
	if len(p.inputs) == 0 {
		p.free <- c
		return
	}
	c.refs.Store(int32(len(p.inputs)))
	for _, in := range p.inputs {
		in <- c
	}
}

// acquire returns a buffer to read into: a released one if any, else a new one while the pool
// is below its size, else it waits for a release. Waiting also ends on a consumer failure or on
// cancellation, since the consumers may never release anything again.
func (p *pipeline) acquire(ctx context.Context) (*chunk, error) {
	// A failure is checked on its own first: once consumers stop working they release buffers
	// quickly, and a select offering both would keep picking a buffer and reading on.
	select {
	case <-p.failed:
		return nil, p.err
	default:
	}
	select {
	case c := <-p.free:
		return c, nil
	default:
	}
	if len(p.owned) < p.max {
		c := getChunk(p.size)
		p.owned = append(p.owned, c)
		return c, nil
	}
	select {
	case c := <-p.free:
		return c, nil
	case <-p.failed:
		return nil, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// abort stops the consumers without letting them finish their queues and returns err, or the
// consumer failure if that is what stopped the reader.
func (p *pipeline) abort(err error) error {
	p.stop.Store(true)
	p.shutdown()
	return err
}

// finish lets the consumers process everything dispatched, then reports the first failure.
func (p *pipeline) finish() error {
	p.shutdown()
	return p.err
}

// shutdown closes the consumers' inputs and waits for them; only then may the buffers go back
// to the shared pool, because until then a consumer may still be reading one.
func (p *pipeline) shutdown() {
	for _, in := range p.inputs {
		close(in)
	}
	p.wg.Wait()
	for _, c := range p.owned {
		putChunk(c)
	}
	p.owned = nil
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/hashstore-go/hashstore/hashstore"
)

// OpenStoreAndInput opens the store, then the input named name (as OpenInput), for the
// operation op on id: an input that cannot be opened is an *hashstore.OpError naming both.
func (a *App) OpenStoreAndInput(ctx context.Context, op, id, name string) (*hashstore.FileHashStore, io.ReadCloser, error) {
	st, err := a.OpenStore()
	if err != nil {
		return nil, nil, err
	}
	in, err := a.OpenInput(ctx, name)
	if err != nil {
		return nil, nil, &hashstore.OpError{Op: op, ID: id, Err: err}
	}
	return st, in, nil
}

// OpenInput opens the data a command reads: "-" is stdin, anything else a file. A source that
// can block (a pipe, a terminal, a FIFO) is read through a pipe that is closed when ctx is
// done, so an interrupt stops even a read that waits for input, and the store can clean up.
func (a *App) OpenInput(ctx context.Context, name string) (io.ReadCloser, error) {
	if name == "-" {
		if f, ok := a.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			a.Noticef("reading the data from standard input; end it with Ctrl-D")
		}
		return interruptible(ctx, a.Stdin, func() error { return nil }), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is a directory, not a file", hashstore.ErrInvalidArgument, name)
	}
	return interruptible(ctx, f, f.Close), nil
}

// interruptible returns r as a ReadCloser whose close calls closeSrc. If r is an *os.File
// that is not a regular file, reads go through a goroutine and a pipe that ctx closes.
func interruptible(ctx context.Context, r io.Reader, closeSrc func() error) io.ReadCloser {
	f, ok := r.(*os.File)
	if !ok {
		return readCloser{r, closeSrc}
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return readCloser{r, closeSrc}
	}
	pr, pw := io.Pipe()
	go func() {
		// A plain reader, so that CopyBuffer uses the buffer rather than File.WriteTo.
		_, err := io.CopyBuffer(pw, struct{ io.Reader }{f}, make([]byte, copyBufferSize))
		pw.CloseWithError(err)
	}()
	// Closing the write half makes the pending and every later Read return the cause.
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	return readCloser{pr, func() error {
		stop()
		pr.Close() // ends the goroutine at its next write
		return closeSrc()
	}}
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

const copyBufferSize = 256 << 10

// copyOut copies n bytes (all of r if n < 0) from r to w, checking ctx between reads.
func copyOut(ctx context.Context, w io.Writer, r io.Reader, n int64) (int64, error) {
	src := io.Reader(&ctxReader{ctx: ctx, r: r})
	if n >= 0 {
		src = io.LimitReader(src, n)
	}
	// A plain writer, so that CopyBuffer uses the buffer rather than File.ReadFrom's 32 KiB.
	return io.CopyBuffer(struct{ io.Writer }{w}, src, make([]byte, copyBufferSize))
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Output is where a command writes the bytes it retrieves: stdout, or a file that appears,
// complete, only when Commit succeeds (it is written as FILE.tmp, then renamed).
type Output struct {
	w    io.Writer
	f    *os.File // nil for stdout
	path string
	sync bool
}

// CreateOutput returns an Output for path; "" or "-" is stdout. The file is synced before it
// is renamed unless --no-sync.
func (a *App) CreateOutput(path string) (*Output, error) {
	if path == "" || path == "-" {
		return &Output{w: a.Stdout}, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%w: output %s is a directory", hashstore.ErrInvalidArgument, path)
	}
	f, err := os.OpenFile(path+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	return &Output{w: f, f: f, path: path, sync: !a.Flags.NoSync}, nil
}

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Path returns the file written, or "" for stdout.
func (o *Output) Path() string { return o.path }

// Commit makes the file appear under its name. On failure the temp file is removed.
func (o *Output) Commit() error {
	if o.f == nil {
		return nil
	}
	f := o.f
	o.f = nil
	tmp := f.Name()
	err := func() error {
		if o.sync {
			if err := f.Sync(); err != nil {
				return err
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(tmp, o.path)
	}()
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if o.sync {
		// The file is complete under its name; making the rename durable is best effort (some
		// filesystems refuse to sync a directory).
		if d, err := os.Open(filepath.Dir(o.path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// Abort removes the temp file unless Commit succeeded; it is safe to defer.
func (o *Output) Abort() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.f.Name())
		o.f = nil
	}
}

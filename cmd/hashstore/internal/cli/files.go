package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/afero"
	"golang.org/x/term"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/safeopen"
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

// OpenInput opens the data a command reads: "-" is stdin, anything else a file. A regular file
// is opened as openInputFile opens it. Standard input, a named pipe and a character device can
// block (waiting for a writer, or for input): they are opened and read by a goroutine through
// a pipe that is closed when ctx is done, so an interrupt stops even an open or a read that
// waits, and the store can clean up. A directory or socket is an invalid argument.
func (a *App) OpenInput(ctx context.Context, name string) (io.ReadCloser, error) {
	if name == "-" {
		if f, ok := a.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			a.Noticef("reading the data from standard input; end it with Ctrl-D")
		}
		if f, ok := a.Stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				return readCloser{f, func() error { return nil }}, nil // redirected from a file: cannot block
			}
		}
		return interruptible(ctx, func() (io.Reader, error) { return a.Stdin, nil }, func() error { return nil }), nil
	}
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	switch t := fi.Mode().Type(); {
	case t == 0:
		f, err := openInputFile(name)
		if err != nil {
			return nil, err
		}
		return readCloser{f, f.Close}, nil
	case t&(fs.ModeNamedPipe|fs.ModeCharDevice) != 0 && t&fs.ModeDir == 0:
		var f *os.File
		open := func() (io.Reader, error) {
			var err error
			f, err = os.Open(name)
			return f, err
		}
		return interruptible(ctx, open, func() error {
			if f != nil {
				return f.Close()
			}
			return nil
		}), nil
	}
	return nil, fmt.Errorf("%w: %s is %s, not a file to read", hashstore.ErrInvalidArgument, name, safeopen.Describe(fi.Mode()))
}

// interruptible returns a ReadCloser over what open opens, read by a goroutine (which also
// does the open) through a pipe that ctx closes: the pending and every later Read then return
// the cause, whatever the goroutine is blocked in. Its Close calls closeSrc once the goroutine
// is done with the source.
func interruptible(ctx context.Context, open func() (io.Reader, error), closeSrc func() error) io.ReadCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r, err := open()
		if err == nil {
			// A plain reader, so that CopyBuffer uses the buffer rather than File.WriteTo.
			_, err = io.CopyBuffer(pw, struct{ io.Reader }{r}, make([]byte, copyBufferSize))
		}
		pw.CloseWithError(err)
	}()
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	return readCloser{pr, func() error {
		stop()
		pr.Close() // ends the goroutine at its next write
		select {
		case <-done:
			return closeSrc()
		default:
			// Still blocked in an open or a read of a pipe or device: the source is left to
			// the goroutine, which the process's exit ends.
			return nil
		}
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
// complete, only when Commit succeeds. The file is written under a fresh name of its own in
// FILE's directory (created exclusively, so nothing already there, a symbolic link included,
// is ever followed or overwritten) and renamed over FILE at the end: a failed or interrupted
// command leaves FILE as it was, and of several commands writing one FILE at once, the last to
// finish leaves its complete output.
type Output struct {
	w    io.Writer
	tmp  *atomicfile.Temp // nil for stdout
	path string
}

// CreateOutput returns an Output for path; "" or "-" is stdout. The file is synced before it
// is renamed unless --no-sync; it gets mode 0666 less the umask, as a file the shell creates.
func (a *App) CreateOutput(path string) (*Output, error) {
	if path == "" || path == "-" {
		return &Output{w: a.Stdout}, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%w: output %s is a directory", hashstore.ErrInvalidArgument, path)
	}
	mode := fs.FileMode(0o644)
	if u, ok := atomicfile.Umask(); ok {
		mode = 0o666 &^ u
	}
	files := &atomicfile.Writer{Fs: afero.NewOsFs(), Sync: !a.Flags.NoSync, FileMode: mode, DirMode: 0o755}
	tmp, err := files.CreateTempBeside(path)
	if err != nil {
		return nil, err
	}
	return &Output{w: tmp, tmp: tmp, path: path}, nil
}

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Path returns the file written, or "" for stdout.
func (o *Output) Path() string { return o.path }

// Commit makes the file appear under its name. On failure the temp file is removed.
func (o *Output) Commit() error {
	if o.tmp == nil {
		return nil
	}
	t := o.tmp
	o.tmp = nil
	return t.Commit(o.path)
}

// Abort removes the temp file unless Commit succeeded; it is safe to defer.
func (o *Output) Abort() {
	if o.tmp != nil {
		o.tmp.Discard()
		o.tmp = nil
	}
}

// openInputFile opens a file the user named as input: a regular file (a symbolic link to one
// is followed), opened without blocking; a directory, named pipe, device or socket is an
// invalid argument that says what it is.
func openInputFile(name string) (*os.File, error) {
	f, err := safeopen.OpenInput(name)
	var nr *safeopen.NotRegularError
	if errors.As(err, &nr) {
		return nil, fmt.Errorf("%w: %s is %s, not a regular file", hashstore.ErrInvalidArgument, name, nr.Found)
	}
	return f, err
}

// readInputFile reads a document the user named as input (openInputFile), refusing one of
// more than max bytes without reading more than max+1.
func readInputFile(name string, max int64) ([]byte, error) {
	data, err := safeopen.ReadInput(name, max)
	var nr *safeopen.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, fmt.Errorf("%w: %s is %s, not a regular file", hashstore.ErrInvalidArgument, name, nr.Found)
	case errors.Is(err, safeopen.ErrTooLarge):
		return nil, fmt.Errorf("%w: %v", hashstore.ErrInvalidArgument, err)
	}
	return data, err
}

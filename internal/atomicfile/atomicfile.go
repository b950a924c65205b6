// Package atomicfile makes files appear atomically on an afero.Fs: a file is written under a
// temporary name in a temp directory, flushed, and renamed into place, so a reader sees either
// the old state or the complete new file, never a partial one.
//
// With Sync on, a committed file is durable when Commit returns: the file is fsynced before the
// rename, and its directory (plus the parents of any directory created for it) after. With Sync
// off those fsyncs are skipped; a crash may then lose recent files but never exposes a partial
// one, because the rename still happens only after the data is written.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/align"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// TempPrefix starts the name of every temp file, like the Python implementation's names.
const TempPrefix = "tmp"

// Writer creates files and directories on Fs with fixed modes and optional fsyncs.
// It is safe for concurrent use.
type Writer struct {
	Fs afero.Fs
	// Sync turns on the fsyncs that make a commit durable when it returns.
	Sync bool
	// Group, when set (with Sync off), makes commits and new directories durable together at
	// the group's next Flush instead of one by one (see Group).
	Group *Group
	// FileMode and DirMode are applied exactly (with chmod, so the umask does not narrow them).
	FileMode fs.FileMode
	DirMode  fs.FileMode
	// Root, when set, is a directory below which no symbolic link is followed: every write,
	// rename or removal through the Writer first checks that no directory between Root and
	// the file is a symlink (safeopen.ErrSymlink), so a link planted inside a store cannot redirect a
	// write out of it. Root itself may be a symlink.
	Root string
	// DirectAfter, when > 0, lets a temp file bypass the page cache once that many bytes have
	// been written to it (O_DIRECT, on Linux, on the local block filesystems ext4, XFS and
	// btrfs; elsewhere it changes nothing). Writes must then come in whole align.Block blocks
	// from aligned buffers (align.Buffer) to stay direct: the first that does not (normally
	// the stream's short last piece) turns the file back to ordinary writes for good. A large
	// file then costs its writer neither the page cache's memory nor the kernel's work of
	// filling it, and an fsync has only metadata left to flush.
	DirectAfter int64

	placing atomic.Int32 // MkdirAllEach calls running

	umaskOnce  sync.Once // see umask
	umaskValue int
}

// WithFileMode returns a new Writer like w (same filesystem, fsyncs, directory mode, root and
// direct writes) whose files get mode. A Writer cannot be copied (it counts its running
// MkdirAllEach calls), so this is how to write one file with another mode.
func (w *Writer) WithFileMode(mode fs.FileMode) *Writer {
	return &Writer{Fs: w.Fs, Sync: w.Sync, Group: w.Group, FileMode: mode, DirMode: w.DirMode, Root: w.Root, DirectAfter: w.DirectAfter}
}

// Temp is a file being written under a temporary name. It is not safe for concurrent use.
// Exactly one of Commit or Discard ends it; Discard after Commit is a no-op, so
// `defer t.Discard()` is the idiom that guarantees no temp file survives a failure.
type Temp struct {
	w      *Writer
	f      afero.File
	name   string
	done   bool
	off    int64       // bytes written so far, which is the file offset
	direct directState // see Writer.DirectAfter
}

// CreateTemp creates a new empty temp file in dir with the writer's file mode.
func (w *Writer) CreateTemp(dir string) (*Temp, error) {
	return w.createTemp(dir, TempPrefix)
}

// CreateTempBeside creates a new empty temp file for final in final's own directory, named
// "."+base(final)+".tmp-" and a random suffix, so that temp files an interrupted writer of
// final left behind can be recognised (RemoveStaleTemps) among other files of that directory.
func (w *Writer) CreateTempBeside(final string) (*Temp, error) {
	return w.createTemp(filepath.Dir(final), besidePrefix(final))
}

func besidePrefix(final string) string { return "." + filepath.Base(final) + ".tmp-" }

// RemoveStaleTemps removes the temp files CreateTempBeside made for final that no writer
// owns any more (InUse with no grace period): the leftovers of a writer that was killed.
func (w *Writer) RemoveStaleTemps(final string) error {
	dir, prefix := filepath.Dir(final), besidePrefix(final)
	entries, err := afero.ReadDir(w.Fs, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var errs []error
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if !e.Mode().IsRegular() || !strings.HasPrefix(e.Name(), prefix) || InUse(w.Fs, name, 0, time.Now()) {
			continue
		}
		if err := w.Fs.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (w *Writer) createTemp(dir, prefix string) (*Temp, error) {
	if err := w.CheckDir(dir); err != nil {
		return nil, err
	}
	for range 10 {
		name := filepath.Join(dir, prefix+randomSuffix())
		// Registered before it exists, so no audit in this process can see it unclaimed.
		live.Store(name, struct{}{})
		f, err := w.Fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, w.FileMode)
		if err != nil {
			release(name)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return nil, err
		}
		claim(f)
		if err := w.chmod(name, w.FileMode); err != nil {
			w.Fs.Remove(name)
			f.Close()
			release(name)
			return nil, err
		}
		return &Temp{w: w, f: f, name: name}, nil
	}
	return nil, &fs.PathError{Op: "createtemp", Path: dir, Err: fs.ErrExist}
}

func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Name is the temp file's current path.
func (t *Temp) Name() string { return t.name }

// Write appends p to the temp file. Past Writer.DirectAfter bytes it writes directly to the
// device where it can (see there); a device that refuses a direct write gets the same bytes
// through the page cache instead.
func (t *Temp) Write(p []byte) (int, error) {
	if t.direct == directUndecided && t.w.DirectAfter > 0 && t.off >= t.w.DirectAfter {
		t.startDirect()
	}
	if t.direct == directOn && !directWrite(p, t.off) {
		if err := t.stopDirect(); err != nil {
			return 0, err
		}
	}
	n, err := t.f.Write(p)
	t.off += int64(n)
	if err != nil && t.direct == directOn && isDirectRefusal(err) {
		if serr := t.stopDirect(); serr != nil {
			return n, err
		}
		m, err := t.f.Write(p[n:])
		t.off += int64(m)
		return n + m, err
	}
	return n, err
}

// startDirect turns direct writes on, or off for good where the file cannot have them.
func (t *Temp) startDirect() {
	t.direct = directOff
	osf, ok := safeopen.OSFile(t.f)
	if !ok || t.off%align.Block != 0 || !directSupported(osf) || setDirect(osf, true) != nil {
		return
	}
	t.direct = directOn
}

// stopDirect turns direct writes off for the rest of the file.
func (t *Temp) stopDirect() error {
	t.direct = directOff
	osf, _ := safeopen.OSFile(t.f) // there is one: startDirect found it
	if err := setDirect(osf, false); err != nil {
		return &fs.PathError{Op: "write", Path: t.name, Err: err}
	}
	return nil
}

// Commit flushes the temp file, creates final's directory if needed, renames the temp file to
// final (replacing any file there) and closes it. The file stays open, and so claimed by its
// writer (see InUse), until it has its final name. With Sync on, final is durable when Commit
// returns. On error before the rename, the temp file is removed and final is unchanged; an
// error after it (closing, or syncing the directory) leaves final in place, so a caller that
// must undo the commit on error undoes it whatever the error.
func (t *Temp) Commit(final string) error { return t.commit(final, true) }

// CommitPrepared is Commit for a final whose directory the caller has just made (and checked)
// with MkdirAll, so it is not looked at again.
func (t *Temp) CommitPrepared(final string) error { return t.commit(final, false) }

func (t *Temp) commit(final string, mkdir bool) error {
	if t.done {
		return &fs.PathError{Op: "commit", Path: t.name, Err: fs.ErrClosed}
	}
	t.done = true
	defer release(t.name)
	fail := func(err error) error {
		t.w.Fs.Remove(t.name)
		t.f.Close()
		return err
	}
	g := t.w.Group
	if t.w.Sync || (g != nil && t.replaces(final)) {
		// In a group the content of a file that replaces another is flushed now all the same:
		// the old file may be durable, and a power cut must not trade it for an empty one.
		if err := t.f.Sync(); err != nil {
			return fail(err)
		}
	}
	dir := filepath.Dir(final)
	if mkdir {
		if err := t.w.MkdirAll(dir); err != nil {
			return fail(err)
		}
	}
	if err := t.w.Fs.Rename(t.name, final); err != nil {
		return fail(err)
	}
	if err := t.f.Close(); err != nil {
		return err
	}
	switch {
	case t.w.Sync:
		return t.w.SyncDir(dir)
	case g != nil:
		g.addFile(final)
		g.AddDir(dir)
	}
	return nil
}

// replaces reports whether something stands at final, which a commit would replace.
func (t *Temp) replaces(final string) bool {
	_, err := safeopen.Lstat(t.w.Fs, final)
	return err == nil
}

// Discard removes and closes the temp file. It is a no-op after Commit or a previous Discard.
func (t *Temp) Discard() {
	if t.done {
		return
	}
	t.done = true
	t.w.Fs.Remove(t.name)
	t.f.Close()
	release(t.name)
}

// WriteFile writes data to final atomically through a temp file in tmpDir.
func (w *Writer) WriteFile(tmpDir, final string, data []byte) error {
	t, err := w.CreateTemp(tmpDir)
	if err != nil {
		return err
	}
	defer t.Discard()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.Commit(final)
}

// CopyFile is WriteFile for a stream.
func (w *Writer) CopyFile(tmpDir, final string, r io.Reader) error {
	t, err := w.CreateTemp(tmpDir)
	if err != nil {
		return err
	}
	defer t.Discard()
	if _, err := io.Copy(t, r); err != nil {
		return err
	}
	return t.Commit(final)
}

// MkdirAll creates dir and any missing parents with the writer's directory mode. With Sync on,
// the parent of every directory it creates is fsynced so the new entries survive a crash.
// Directories created concurrently by someone else are fine. Below Root, an existing symbolic
// link on the way is refused (safeopen.ErrSymlink) before anything is created.
func (w *Writer) MkdirAll(dir string) error {
	c, err := w.checkDir(dir)
	if err != nil {
		return err
	}
	if !c.checked {
		c.info, _ = w.Fs.Stat(dir)
	}
	if c.info != nil && c.missing == "" {
		if c.info.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
	}
	// The missing chain, innermost first: from dir up to the outermost missing directory,
	// which checkDir found on its way down, or (unchecked) by stat'ing upwards.
	var missing []string
	for d := dir; ; {
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if d == c.missing || parent == d {
			break
		}
		if c.missing == "" {
			if _, err := w.Fs.Stat(parent); err == nil {
				break
			}
		}
		d = parent
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		err := w.Fs.Mkdir(d, w.DirMode)
		if errors.Is(err, fs.ErrExist) {
			continue // someone else made it; not ours to chmod or sync
		}
		if err != nil {
			return err
		}
		if err := w.chmod(d, w.DirMode); err != nil {
			return err
		}
		switch {
		case w.Sync:
			if err := w.SyncDir(filepath.Dir(d)); err != nil {
				return err
			}
		case w.Group != nil:
			w.Group.AddDir(filepath.Dir(d))
		}
	}
	return nil
}

// MkdirAllEach is MkdirAll for each of several directories. Every chain is attempted even
// when another fails, and every error is returned, joined.
//
// The chains are made concurrently only while another MkdirAllEach of this writer is running,
// one after another otherwise: for a lone writer, waking an idle core for a mkdir of a few
// microseconds costs more than it saves, while two writers gain from the overlap (bench/README.md
// has the measurements).
func (w *Writer) MkdirAllEach(dirs ...string) error {
	errs := make([]error, len(dirs))
	if w.placing.Add(1) == 1 || len(dirs) < 2 {
		for i, d := range dirs {
			errs[i] = w.MkdirAll(d)
		}
	} else {
		var wg sync.WaitGroup
		for i, d := range dirs[1:] {
			wg.Go(func() { errs[i+1] = w.MkdirAll(d) })
		}
		errs[0] = w.MkdirAll(dirs[0])
		wg.Wait()
	}
	w.placing.Add(-1)
	return errors.Join(errs...)
}

// CheckDir returns an error matching safeopen.ErrSymlink if any directory from below Root down to dir
// (inclusive) is a symbolic link, or if dir is not below Root. Without a Root, or on a
// filesystem that cannot tell links apart (no afero.Lstater), it checks nothing.
func (w *Writer) CheckDir(dir string) error {
	_, err := w.checkDir(dir)
	return err
}

// dirCheck is what checkDir learnt about a directory on the way down from Root.
type dirCheck struct {
	checked bool        // it looked (there is a Root and the filesystem can lstat)
	info    fs.FileInfo // dir's own FileInfo; nil if it does not exist
	missing string      // the outermost directory on the way that does not exist, or ""
}

func (w *Writer) checkDir(dir string) (dirCheck, error) {
	if w.Root == "" {
		return dirCheck{}, nil
	}
	lst, ok := w.Fs.(afero.Lstater)
	if !ok {
		return dirCheck{}, nil
	}
	rel, err := filepath.Rel(w.Root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return dirCheck{}, &fs.PathError{Op: "check", Path: dir, Err: fmt.Errorf("%w: not below %s", safeopen.ErrSymlink, w.Root)}
	}
	if rel == "." {
		return dirCheck{}, nil
	}
	c := dirCheck{checked: true}
	p := w.Root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		fi, _, err := lst.LstatIfPossible(p)
		if errors.Is(err, fs.ErrNotExist) {
			c.missing = p // nothing further down exists to be a link
			return c, nil
		}
		if err != nil {
			return dirCheck{}, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return dirCheck{}, &fs.PathError{Op: "check", Path: p, Err: safeopen.ErrSymlink}
		}
		c.info = fi
	}
	return c, nil
}

// chmod gives name exactly mode, which it was created with, unless the umask cannot have
// narrowed it (as for the default 0755 directories under the usual 022 mask; 0664 files do
// need it). Filesystems without a umask (afero's memory one) create exact modes anyway.
func (w *Writer) chmod(name string, mode fs.FileMode) error {
	if !needsChmod(mode, w.umask()) {
		return nil
	}
	return w.Fs.Chmod(name, mode)
}

// SyncDir fsyncs a directory so renames and creations inside it are durable.
func (w *Writer) SyncDir(dir string) error {
	d, err := w.Fs.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

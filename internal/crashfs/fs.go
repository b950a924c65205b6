package crashfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/afero"
)

// FS is the crash-testing file system; see the package comment for its model. It implements
// afero.Fs and afero.Lstater, and is safe for concurrent use.
//
// It keeps its own inodes rather than wrapping afero.MemMapFs: the model must know which file
// a name refers to (a rename moves a file, an open handle follows it, a directory entry
// survives a crash or not as a binding of a name to a file), and MemMapFs keys its files by
// path and does not keep POSIX's rules (it creates missing parents and removes non-empty
// directories).
type FS struct {
	mu      sync.Mutex
	root    *inode
	pending map[*inode]struct{} // directories with unflushed changes
	linkers []*change           // durable changes with links, which a crash must honour
	seq     uint64              // numbers the changes
	boot    uint64              // bumped by Crash; handles of earlier boots are dead
	now     func() time.Time
	torn    int // block size of torn writes; 0 when off

	ops, syncs       int
	cutOps, cutSyncs int // the counts at which to freeze; -1 when not armed
	frozen           bool
}

var (
	_ afero.Fs      = (*FS)(nil)
	_ afero.Lstater = (*FS)(nil)
)

// Option configures an FS made by New.
type Option func(*FS)

// WithTornWrites lets Random crashes bring a changed file back torn: with any length between
// its flushed and its current one, and each block of block bytes holding flushed or current
// bytes (zeros past the end of the version it comes from). Use it to test code that must
// survive a partly written file, such as a journal's last record. New panics if block < 1.
func WithTornWrites(block int) Option {
	return func(f *FS) {
		if block < 1 {
			panic(fmt.Sprintf("crashfs: WithTornWrites(%d): block must be at least 1", block))
		}
		f.torn = block
	}
}

// New returns an empty FS: a root directory (mode 0755) that is durable, and nothing else.
func New(opts ...Option) *FS {
	f := &FS{now: time.Now, cutOps: -1, cutSyncs: -1, pending: map[*inode]struct{}{}}
	for _, o := range opts {
		o(f)
	}
	f.root = newDir(0o755, f.now())
	return f
}

// Name returns "crashfs".
func (f *FS) Name() string { return "crashfs" }

// chmodBits are the mode bits Chmod and the perm arguments can set, as for os.Chmod.
const chmodBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// ErrPowerCut is the cause of every failure of an FS that is frozen (by CutAfterOps,
// CutAfterSyncs or PowerCut) and of every call on a handle opened before the last Crash.
// It comes wrapped in an *os.PathError (an *os.LinkError for Rename), so test it with
// errors.Is.
var ErrPowerCut = errors.New("crashfs: power cut")

func pathErr(op, name string, err error) error { return &os.PathError{Op: op, Path: name, Err: err} }

// begin locks f for a call on name and returns the error to fail it with if f is frozen.
// The caller must unlock f.
func (f *FS) begin(op, name string) error {
	f.mu.Lock()
	if f.frozen {
		return pathErr(op, name, ErrPowerCut)
	}
	return nil
}

// split cleans name into its components below the root; the root itself has none.
func split(name string) []string {
	p := path.Clean("/" + name)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// walk follows parts from the root and returns the inodes on the way, the last of which is
// what parts names. It fails when a component is missing or not a directory.
func (f *FS) walk(parts []string) ([]*inode, error) {
	chain := []*inode{f.root}
	for _, p := range parts {
		d := chain[len(chain)-1]
		if !d.dir {
			return nil, syscall.ENOTDIR
		}
		n := d.kids[p]
		if n == nil {
			return nil, syscall.ENOENT
		}
		chain = append(chain, n)
	}
	return chain, nil
}

// lookup returns the inode name refers to.
func (f *FS) lookup(name string) (*inode, error) {
	chain, err := f.walk(split(name))
	if err != nil {
		return nil, err
	}
	return chain[len(chain)-1], nil
}

// place resolves the directory that holds name's last component. It returns that directory,
// the component ("" for the root), the inode there (nil if none) and the inodes from the root
// to the directory.
func (f *FS) place(name string) (dir *inode, base string, n *inode, chain []*inode, err error) {
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", f.root, nil, nil
	}
	chain, err = f.walk(parts[:len(parts)-1])
	if err != nil {
		return nil, "", nil, nil, err
	}
	dir = chain[len(chain)-1]
	if !dir.dir {
		return nil, "", nil, nil, syscall.ENOTDIR
	}
	base = parts[len(parts)-1]
	return dir, base, dir.kids[base], chain, nil
}

// Stat returns a snapshot of name's FileInfo; its Sys is nil.
func (f *FS) Stat(name string) (os.FileInfo, error) {
	if err := f.begin("stat", name); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	n, err := f.lookup(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return n.info(path.Base(path.Clean("/" + name))), nil
}

// LstatIfPossible is Stat, reporting true: with no symbolic links, lstat and stat agree.
func (f *FS) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	fi, err := f.Stat(name)
	if pe, ok := err.(*os.PathError); ok {
		pe.Op = "lstat"
	}
	return fi, true, err
}

// Chmod sets name's permission bits (and setuid, setgid, sticky), like os.Chmod. It counts as
// an Op.
func (f *FS) Chmod(name string, mode os.FileMode) error {
	return f.setAttr("chmod", name, func(n *inode) {
		n.attr.mode = n.attr.mode&^chmodBits | mode&chmodBits
	})
}

// Chown checks that name exists and counts as an Op, but keeps no owner: nothing in a
// FileInfo of this FS shows one.
func (f *FS) Chown(name string, uid, gid int) error {
	return f.setAttr("chown", name, func(*inode) {})
}

// Chtimes sets name's modification time (the access time is not kept). It counts as an Op.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	return f.setAttr("chtimes", name, func(n *inode) { n.attr.mtime = mtime })
}

func (f *FS) setAttr(op, name string, set func(*inode)) error {
	if err := f.begin(op, name); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	n, err := f.lookup(name)
	if err != nil {
		return pathErr(op, name, err)
	}
	set(n)
	f.mutated()
	return nil
}

// SyncAll makes everything durable, as syncfs(2) does: all file contents and attributes and
// all directory entries. It is a flush boundary (see Syncs). It fails with ErrPowerCut, and
// flushes nothing, when f is frozen.
func (f *FS) SyncAll() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return ErrPowerCut
	}
	f.flushAll()
	f.synced()
	return nil
}

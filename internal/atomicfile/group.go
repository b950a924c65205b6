package atomicfile

import (
	"errors"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/realpath"
)

// Group is a group commit shared by Writers (Writer.Group): their commits flush nothing, and
// one Flush makes everything they wrote since the last Flush durable at once. Many files then
// cost one flush of the filesystem instead of two fsyncs each, which is what makes a bulk load
// durable at the speed of one that flushes nothing.
//
// Until Flush returns, a power loss can take away any of those writes, in any combination the
// filesystem allows: a new file may be missing or empty, a new directory gone with what it
// holds. It never takes away what was durable before: a commit that replaces an existing file
// flushes its new content before the rename even in a group, so that the replaced file is never
// traded for one whose content is not on the disk. Callers record in their own journal only
// what a Flush has covered.
//
// A Group is safe for concurrent use.
type Group struct {
	// Fs is the filesystem the Writers write to.
	Fs afero.Fs
	// Filesystems names one directory on each filesystem the Writers write to. Flush hands each
	// to syncfs(2) where the system has it (Linux) and Fs is the OS filesystem: one call flushes
	// all that filesystem's dirty files and directories.
	Filesystems []string
	// FileByFile makes Flush fsync each file and directory written since the last Flush, as it
	// does where syncfs is not available, instead of flushing whole filesystems: a test knob,
	// and a choice for filesystems shared with writers whose dirty data must not be flushed.
	FileByFile bool

	mu    sync.Mutex
	files map[string]struct{}
	dirs  map[string]struct{}
}

// addFile records a file whose content a Flush must make durable.
func (g *Group) addFile(name string) {
	g.mu.Lock()
	g.addFileLocked(name)
	g.mu.Unlock()
}

// AddDir records a directory whose entries a Flush must make durable (a name created,
// renamed or removed in it).
func (g *Group) AddDir(name string) {
	g.mu.Lock()
	g.addDirLocked(name)
	g.mu.Unlock()
}

// Flush makes everything recorded since the last Flush durable: with syncfs on each of
// Filesystems on Linux and the OS filesystem, with the filesystem's own SyncAll where it has
// one (a simulated disk in tests), and otherwise by fsyncing each recorded file, then each
// recorded directory. What is recorded while Flush runs belongs to the next one. On error the
// records are kept, so that a later Flush tries again.
func (g *Group) Flush() error {
	g.mu.Lock()
	files, dirs := g.files, g.dirs
	g.files, g.dirs = nil, nil
	g.mu.Unlock()
	if len(files) == 0 && len(dirs) == 0 {
		return nil
	}
	err := g.flush(files, dirs)
	if err != nil {
		g.mu.Lock()
		for f := range files {
			g.addFileLocked(f)
		}
		for d := range dirs {
			g.addDirLocked(d)
		}
		g.mu.Unlock()
	}
	return err
}

func (g *Group) addFileLocked(name string) {
	if g.files == nil {
		g.files = map[string]struct{}{}
	}
	g.files[name] = struct{}{}
}

func (g *Group) addDirLocked(name string) {
	if g.dirs == nil {
		g.dirs = map[string]struct{}{}
	}
	g.dirs[name] = struct{}{}
}

func (g *Group) flush(files, dirs map[string]struct{}) error {
	if !g.FileByFile {
		if done, err := g.syncFilesystems(); done || err != nil {
			return err
		}
		if s, ok := g.Fs.(interface{ SyncAll() error }); ok {
			return s.SyncAll()
		}
	}
	// Files first: a directory entry made durable must not point at content that is not.
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := syncPath(g.Fs, name); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(dirs)) {
		if err := syncPath(g.Fs, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// syncFilesystems runs syncfs on each of Filesystems, and reports false when it cannot (no
// syncfs here, or Fs is not the OS filesystem).
func (g *Group) syncFilesystems() (bool, error) {
	if !syncfsSupported || len(g.Filesystems) == 0 {
		return false, nil
	}
	var paths []string
	for _, d := range g.Filesystems {
		p, ok := realpath.Of(g.Fs, d)
		if !ok {
			return false, nil
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := syncfs(p); err != nil {
			return true, &fs.PathError{Op: "syncfs", Path: p, Err: err}
		}
	}
	return true, nil
}

// syncPath fsyncs the file or directory at name; one removed since it was recorded needs no
// flush.
func syncPath(fsys afero.Fs, name string) error {
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

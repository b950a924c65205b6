package crashfs

import (
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/afero"
)

// Create creates or truncates name for reading and writing, like os.Create.
func (f *FS) Create(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens name for reading, like os.Open. A directory opened this way can be listed and
// flushed (Sync).
func (f *FS) Open(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile opens name like os.OpenFile, honouring O_RDONLY, O_WRONLY, O_RDWR, O_CREATE,
// O_EXCL, O_TRUNC and O_APPEND. A new file gets perm exactly (there is no umask). A directory
// can be opened for reading only. Creating a file and truncating one each count as an Op.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if err := f.begin("open", name); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	h := &handle{fs: f, boot: f.boot, name: name, read: acc != os.O_WRONLY, write: acc != os.O_RDONLY, appendMode: flag&os.O_APPEND != 0}
	dir, base, n, chain, err := f.place(name)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	switch {
	case n == nil && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, syscall.ENOENT)
	case n == nil:
		n = newFile(perm&chmodBits, f.now())
		f.bind(dir, base, n, chain)
		f.mutated()
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, pathErr("open", name, syscall.EEXIST)
	case n.dir && (h.write || flag&(os.O_CREATE|os.O_TRUNC) != 0):
		return nil, pathErr("open", name, syscall.EISDIR)
	case flag&os.O_TRUNC != 0 && h.write:
		n.truncate(0, f.now())
		f.mutated()
	}
	h.ino = n
	return h, nil
}

// Mkdir creates directory name with mode perm, like os.Mkdir. It counts as an Op.
func (f *FS) Mkdir(name string, perm os.FileMode) error {
	if err := f.begin("mkdir", name); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	return f.mkdir(name, perm)
}

func (f *FS) mkdir(name string, perm os.FileMode) error {
	dir, base, n, chain, err := f.place(name)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	if n != nil {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	f.bind(dir, base, newDir(perm&chmodBits, f.now()), chain)
	f.mutated()
	return nil
}

// MkdirAll creates directory path and its missing parents, like os.MkdirAll. Each directory
// it creates counts as an Op, so a cut can stop it half way.
func (f *FS) MkdirAll(path string, perm os.FileMode) error {
	parts := split(path)
	for i := range parts {
		p := "/" + strings.Join(parts[:i+1], "/")
		if err := f.begin("mkdir", path); err != nil {
			f.mu.Unlock()
			return err
		}
		n, err := f.lookup(p)
		switch {
		case err == nil && !n.dir:
			err = pathErr("mkdir", p, syscall.ENOTDIR)
		case err == nil:
		case err == syscall.ENOENT:
			err = f.mkdir(p, perm)
		default:
			err = pathErr("mkdir", p, err)
		}
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// Remove removes a file or an empty directory, like os.Remove. It counts as an Op.
func (f *FS) Remove(name string) error {
	if err := f.begin("remove", name); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	dir, base, n, _, err := f.place(name)
	switch {
	case err != nil:
		return pathErr("remove", name, err)
	case n == nil:
		return pathErr("remove", name, syscall.ENOENT)
	case dir == nil:
		return pathErr("remove", name, syscall.EBUSY)
	case n.dir && len(n.kids) > 0:
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	f.bind(dir, base, nil, nil)
	f.mutated()
	return nil
}

// RemoveAll removes path and everything below it, like os.RemoveAll: one entry at a time,
// deepest first, each removal an Op. It returns nil if path does not exist, and refuses to
// remove the root (EINVAL).
func (f *FS) RemoveAll(path string) error {
	if len(split(path)) == 0 {
		return pathErr("removeall", path, syscall.EINVAL)
	}
	if err := f.begin("removeall", path); err != nil {
		f.mu.Unlock()
		return err
	}
	_, _, n, _, err := f.place(path)
	var kids []string
	if err == nil && n != nil && n.dir {
		kids = slices.Sorted(maps.Keys(n.kids))
	}
	f.mu.Unlock()
	switch {
	case err == syscall.ENOENT || err == nil && n == nil:
		return nil
	case err != nil:
		return pathErr("removeall", path, err)
	}
	for _, k := range kids {
		if err := f.RemoveAll(path + "/" + k); err != nil {
			return err
		}
	}
	err = f.Remove(path)
	if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.ENOENT {
		return nil
	}
	return err
}

// Rename renames oldname to newname, replacing a file, or an empty directory, at newname, like
// os.Rename. It counts as an Op. Its errors are *os.LinkError values.
func (f *FS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(err error) error { return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err} }
	if f.frozen {
		return fail(ErrPowerCut)
	}
	sdir, sname, src, _, err := f.place(oldname)
	if err != nil {
		return fail(err)
	}
	if src == nil {
		return fail(syscall.ENOENT)
	}
	tdir, tname, dst, tchain, err := f.place(newname)
	switch {
	case err != nil:
		return fail(err)
	case sdir == nil || tdir == nil:
		return fail(syscall.EBUSY)
	case src.dir && slices.Contains(tchain, src):
		return fail(syscall.EINVAL) // into its own subtree
	case dst == nil || dst == src:
	case src.dir && !dst.dir:
		return fail(syscall.ENOTDIR)
	case !src.dir && dst.dir:
		return fail(syscall.EISDIR)
	case dst.dir && len(dst.kids) > 0:
		return fail(syscall.ENOTEMPTY)
	}
	if dst != src {
		f.move(sdir, sname, tdir, tname, tchain)
	}
	f.mutated()
	return nil
}

package safeopen

import "os"

// Root is a directory held open, below which files are opened as OpenBeneath opens them on
// the OS (regular files only, no symbolic link at any step, without blocking), but without
// opening the root again for every file: for readers that open many files of one tree, such
// as a server reading a store's objects. A Root is safe for concurrent use; Close it when done.
type Root struct {
	name string // the caller's name of the root, for errors and the files' names
	root *root  // the system's handle
}

// OpenRoot opens the OS directory dir as a Root. dir itself is trusted and may be a link.
func OpenRoot(dir string) (*Root, error) {
	r, err := openRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{name: dir, root: r}, nil
}

// Open opens rel below the root for reading, refusing what OpenBeneath refuses. The file's
// Name is the root's name joined with rel.
func (r *Root) Open(rel string) (*os.File, error) {
	clean, err := beneath(r.name, rel)
	if err != nil {
		return nil, err
	}
	return r.root.open(r.name, clean)
}

// Close releases the root's handle; files opened from it stay open.
func (r *Root) Close() error { return r.root.close() }

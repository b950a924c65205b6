package crashfs

import (
	"io/fs"
	"maps"
	"slices"
	"time"
)

// inode is one file or directory: its live state, what of it is durable, and, for a
// directory, the changes to its entries that are not durable yet. A name refers to an inode,
// so a rename moves the inode and handles opened on it follow it.
type inode struct {
	dir     bool
	attr    attrs // live
	durAttr attrs // as of the last flush

	// Regular files.
	data    []byte // live content
	durData []byte // content as of the last flush; nil (empty) if never flushed
	minLen  int    // the shortest length the content had since the last flush
	dirty   bool   // the content changed since the last flush

	// Directories.
	kids     map[string]*inode  // live entries
	durKids  map[string]*inode  // entries as of the last flush
	log      []*change          // changes to kids since the last flush, oldest first
	last     map[string]*change // for each name, its newest change in log
	linkedBy *change            // the change that created the directory or last moved it
}

type attrs struct {
	mode  fs.FileMode
	mtime time.Time
}

func newFile(mode fs.FileMode, now time.Time) *inode {
	a := attrs{mode: mode, mtime: now}
	return &inode{attr: a, durAttr: a}
}

func newDir(mode fs.FileMode, now time.Time) *inode {
	a := attrs{mode: mode | fs.ModeDir, mtime: now}
	return &inode{
		dir: true, attr: a, durAttr: a,
		kids: map[string]*inode{}, durKids: map[string]*inode{}, last: map[string]*change{},
	}
}

// change is one change to a directory's entries: name now refers to ino, or to nothing when
// ino is nil. A rename within the directory also unbinds from. A rename between directories
// is two changes: the half that binds the new name in the target and the half that removes
// the old one from the source, which links to the first.
type change struct {
	seq  uint64 // order of the changes, over all directories
	dir  *inode
	name string
	ino  *inode
	from string // rename within dir: the old name, unbound by this change

	// deps must have survived (or be durable and in effect) for this change to survive.
	deps []*change
	// links are deps that must survive once this change is durable: the new name of a
	// rename whose old name this change removes, or the changes inside a directory this
	// change removes. See Crash.
	links []*change
	// dirMove marks the source half of a directory's rename, which never survives alone
	// or leaves the directory with two names.
	dirMove bool

	durable bool // the directory was flushed since this change

	survived bool // set while a crash is worked out
}

// apply makes c's change to m.
func (c *change) apply(m map[string]*inode) {
	if c.from != "" {
		delete(m, c.from)
	}
	if c.ino == nil {
		delete(m, c.name)
	} else {
		m[c.name] = c.ino
	}
}

// names returns the entries c changes.
func (c *change) names() []string {
	if c.from != "" {
		return []string{c.name, c.from}
	}
	return []string{c.name}
}

// record notes c as the newest unflushed change to its directory, after the previous change
// to each name it touches (rule 1 of the package comment). It does not change the live
// entries.
func (f *FS) record(c *change) {
	d := c.dir
	f.seq++
	c.seq = f.seq
	for _, n := range c.names() {
		if prev := d.last[n]; prev != nil {
			c.deps = append(c.deps, prev)
		}
		d.last[n] = c
	}
	d.log = append(d.log, c)
	f.pending[d] = struct{}{}
}

// touched marks a directory's entries as changed now.
func (f *FS) touched(d *inode) { d.attr.mtime = f.now() }

// bind makes name in dir refer to ino (nil removes it), as one change. chain holds the
// directories from the root to dir. A new directory's entry depends on where dir is
// (rule 4).
func (f *FS) bind(dir *inode, name string, ino *inode, chain []*inode) {
	c := &change{dir: dir, name: name, ino: ino}
	unbinds(c, dir.kids[name])
	if ino != nil && ino.dir {
		c.deps = placement(c.deps, chain)
		ino.linkedBy = c
	}
	f.record(c)
	c.apply(dir.kids)
	f.touched(dir)
}

// move renames sdir's entry sname to tdir's entry tname, replacing what tname referred to.
// tchain holds the directories from the root to tdir. The caller has checked that the rename
// is allowed and changes something.
func (f *FS) move(sdir *inode, sname string, tdir *inode, tname string, tchain []*inode) {
	ino := sdir.kids[sname]
	if sdir == tdir {
		c := &change{dir: sdir, name: tname, ino: ino, from: sname}
		unbinds(c, sdir.kids[tname])
		if ino.dir {
			c.deps = placement(c.deps, tchain)
			ino.linkedBy = c
		}
		f.record(c)
		c.apply(sdir.kids)
		f.touched(sdir)
		return
	}
	// The new name counts only where tdir is (rule 4), and only if the old one held ino
	// (which keeps a directory from gaining a second name).
	add := &change{dir: tdir, name: tname, ino: ino}
	unbinds(add, tdir.kids[tname])
	add.deps = placement(add.deps, tchain)
	add.deps = appendIf(add.deps, sdir.last[sname])
	if ino.dir {
		ino.linkedBy = add
	}
	f.record(add)
	del := &change{dir: sdir, name: sname, links: []*change{add}, dirMove: ino.dir}
	f.record(del)
	add.apply(tdir.kids)
	del.apply(sdir.kids)
	f.touched(tdir)
	f.touched(sdir)
}

// placement adds to deps the changes that put each directory of chain (from the root down)
// where it is now: an entry made in the last one counts only if they all hold (rule 4).
func placement(deps []*change, chain []*inode) []*change {
	for _, d := range chain {
		deps = appendIf(deps, d.linkedBy)
	}
	return deps
}

// unbinds notes that c takes its name from old: when old is a directory, whose last name
// that is, c depends on the unflushed changes inside it (rule 5).
func unbinds(c *change, old *inode) {
	if old != nil && old.dir {
		c.links = append(c.links, old.log...)
	}
}

func appendIf(s []*change, c *change) []*change {
	if c == nil {
		return s
	}
	return append(s, c)
}

// flushFile makes a file's content and attributes durable.
func flushFile(n *inode) {
	n.durData = slices.Clone(n.data)
	n.minLen = len(n.data)
	n.dirty = false
	n.durAttr = n.attr
}

// flushDir makes a directory's entries and attributes durable.
func (f *FS) flushDir(d *inode) {
	d.durKids = maps.Clone(d.kids)
	d.durAttr = d.attr
	for _, c := range d.log {
		c.durable = true
		if len(c.links) > 0 {
			f.linkers = append(f.linkers, c)
		}
	}
	d.log = nil
	clear(d.last)
	delete(f.pending, d)
}

// flush makes n durable as fsync on it would.
func (f *FS) flush(n *inode) {
	if n.dir {
		f.flushDir(n)
	} else {
		flushFile(n)
	}
}

// flushAll makes everything durable, as syncfs does: every directory with unflushed
// changes (reachable or not), then every file and directory reachable from the root.
func (f *FS) flushAll() {
	for d := range f.pending {
		f.flushDir(d)
	}
	seen := map[*inode]bool{}
	var walk func(n *inode)
	walk = func(n *inode) {
		if seen[n] {
			return
		}
		seen[n] = true
		f.flush(n)
		if n.dir {
			// Everything is durable, so nothing depends on where a directory was put.
			n.linkedBy = nil
			for _, k := range n.kids {
				walk(k)
			}
		}
	}
	walk(f.root)
	f.linkers = nil
}

// resize returns data with length n: cut, or grown with zeros. It may reuse data's array.
func resize(data []byte, n int) []byte {
	if n <= len(data) {
		return data[:n]
	}
	if n <= cap(data) {
		old := len(data)
		data = data[:n]
		clear(data[old:])
		return data
	}
	grown := make([]byte, n, max(n, 2*cap(data)))
	copy(grown, data)
	return grown
}

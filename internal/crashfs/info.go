package crashfs

import (
	"io/fs"
	"time"
)

// fileInfo is a snapshot of an inode's state: unlike afero's memory files, it does not change
// when the file does.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (n *inode) info(name string) fs.FileInfo {
	return &fileInfo{name: name, size: int64(len(n.data)), mode: n.attr.mode, mtime: n.attr.mtime}
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.mtime }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *fileInfo) Sys() any           { return nil }

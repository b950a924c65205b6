package hashstore

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Every file the store reads goes through these helpers, never through its filesystem's plain
// Open, Stat or ReadFile: what stands where a store file should be may be anything (a named
// pipe that would block a reader forever, a symbolic link leading out of the store, a
// directory, a file of gigabytes), and a damaged or hostile store must cost its readers a clear
// error, not a hang, a read outside the store or all their memory (docs/FORMAT.md 6.6).

// The largest store files read into memory. A pid refs file holds one cid; a cid refs file
// one pid per line, so it grows with the pids sharing an object; hashstore.yaml is a few
// hundred bytes.
const (
	maxPIDRefsSize = 64 << 10
	maxCIDRefsSize = 256 << 20
	maxConfigSize  = 64 << 10
)

// rel is abs (a path the store built under its root) relative to the root. The paths the
// store builds are joined, so cleaned, and start with the cleaned root: cutting that prefix
// is enough, and much cheaper than filepath.Rel on every read (BenchmarkRetrieveObject).
func (s *FileHashStore) rel(abs string) string {
	if r, ok := strings.CutPrefix(abs, s.rootPrefix); ok && r != "" && filepath.IsLocal(r) {
		return r
	}
	r, err := filepath.Rel(s.root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return filepath.Join("..", abs) // not below the root: OpenBeneath refuses it
	}
	return r
}

// openEntry opens the store file at abs for reading. It refuses, without blocking, anything
// that is not a regular file, and any symbolic link on the way below the root
// (safeopen.OpenBeneath): an error matching safeopen.ErrNotRegular.
func (s *FileHashStore) openEntry(abs string) (afero.File, error) {
	return safeopen.OpenBeneath(s.fs, s.root, s.rel(abs))
}

// readEntry reads the store file at abs whole, as openEntry opens it, refusing one of more
// than max bytes (safeopen.ErrTooLarge) without reading more than max+1.
func (s *FileHashStore) readEntry(abs string, max int64) ([]byte, error) {
	return safeopen.ReadFileBeneath(s.fs, s.root, s.rel(abs), max)
}

// statEntry describes the store file at abs without following a symbolic link there. Anything
// but a regular file is an error matching safeopen.ErrNotRegular, so that callers who take an
// existing file for an object (or a refs file) never take a link, a pipe or a directory.
func (s *FileHashStore) statEntry(abs string) (fs.FileInfo, error) {
	fi, err := safeopen.Lstat(s.fs, abs)
	if err != nil {
		return nil, err
	}
	if err := safeopen.NotRegular(abs, fi.Mode(), nil); err != nil {
		return nil, err
	}
	return fi, nil
}

// entryExists reports whether a regular file stands at abs. Anything else standing there is
// an error (see statEntry), so that it is never taken for absent either.
func (s *FileHashStore) entryExists(abs string) (bool, error) {
	_, err := s.statEntry(abs)
	switch {
	case err == nil:
		return true, nil
	case notExist(err):
		return false, nil
	}
	return false, err
}

// isEntry reports whether a regular file stands at abs; anything else, or a failure to look,
// counts as no.
func (s *FileHashStore) isEntry(abs string) bool {
	ok, err := s.entryExists(abs)
	return ok && err == nil
}

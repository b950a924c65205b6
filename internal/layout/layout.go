// Package layout computes where a HashStore keeps things: the shard rule that turns an
// identifier (a cid, or the hash of a pid) into a relative path.
//
// Nothing here touches a filesystem. Callers validate ids with CheckID before building a path
// from anything that did not come out of a hash function: tagObject accepts arbitrary cids, and
// a cid such as "../../etc" must never become a path.
package layout

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hashstore-go/hashstore/internal/ident"
)

// Names of the store's top-level entries (docs/FORMAT.md 3).
const (
	ConfigFile  = "hashstore.yaml"
	ObjectsDir  = "objects"
	MetadataDir = "metadata"
	RefsDir     = "refs"
	TmpDir      = "tmp"
	PIDRefsDir  = "refs/pids"
	CIDRefsDir  = "refs/cids"
	// LocksDir holds the cross-process lock files. It is ours alone: the reference
	// implementations ignore directories they do not know.
	LocksDir = "locks"
	// DeleteSuffix marks a file renamed on its way to being unlinked. Readers ignore such files;
	// they never collide with real names, which are hex digests.
	DeleteSuffix = "_delete"
)

// MaxName is the longest file name the store creates, in bytes: NAME_MAX of the common
// filesystems.
const MaxName = 255

// ErrUnsafeID is returned by CheckID for an id that cannot safely name a file.
var ErrUnsafeID = errors.New("id cannot name a file in the store")

// Shard splits id into depth slices of width characters followed by one final element holding
// the rest, dropping empty elements (docs/FORMAT.md 3). An id shorter than depth*width yields
// fewer elements, as the Python implementation does: "abc" with depth 3 width 2 is ["ab", "c"].
// depth and width must be at least 1; ids are treated as bytes, which is exact for the hex
// digests this is used with.
func Shard(id string, depth, width int) []string {
	parts := make([]string, 0, depth+1)
	rest := id
	for i := 0; i < depth && rest != ""; i++ {
		n := min(width, len(rest))
		parts = append(parts, rest[:n])
		rest = rest[n:]
	}
	if rest != "" {
		parts = append(parts, rest)
	}
	return parts
}

// ShardPath is Shard joined with "/" under the directory dir.
func ShardPath(dir, id string, depth, width int) string {
	return path.Join(append([]string{dir}, Shard(id, depth, width)...)...)
}

// CheckID reports whether id can be sharded into a path that stays inside its directory and
// cannot be mistaken for the store's own entries. It rejects empty ids, whitespace, NUL, path
// separators, any shard element that is "." or "..", a first element named "tmp" (the temp
// directory), an element too long to be a file name with the deletion suffix added (MaxName),
// and ids ending in the deletion suffix.
func CheckID(id string, depth, width int) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrUnsafeID)
	}
	if i := strings.IndexFunc(id, func(r rune) bool {
		return r == '/' || r == '\\' || r == 0 || ident.IsSpace(r)
	}); i >= 0 {
		return fmt.Errorf("%w: %q contains %q", ErrUnsafeID, id, id[i:i+1])
	}
	if strings.Contains(id, "..") {
		return fmt.Errorf("%w: %q contains \"..\"", ErrUnsafeID, id)
	}
	if strings.HasSuffix(id, DeleteSuffix) {
		return fmt.Errorf("%w: %q ends in %q", ErrUnsafeID, id, DeleteSuffix)
	}
	parts := Shard(id, depth, width)
	for _, p := range parts {
		if p == "." {
			return fmt.Errorf("%w: %q has a shard element \".\"", ErrUnsafeID, id)
		}
		if len(p)+len(DeleteSuffix) > MaxName {
			return fmt.Errorf("%w: %.40q... is %d bytes long, too long for a file name", ErrUnsafeID, id, len(id))
		}
	}
	if parts[0] == TmpDir {
		return fmt.Errorf("%w: %q would land in the temp directory", ErrUnsafeID, id)
	}
	return nil
}

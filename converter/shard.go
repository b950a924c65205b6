package converter

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
)

// Shard selects part of a source: the entries whose pid hashes (FNV-1a 64 of its UTF-8 bytes)
// to Index modulo Count, so that Count hosts sharing one filesystem split a repository. The
// zero value (or Count 1) selects everything.
type Shard struct{ Index, Count int }

// ParseShard parses "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Shard{}, fmt.Errorf("%w: shard %q: want I/N with 0 <= I < N, e.g. 0/4", hashstore.ErrInvalidArgument, s)
	}
	return Shard{a, b}, nil
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1)) }

// Suffix is what a sharded run inserts before the extension of its file names
// (".shard-I-of-N"), and "" for an unsharded run.
func (s Shard) Suffix() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf(".shard-%d-of-%d", s.Index, s.Count)
}

// Has reports whether pid belongs to the shard.
func (s Shard) Has(pid string) bool {
	return s.Count <= 1 || pidset.Hash(pid)%uint64(s.Count) == uint64(s.Index)
}

// Name inserts the shard's Suffix before path's extension: "c.csv" -> "c.shard-0-of-4.csv".
func (s Shard) Name(path string) string {
	suf := s.Suffix()
	if suf == "" || path == "" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + suf + ext
}

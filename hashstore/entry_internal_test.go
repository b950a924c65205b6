package hashstore

import (
	"path/filepath"
	"testing"
)

// rel cuts the root from the paths the store joins under it, whatever form the root was given
// in, and still returns a path that leaves the root for anything else, so that OpenBeneath
// refuses it.
func TestRelOfStorePaths(t *testing.T) {
	for _, root := range []string{"/srv/store", "/srv/store/", "/srv//store", "s", "./s", "s/../t", "/"} {
		s := &FileHashStore{root: root, rootPrefix: rootPrefix(root)}
		abs := filepath.Join(root, "refs", "pids", "ab", "cd")
		if got, want := s.rel(abs), filepath.Join("refs", "pids", "ab", "cd"); got != want {
			t.Errorf("root %q: rel(%q) = %q, want %q", root, abs, got, want)
		}
		outside := filepath.Join(root, "..", "elsewhere")
		if root == "/" {
			continue // nothing is outside
		}
		if got := s.rel(outside); filepath.IsLocal(got) {
			t.Errorf("root %q: rel(%q) = %q, a path below the root", root, outside, got)
		}
	}
}

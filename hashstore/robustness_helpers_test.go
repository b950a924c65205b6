package hashstore_test

// Helpers shared by the fault matrix (faultmatrix_test.go), the crash tests (crash_test.go) and
// the stress test (stress_test.go): a listing of a store's files to compare states, the
// rule for which directory differences are ignored, audits, and re-executing the test binary
// as a child process.

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// rbListing maps every entry under root, except the lock files in locks/ (taking a lock
// creates them; they are not store content), to a description: "d <mode>" for a directory,
// "f <mode> <content>" for a regular file and "l <target>" for anything else.
func rbListing(t testing.TB, fsys afero.Fs, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, afero.Walk(fsys, root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "locks" || strings.HasPrefix(rel, "locks/") {
			if fi.IsDir() && rel == "locks" {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case fi.IsDir():
			out[rel] = fmt.Sprintf("d %v", fi.Mode().Perm())
		case fi.Mode().IsRegular():
			b, err := afero.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("f %v %s", fi.Mode().Perm(), b)
		default:
			out[rel] = "l " + fi.Mode().String()
		}
		return nil
	}))
	return out
}

// shardAreas are the parts of a store in which an empty directory is no difference: a write
// that fails after creating its shard directories leaves them behind, and neither reference
// implementation (nor this one) ever removes a shard directory.
var shardAreas = []string{"objects/", "metadata/", "refs/pids/", "refs/cids/"}

// tmpDirs are the store's temp directories.
var tmpDirs = []string{"objects/tmp", "metadata/tmp", "refs/tmp"}

// ignorableDir reports whether rel, a directory of got, may be missing from the state got is
// compared with: it lies strictly inside a shard area, is not a temp directory, and got holds
// no file below it.
func ignorableDir(got map[string]string, rel string) bool {
	inArea := false
	for _, a := range shardAreas {
		if strings.HasPrefix(rel, a) {
			inArea = true
		}
	}
	for _, d := range tmpDirs {
		if rel == d || strings.HasPrefix(rel, d+"/") {
			return false
		}
	}
	if !inArea {
		return false
	}
	for p, desc := range got {
		if strings.HasPrefix(p, rel+"/") && !strings.HasPrefix(desc, "d ") {
			return false
		}
	}
	return true
}

// rbDiff lists how got differs from want, ignoring exactly this: directories of got that want
// lacks and that ignorableDir accepts (empty shard directories). Every file must be the same
// (content and mode), every directory of want must be in got with the same mode.
func rbDiff(got, want map[string]string) []string {
	var out []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			out = append(out, "missing "+p)
		case g != w:
			out = append(out, fmt.Sprintf("changed %s: %.80q, want %.80q", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; ok {
			continue
		}
		if strings.HasPrefix(g, "d ") && ignorableDir(got, p) {
			continue
		}
		out = append(out, fmt.Sprintf("extra %s: %.80q", p, g))
	}
	sort.Strings(out)
	return out
}

// rbTemps lists the files in the store's temp directories.
func rbTemps(t testing.TB, fsys afero.Fs, root string) []string {
	t.Helper()
	var out []string
	for _, d := range tmpDirs {
		entries, err := afero.ReadDir(fsys, filepath.Join(root, d))
		if err != nil && !os.IsNotExist(err) {
			require.NoError(t, err)
		}
		for _, e := range entries {
			out = append(out, d+"/"+e.Name())
		}
	}
	return out
}

// rbAudit audits s with no grace for temp and "_delete" files (nothing is writing) and returns
// the findings as sorted "class path" keys, with the summary.
func rbAudit(t testing.TB, s *hashstore.FileHashStore, repair bool) ([]string, hashstore.AuditSummary) {
	t.Helper()
	var keys []string
	sum, err := s.Audit(t.Context(), hashstore.AuditOptions{Repair: repair, TempGrace: -1},
		func(f hashstore.Finding) error {
			k := string(f.Class) + " " + f.Path
			if f.Repaired != "" {
				k += " (repaired)"
			}
			keys = append(keys, k)
			return nil
		})
	require.NoError(t, err)
	sort.Strings(keys)
	return keys, sum
}

// rbAuditDetails audits s (no repair, no grace) and describes every finding in full, for
// failure messages.
func rbAuditDetails(t testing.TB, s *hashstore.FileHashStore) string {
	t.Helper()
	var b strings.Builder
	_, err := s.Audit(t.Context(), hashstore.AuditOptions{TempGrace: -1}, func(f hashstore.Finding) error {
		fmt.Fprintf(&b, "\n  %s %s pid=%q cid=%s: %s", f.Class, f.Path, f.PID, f.CID, f.Detail)
		return nil
	})
	require.NoError(t, err)
	return b.String()
}

// childEnv is the variable that makes a re-executed test binary run as a child (crash and
// stress tests); its value names the role.
const childEnv = "HASHSTORE_TEST_CHILD"

// childCommand returns a command running this test binary's test named test (and only it),
// as a child with the given environment.
func childCommand(t testing.TB, test string, env map[string]string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+test)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// isChild reports whether this process was started by childCommand for test.
func isChild(test string) bool { return os.Getenv(childEnv) == test }

// childLines reads r line by line into a channel, closed at EOF.
func childLines(r io.Reader) <-chan string {
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// objectCIDs lists the cids of the objects in the store (files of objects/ outside tmp/, not
// "_delete" ones), by walking the OS or memory filesystem.
func objectCIDs(t testing.TB, fsys afero.Fs, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	dir := filepath.Join(root, "objects")
	require.NoError(t, afero.Walk(fsys, dir, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, "_delete") {
			out[strings.ReplaceAll(filepath.ToSlash(rel), "/", "")] = true
		}
		return nil
	}))
	return out
}

// countFiles counts the regular files below root/rel, skipping tmp/ directories.
func countFiles(t testing.TB, fsys afero.Fs, root, rel string) int {
	t.Helper()
	n := 0
	require.NoError(t, afero.Walk(fsys, filepath.Join(root, rel), func(p string, fi fs.FileInfo, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.IsDir() && fi.Name() == "tmp" {
			return filepath.SkipDir
		}
		if fi.Mode().IsRegular() {
			n++
		}
		return nil
	}))
	return n
}

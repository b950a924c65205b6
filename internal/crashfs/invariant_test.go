package crashfs

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
)

// shuffle runs a random workload, drawn from seed, on durable files: it moves files and
// directories around (never over anything), makes and removes directories, creates and
// removes files of its own, and flushes some directories and files. It never removes or
// overwrites the durable files, so no crash may lose one. It returns what it did.
func shuffle(t *testing.T, f *FS, seed uint64, steps int) []string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var did []string
	fresh := 0
	name := func() string { fresh++; return fmt.Sprintf("n%d", fresh) }
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	rename := func(from, to string) {
		did = append(did, "mv "+from+" "+to)
		require.NoError(t, f.Rename(from, to))
	}
	for range steps {
		dirs, files := listing(t, f)
		switch rng.IntN(10) {
		case 0, 1:
			if len(files) > 0 {
				rename(pick(files), path.Join(pick(dirs), name()))
			}
		case 2, 3, 4: // move a directory, not into itself
			src := pick(dirs)
			var targets []string
			for _, d := range dirs {
				if d != src && !strings.HasPrefix(d, src+"/") {
					targets = append(targets, d)
				}
			}
			if src != "/" && len(targets) > 0 {
				rename(src, path.Join(pick(targets), name()))
			}
		case 5:
			d := path.Join(pick(dirs), name())
			did = append(did, "mkdir "+d)
			require.NoError(t, f.Mkdir(d, 0o755))
		case 6: // remove an empty directory, or one of our own files
			d := pick(dirs)
			if kids, _ := afero.ReadDir(f, d); d != "/" && len(kids) == 0 {
				did = append(did, "rmdir "+d)
				require.NoError(t, f.Remove(d))
			}
			for _, file := range files {
				if content(t, f, file) == "own" {
					did = append(did, "rm "+file)
					require.NoError(t, f.Remove(file))
					break
				}
			}
		case 7:
			file, sync := path.Join(pick(dirs), name()), rng.IntN(2) == 0
			did = append(did, fmt.Sprintf("put %s (sync %v)", file, sync))
			put(t, f, file, "own", sync)
		case 8, 9:
			target := pick(dirs)
			if len(files) > 0 && rng.IntN(3) == 0 {
				target = pick(files)
			}
			did = append(did, "sync "+target)
			h, err := f.Open(target)
			require.NoError(t, err)
			require.NoError(t, h.Sync())
			require.NoError(t, h.Close())
		}
	}
	return did
}

// listing returns every directory and every file, sorted.
func listing(t *testing.T, f afero.Fs) (dirs, files []string) {
	require.NoError(t, afero.Walk(f, "/", func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	}))
	return dirs, files
}

func TestRandomWorkloadsNeverLoseADurableFile(t *testing.T) {
	originals := map[string]string{}
	for d := range 3 {
		for i := range 3 {
			originals[fmt.Sprintf("/d%d/f%d", d, i)] = fmt.Sprintf("durable %d.%d", d, i)
		}
	}
	for w := range uint64(60) {
		for _, p := range policies(10) {
			f := durable(t, originals)
			did := shuffle(t, f, w, 80)
			f.Crash(p)
			_, files := listing(t, f)
			found := map[string]bool{}
			for _, file := range files {
				found[content(t, f, file)] = true
			}
			for name, c := range originals {
				if !found[c] {
					t.Fatalf("workload %d, %s: %s (%q) was lost.\nThe workload: %s\nThe tree after the crash: %v",
						w, p, name, c, strings.Join(did, "; "), names(tree(t, f)))
				}
			}
		}
	}
}

package crashfs

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writer commits files in its own directory, each with fsync of the file and of the
// directory, until done or the power goes; it returns the files it committed.
func writer(f *FS, dir string, files int) ([]string, error) {
	var committed []string
	for i := range files {
		name := fmt.Sprintf("%s/f%d", dir, i)
		h, err := f.Create(name)
		if err != nil {
			return committed, err
		}
		for _, part := range []string{name[:2], name[2:]} {
			if _, err := h.Write([]byte(part)); err != nil {
				return committed, err
			}
		}
		buf := make([]byte, len(name))
		if _, err := h.ReadAt(buf, 0); err != nil || string(buf) != name {
			return committed, fmt.Errorf("read back %q: %w", buf, err)
		}
		if err := h.Sync(); err != nil {
			return committed, err
		}
		if err := h.Close(); err != nil {
			return committed, err
		}
		if _, err := f.Stat(name); err != nil {
			return committed, err
		}
		if err := fsyncDir(f, dir); err != nil {
			return committed, err
		}
		committed = append(committed, name)
	}
	return committed, nil
}

func TestConcurrentWritersKeepWhatWasCommitted(t *testing.T) {
	const writers, files = 8, 60
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprintf("power cut %v", cut), func(t *testing.T) {
			f := New()
			for w := range writers {
				require.NoError(t, f.Mkdir(fmt.Sprintf("/w%d", w), 0o755))
			}
			syncDir(t, f, "/")
			var wg sync.WaitGroup
			committed := make([][]string, writers)
			for w := range writers {
				wg.Go(func() {
					var err error
					committed[w], err = writer(f, fmt.Sprintf("/w%d", w), files)
					if err != nil && !errors.Is(err, ErrPowerCut) {
						t.Errorf("writer %d: %v", w, err)
					}
				})
			}
			wg.Go(func() { // a group commit running alongside
				for range 10 {
					if f.SyncAll() != nil {
						return
					}
				}
			})
			if cut {
				wg.Go(func() {
					for f.Ops() < writers*files {
						runtime.Gosched()
					}
					f.PowerCut()
				})
			}
			wg.Wait()
			f.Crash(KeepNothing())
			total := 0
			for w := range writers {
				for _, name := range committed[w] {
					assert.Equal(t, name, content(t, f, name))
				}
				total += len(committed[w])
			}
			if !cut {
				assert.Equal(t, writers*files, total)
			}
			t.Logf("%d files committed", total)
		})
	}
}

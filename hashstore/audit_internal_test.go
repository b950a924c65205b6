package hashstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/keylock"
)

// These tests hold a writer's locks while the store is in one of the writer's intermediate
// states, start an audit (with repair, no grace and a clock hours ahead), let the "writer"
// finish and release its locks, and require the audit to have waited and found nothing: the
// proof that findings are confirmed under the locks rather than from what the walk first saw.

func lockTestStores(t *testing.T) map[string]*FileHashStore {
	out := map[string]*FileHashStore{}
	for name, fsys := range map[string]afero.Fs{"os": afero.NewOsFs(), "mem": afero.NewMemMapFs()} {
		root := "/store"
		if name == "os" {
			root = filepath.Join(t.TempDir(), "store")
		}
		s, err := New(root, DefaultConfig(), WithFs(fsys), WithSync(false))
		require.NoError(t, err)
		out[name] = s
	}
	return out
}

// auditBehind starts an audit and returns a channel with its findings once it ends.
func auditBehind(t *testing.T, s *FileHashStore) <-chan []Finding {
	done := make(chan []Finding, 1)
	go func() {
		var found []Finding
		_, err := s.Audit(context.Background(), AuditOptions{Repair: true, TempGrace: -1,
			Now: func() time.Time { return time.Now().Add(3 * time.Hour) }},
			func(f Finding) error { found = append(found, f); return nil })
		assert.NoError(t, err)
		done <- found
	}()
	return done
}

func requireWaiting(t *testing.T, done <-chan []Finding) {
	t.Helper()
	select {
	case f := <-done:
		t.Fatalf("the audit did not wait for the writer's locks; it found %+v", f)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestAuditWaitsForATagInProgress(t *testing.T) {
	for name, s := range lockTestStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			meta, err := s.StoreObject(ctx, strings.NewReader("being tagged"))
			require.NoError(t, err)
			const pid = "tag.in.progress"
			// TagObject holds the pid and cid locks and has written the cid refs line.
			unlockPID, err := s.lockPID(ctx, pid)
			require.NoError(t, err)
			unlockCID, err := s.locks.Lock(ctx, keylock.CID, meta.CID)
			require.NoError(t, err)
			require.NoError(t, s.files.WriteFile(s.tmpDir("refs"), s.cidRefsPath(meta.CID), []byte(pid+"\n")))

			done := auditBehind(t, s)
			requireWaiting(t, done)
			require.NoError(t, s.files.WriteFile(s.tmpDir("refs"), s.pidRefsPath(pid), []byte(meta.CID)))
			unlockCID()
			unlockPID()
			assert.Empty(t, <-done)
			_, err = s.FindObject(ctx, pid)
			assert.NoError(t, err, "the tag is intact")
		})
	}
}

func TestAuditWaitsForADeleteInProgress(t *testing.T) {
	for name, s := range lockTestStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			const pid = "delete.in.progress"
			meta, err := s.StoreObject(ctx, strings.NewReader("being deleted"), WithPID(pid))
			require.NoError(t, err)
			// DeleteObject holds the pid and cid locks and has renamed the object away.
			unlockPID, err := s.lockPID(ctx, pid)
			require.NoError(t, err)
			unlockCID, err := s.locks.Lock(ctx, keylock.CID, meta.CID)
			require.NoError(t, err)
			obj := s.objectPath(meta.CID)
			require.NoError(t, s.fs.Rename(obj, obj+"_delete"))

			done := auditBehind(t, s)
			requireWaiting(t, done)
			// It finishes: cid refs and pid refs renamed away, then everything unlinked.
			for _, p := range []string{obj, s.cidRefsPath(meta.CID), s.pidRefsPath(pid)} {
				if p != obj {
					require.NoError(t, s.fs.Rename(p, p+"_delete"))
				}
				require.NoError(t, s.fs.Remove(p+"_delete"))
			}
			unlockCID()
			unlockPID()
			assert.Empty(t, <-done)
		})
	}
}

package hostile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// hostileStore is a world with many odd entries at once, and what the audit must say of each.
type hostileStore struct {
	*world
	temps    []string // the planted tmp entries (store-relative)
	leftover string   // a "_delete" directory
	want     []struct {
		class hashstore.FindingClass
		rel   string
	}
}

func newHostileStore(t *testing.T) *hostileStore {
	t.Helper()
	w := newWorld(t)
	h := &hostileStore{world: w}
	expect := func(class hashstore.FindingClass, abs string) {
		h.want = append(h.want, struct {
			class hashstore.FindingClass
			rel   string
		}{class, w.rel(t, abs)})
	}
	replace := func(p string) { require.NoError(t, os.Remove(p)) }

	p1 := w.p
	replace(p1.PIDRefsPath)
	mkfifo(t, p1.PIDRefsPath)
	expect(hashstore.FindingUnexpectedFile, p1.PIDRefsPath)
	expect(hashstore.FindingUnreadable, p1.CIDRefsPath) // its line is checked against the FIFO

	p2 := w.add(t, "p.2", "second\n")
	replace(p2.CIDRefsPath)
	require.NoError(t, os.Mkdir(p2.CIDRefsPath, 0o755))
	expect(hashstore.FindingUnexpectedFile, p2.CIDRefsPath)
	expect(hashstore.FindingUnreadable, p2.PIDRefsPath)

	p3 := w.add(t, "p.3", "third\n")
	replace(p3.ObjectPath)
	secret := filepath.Join(w.outside, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("third\n"), 0o644)) // the right content, outside
	require.NoError(t, os.Symlink(secret, p3.ObjectPath))
	expect(hashstore.FindingUnexpectedFile, p3.ObjectPath)

	p4 := w.add(t, "p.4", "fourth\n")
	replace(p4.SysmetaPath)
	mksocket(t, p4.SysmetaPath)
	expect(hashstore.FindingUnexpectedFile, p4.SysmetaPath)

	p5 := w.add(t, "p.5", "fifth\n")
	require.NoError(t, os.WriteFile(p5.PIDRefsPath, []byte(strings.Repeat("a", 5000)), 0o644))
	expect(hashstore.FindingMalformedRefs, p5.PIDRefsPath)
	expect(hashstore.FindingOrphanCIDRefsEntry, p5.CIDRefsPath)

	// After all those, an ordinary broken pid: its pid refs file names a cid nobody stored.
	p6 := w.add(t, "p.6", "sixth\n")
	require.NoError(t, os.WriteFile(p6.PIDRefsPath, []byte(strings.Repeat("0", 64)), 0o644))
	expect(hashstore.FindingOrphanPIDRefs, p6.PIDRefsPath)
	expect(hashstore.FindingOrphanCIDRefsEntry, p6.CIDRefsPath)

	// Temp entries of every kind: a link to the bystander's object, a directory holding a
	// link out of the store, a FIFO.
	objTemp := filepath.Join(w.root, "objects", "tmp", "tmp0000000000000001")
	require.NoError(t, os.Symlink(w.q.ObjectPath, objTemp))
	metaTemp := filepath.Join(w.root, "metadata", "tmp", "leftover")
	require.NoError(t, os.Mkdir(metaTemp, 0o755))
	require.NoError(t, os.Symlink(secret, filepath.Join(metaTemp, "link")))
	refsTemp := filepath.Join(w.root, "refs", "tmp", "fifo")
	mkfifo(t, refsTemp)
	for _, p := range []string{objTemp, metaTemp, refsTemp} {
		h.temps = append(h.temps, w.rel(t, p))
		expect(hashstore.FindingAbandonedTemp, p)
	}

	// What a delete that met a directory at an object path leaves.
	leftover := filepath.Join(filepath.Dir(w.q.ObjectPath), strings.Repeat("e", 58)+"_delete")
	require.NoError(t, os.MkdirAll(filepath.Join(leftover, "inner"), 0o755))
	h.leftover = w.rel(t, leftover)
	expect(hashstore.FindingLeftoverDelete, leftover)
	return h
}

// TestHostileAuditGoesOn: an audit of a store full of odd entries reports every one of them,
// each in its class, and the ordinary broken pid after them, says nothing of the bystander,
// and completes without error.
func TestHostileAuditGoesOn(t *testing.T) {
	h := newHostileStore(t)
	found, sum := h.audit(t, hashstore.AuditOptions{Rehash: true})
	for _, want := range h.want {
		finding(t, found, want.class, want.rel)
	}
	for _, f := range found {
		assert.NotContains(t, f.Path+f.PID+f.CID+f.Detail, h.q.CID, "nothing about the bystander: %+v", f)
		assert.NotEqual(t, "q.1", f.PID)
	}
	assert.False(t, sum.Clean)
	assert.Equal(t, len(found), sum.Findings)
	assert.Positive(t, sum.Counts[hashstore.FindingUnreadable])
}

// TestHostileAuditRepair: the repair removes the abandoned temp entries whatever their kind and
// the "_delete" directory, following no link (the bystander's object and the file outside
// stay), and touches nothing else it reported.
func TestHostileAuditRepair(t *testing.T) {
	h := newHostileStore(t)
	found, _ := h.audit(t, hashstore.AuditOptions{Repair: true})
	for _, rel := range append(h.temps, h.leftover) {
		kind := hashstore.FindingAbandonedTemp
		if rel == h.leftover {
			kind = hashstore.FindingLeftoverDelete
		}
		f := finding(t, found, kind, rel)
		assert.Equal(t, "removed "+rel, f.Repaired)
		_, err := os.Lstat(filepath.Join(h.root, rel))
		assert.True(t, os.IsNotExist(err), rel)
	}
	data, err := os.ReadFile(h.q.ObjectPath)
	require.NoError(t, err)
	assert.Equal(t, "the bystander's data\n", string(data))
	data, err = os.ReadFile(filepath.Join(h.outside, "secret"))
	require.NoError(t, err)
	assert.Equal(t, "third\n", string(data))
	for _, want := range h.want {
		if want.class != hashstore.FindingAbandonedTemp && want.class != hashstore.FindingLeftoverDelete &&
			want.class != hashstore.FindingOrphanPIDRefs && want.class != hashstore.FindingOrphanCIDRefsEntry {
			_, err := os.Lstat(filepath.Join(h.root, want.rel))
			assert.NoError(t, err, "%s at %s is reported, not repaired", want.class, want.rel)
		}
	}
}

// TestHostileAuditStops: only a cancelled context and the report function's error end an
// audit; each is returned.
func TestHostileAuditStops(t *testing.T) {
	h := newHostileStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	_, err := h.s.Audit(ctx, hashstore.AuditOptions{TempGrace: -1}, func(hashstore.Finding) error {
		n++
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)

	stop := errors.New("enough")
	n = 0
	_, err = h.s.Audit(context.Background(), hashstore.AuditOptions{TempGrace: -1}, func(hashstore.Finding) error {
		n++
		return stop
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

// TestHostileAuditUnreadable: an object or a document the store's user cannot open is a
// finding of class unreadable, also without --rehash, where the audit has no need to read it.
func TestHostileAuditUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root opens a file of mode 000 (the program's tests run this case as another user)")
	}
	w := newWorld(t)
	for _, p := range []string{w.p.ObjectPath, w.p.SysmetaPath} {
		require.NoError(t, os.Chmod(p, 0))
	}
	found, _ := w.audit(t, hashstore.AuditOptions{})
	for _, p := range []string{w.p.ObjectPath, w.p.SysmetaPath} {
		f := finding(t, found, hashstore.FindingUnreadable, w.rel(t, p))
		assert.Contains(t, f.Detail, "permission denied")
	}
}

// TestHostileLocksAndLinkedDirectories: a locks/ that is not a directory, and a top directory
// that is a link, keep the store from opening for writing (a read-only open works) and are
// reported by the audit.
func TestHostileLocksAndLinkedDirectories(t *testing.T) {
	t.Run("locks", func(t *testing.T) {
		w := newWorld(t)
		locks := filepath.Join(w.root, "locks")
		require.NoError(t, os.RemoveAll(locks))
		require.NoError(t, os.Symlink(w.outside, locks))
		_, err := hashstore.Open(w.root)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "locks/ is a symbolic link, not a directory")
		w.s, err = hashstore.Open(w.root, hashstore.WithReadOnly())
		require.NoError(t, err)
		found, _ := w.audit(t, hashstore.AuditOptions{})
		f := finding(t, found, hashstore.FindingUnexpectedFile, "locks")
		assert.Contains(t, f.Detail, "a symbolic link")
		entries, err := os.ReadDir(w.outside)
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
	for _, dir := range []string{"objects", "metadata", "refs", "refs/pids", "refs/cids"} {
		t.Run(dir, func(t *testing.T) {
			w := newWorld(t)
			p := filepath.Join(w.root, filepath.FromSlash(dir))
			moved := filepath.Join(w.outside, "moved")
			require.NoError(t, os.Rename(p, moved))
			require.NoError(t, os.Symlink(moved, p))
			_, err := hashstore.Open(w.root)
			require.Error(t, err, "a writable open")
			w.s, err = hashstore.Open(w.root, hashstore.WithReadOnly())
			require.NoError(t, err)
			found, _ := w.audit(t, hashstore.AuditOptions{Rehash: true})
			var linked bool
			for _, f := range found {
				if f.Path == dir && (f.Class == hashstore.FindingUnreadable || f.Class == hashstore.FindingUnexpectedFile) {
					linked = true
				}
				assert.False(t, strings.HasPrefix(f.Path, dir+"/") && strings.Count(f.Path, "/") > strings.Count(dir, "/")+1,
					"nothing behind the link is walked: %+v", f)
			}
			assert.True(t, linked, "the link is reported: %+v", found)
		})
	}
}

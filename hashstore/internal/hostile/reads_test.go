package hostile_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// oddForms are what may stand where a store file should be, each planted at p by a function
// that may use the world's outside directory; found is how the refusal describes it.
var oddForms = []struct {
	name, found string
	plant       func(t *testing.T, w *world, p string)
}{
	{"fifo", "a named pipe (FIFO)", func(t *testing.T, _ *world, p string) { mkfifo(t, p) }},
	{"directory", "a directory", func(t *testing.T, _ *world, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }},
	{"socket", "a socket", func(t *testing.T, _ *world, p string) { mksocket(t, p) }},
	{"link outside", "a symbolic link", func(t *testing.T, w *world, p string) {
		target := filepath.Join(w.outside, "decoy")
		require.NoError(t, os.WriteFile(target, []byte("DECOY"), 0o644))
		require.NoError(t, os.Symlink(target, p))
	}},
	{"link inside", "a symbolic link", func(t *testing.T, w *world, p string) {
		require.NoError(t, os.Symlink(w.q.ObjectPath, p)) // another entry of the store
	}},
	{"dangling link", "a symbolic link", func(t *testing.T, w *world, p string) {
		require.NoError(t, os.Symlink(filepath.Join(w.root, "nothing"), p))
	}},
}

// TestHostileReadsRefuseOddEntries: every reader of a store file refuses, at once, what is not
// a regular file where the file should be, and never serves what a link leads to. The error
// matches safeopen.ErrNotRegular and says what was found.
func TestHostileReadsRefuseOddEntries(t *testing.T) {
	ctx := context.Background()
	entries := []struct {
		name  string
		path  func(w *world) string
		reads map[string]func(w *world) (string, error)
	}{
		{"pid refs", func(w *world) string { return w.p.PIDRefsPath }, map[string]func(w *world) (string, error){
			"RetrieveObject": retrieveObject, "FindObject": findObject, "GetHexDigest": hexDigest}},
		{"cid refs", func(w *world) string { return w.p.CIDRefsPath }, map[string]func(w *world) (string, error){
			"RetrieveObject": retrieveObject, "FindObject": findObject, "GetHexDigest": hexDigest}},
		{"object", func(w *world) string { return w.p.ObjectPath }, map[string]func(w *world) (string, error){
			"RetrieveObject": retrieveObject, "GetHexDigest": hexDigest, "StatObject": statObject}},
		{"metadata", func(w *world) string { return w.p.SysmetaPath }, map[string]func(w *world) (string, error){
			"RetrieveMetadata": func(w *world) (string, error) {
				r, err := w.s.RetrieveMetadata(ctx, "p.1")
				if err != nil {
					return "", err
				}
				defer r.Close()
				data, err := io.ReadAll(r)
				return string(data), err
			}}},
	}
	for _, e := range entries {
		for _, form := range oddForms {
			t.Run(e.name+"/"+form.name, func(t *testing.T) {
				w := newWorld(t)
				p := e.path(w)
				require.NoError(t, os.Remove(p))
				form.plant(t, w, p)
				for name, read := range e.reads {
					got, err := within(t, func() (string, error) { return read(w) })
					require.Error(t, err, name)
					assert.ErrorIs(t, err, safeopen.ErrNotRegular, name)
					assert.Contains(t, err.Error(), "found "+form.found, name)
					assert.NotContains(t, got, "DECOY", name)
				}
			})
		}
	}
}

func retrieveObject(w *world) (string, error) {
	r, err := w.s.RetrieveObject(context.Background(), "p.1")
	if err != nil {
		return "", err
	}
	defer r.Close()
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	return string(buf[:n]), nil
}

func findObject(w *world) (string, error) {
	info, err := w.s.FindObject(context.Background(), "p.1")
	return info.CID, err
}

func hexDigest(w *world) (string, error) {
	return w.s.GetHexDigest(context.Background(), "p.1", hashstore.MD5)
}

func statObject(w *world) (string, error) {
	meta, _, err := w.s.StatObject(context.Background(), w.p.CID)
	return meta.CID, err
}

// TestHostileLinkedDirectoryOnTheWay: a shard directory replaced by a link to a copy of itself
// outside the store is refused, though the file behind it is the right one.
func TestHostileLinkedDirectoryOnTheWay(t *testing.T) {
	w := newWorld(t)
	shard := filepath.Dir(w.p.ObjectPath)
	moved := filepath.Join(w.outside, "shard")
	require.NoError(t, os.Rename(shard, moved))
	require.NoError(t, os.Symlink(moved, shard))
	_, err := within(t, func() (string, error) { return retrieveObject(w) })
	require.ErrorIs(t, err, safeopen.ErrNotRegular)
	assert.Contains(t, err.Error(), "where a directory was expected")
	_, err = within(t, func() (string, error) { return hexDigest(w) })
	require.ErrorIs(t, err, safeopen.ErrNotRegular)
}

// TestHostileRefsAreBounded: a pid refs file over 64 KiB and a cid refs file over 256 MiB (a
// sparse file: nothing is read) are refused with safeopen.ErrTooLarge, by the readers and by
// DeleteObject, which cannot take them for references.
func TestHostileRefsAreBounded(t *testing.T) {
	for _, c := range []struct {
		name string
		path func(w *world) string
		size int64
	}{
		{"pid refs", func(w *world) string { return w.p.PIDRefsPath }, 64<<10 + 1},
		{"cid refs", func(w *world) string { return w.p.CIDRefsPath }, 256<<20 + 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			require.NoError(t, os.Truncate(c.path(w), c.size))
			for name, read := range map[string]func(*world) (string, error){"RetrieveObject": retrieveObject, "FindObject": findObject} {
				_, err := within(t, func() (string, error) { return read(w) })
				require.ErrorIs(t, err, safeopen.ErrTooLarge, name)
				assert.Contains(t, err.Error(), "more than the limit", name)
			}
			_, err := within(t, func() (struct{}, error) { return struct{}{}, w.s.DeleteObject(context.Background(), "p.1") })
			require.ErrorIs(t, err, safeopen.ErrTooLarge)
			fi, err := os.Stat(c.path(w))
			require.NoError(t, err)
			assert.Equal(t, c.size, fi.Size(), "left as it was")
		})
	}
}

// TestHostileOverlongCIDIsCleanedUp: a pid refs file naming a cid no file name can hold is
// malformed for the readers, and DeleteObject removes it (and the pid's metadata).
func TestHostileOverlongCIDIsCleanedUp(t *testing.T) {
	w := newWorld(t)
	require.NoError(t, os.WriteFile(w.p.PIDRefsPath, []byte(strings.Repeat("a", 5000)), 0o644))
	_, err := within(t, func() (string, error) { return retrieveObject(w) })
	require.Error(t, err)
	_, err = within(t, func() (struct{}, error) { return struct{}{}, w.s.DeleteObject(context.Background(), "p.1") })
	require.NoError(t, err)
	_, err = os.Lstat(w.p.PIDRefsPath)
	assert.True(t, os.IsNotExist(err))
	_, err = os.Lstat(w.p.SysmetaPath)
	assert.True(t, os.IsNotExist(err))
	_, err = w.s.FindObject(context.Background(), "p.1")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
}

// TestHostileNULIsNoIdentifier: an identifier holding NUL is refused, by the rule and by the
// operations, before anything is written.
func TestHostileNULIsNoIdentifier(t *testing.T) {
	err := hashstore.CheckIdentifier("pid", "a\x00b")
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "contains NUL")
	w := newWorld(t)
	_, err = w.s.StoreObject(context.Background(), strings.NewReader("x"), hashstore.WithPID("a\x00b"))
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	require.ErrorIs(t, w.s.TagObject(context.Background(), "a\x00b", w.p.CID), hashstore.ErrInvalidArgument)
}

package hashstore_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// extractGolden unpacks a golden store tarball (written by the Java or Python implementation)
// into fsys under dir, keeping modes, and returns the store root.
func extractGolden(t *testing.T, fsys afero.Fs, dir, tarball, rootName string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "golden", tarball))
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			require.NoError(t, fsys.MkdirAll(name, 0o755))
			require.NoError(t, fsys.Chmod(name, mode))
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			require.NoError(t, afero.WriteFile(fsys, name, data, mode))
			require.NoError(t, fsys.Chmod(name, mode))
		}
	}
	return filepath.Join(dir, rootName)
}

type goldenStore struct {
	tarball, root string
	// cid refs file content of each vector as that implementation wrote it
	javaStyle bool
}

var goldenStores = []goldenStore{
	{"store-python-1.1.0.tar.gz", "python-1.1.0", false},
	{"store-java-1.1.0.tar.gz", "java-1.1.0", true},
}

func goldenFilesystems(t *testing.T) map[string]func() (afero.Fs, string) {
	return map[string]func() (afero.Fs, string){
		"os":  func() (afero.Fs, string) { return afero.NewOsFs(), t.TempDir() },
		"mem": func() (afero.Fs, string) { return afero.NewMemMapFs(), "/golden" },
	}
}

const dupPID = "jtao.1700.1.dup"

// TestC286GoldenStoresRead opens both reference stores and reads back every object and
// document with the digests of VECTORS.md, including the second pid on jtao.1700.1's content.
func TestC286GoldenStoresRead(t *testing.T) {
	for _, g := range goldenStores {
		for fsName, mk := range goldenFilesystems(t) {
			t.Run(g.root+"/"+fsName, func(t *testing.T) {
				fsys, dir := mk()
				root := extractGolden(t, fsys, dir, g.tarball, g.root)
				ctx := t.Context()

				// Both the Python and the Java hashstore.yaml open, with and without
				// supplied properties, and opening them writes nothing.
				before := tree(t, fsys, root)
				s, err := hashstore.Open(root, hashstore.WithFs(fsys), hashstore.WithReadOnly())
				require.NoError(t, err)
				assert.Equal(t, hashstore.DefaultConfig(), s.Config())
				_, err = hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFs(fsys))
				require.NoError(t, err)
				assert.Equal(t, before, tree(t, fsys, root), "opening must not change the store")

				for _, v := range hashstoretest.Vectors() {
					r, err := s.RetrieveObject(ctx, v.PID, hashstore.WithVerify())
					require.NoError(t, err, v.PID)
					data, err := io.ReadAll(r)
					require.NoError(t, err, "verified read of %s", v.PID)
					r.Close()
					assert.Equal(t, v.Data(), data)
					for alg, want := range v.Digests {
						got, err := s.GetHexDigest(ctx, v.PID, alg, hashstore.WithReread())
						require.NoError(t, err)
						assert.Equal(t, want, got, "%s %s", v.PID, alg)
					}
					info, err := s.FindObject(ctx, v.PID)
					require.NoError(t, err)
					assert.Equal(t, filepath.Join(root, filepath.FromSlash(v.SysmetaPath)), info.SysmetaPath)
					md, err := s.RetrieveMetadata(ctx, v.PID)
					require.NoError(t, err)
					doc, _ := io.ReadAll(md)
					md.Close()
					assert.Equal(t, v.SysmetaSHA256, hashstoretest.SHA256Hex(doc))
				}
				jtao := hashstoretest.Vectors()[1]
				info, err := s.FindObject(ctx, dupPID)
				require.NoError(t, err)
				assert.Equal(t, jtao.CID, info.CID)
				r, err := s.RetrieveObject(ctx, dupPID)
				require.NoError(t, err)
				data, err := io.ReadAll(r)
				r.Close()
				require.NoError(t, err)
				assert.Equal(t, jtao.Data(), data)
			})
		}
	}
}

// TestC286GoldenStoresTagAndDelete tags a new pid onto existing content of each reference
// store (the Java cid refs files lack their final newline: C132/C287) and deletes pids,
// checking every refs file byte for byte afterwards (C288).
func TestC286GoldenStoresTagAndDelete(t *testing.T) {
	vs := hashstoretest.Vectors()
	doi, jtao, urn := vs[0], vs[1], vs[2]
	for _, g := range goldenStores {
		for fsName, mk := range goldenFilesystems(t) {
			t.Run(g.root+"/"+fsName, func(t *testing.T) {
				fsys, dir := mk()
				root := extractGolden(t, fsys, dir, g.tarball, g.root)
				rel := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
				read := func(p string) string {
					b, err := afero.ReadFile(fsys, rel(p))
					require.NoError(t, err)
					return string(b)
				}
				ctx := t.Context()
				s, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFs(fsys))
				require.NoError(t, err)

				wantURN := urn.PID + "\n"
				if g.javaStyle {
					wantURN = urn.PID // Java's first write has no newline
				}
				require.Equal(t, wantURN, read(urn.CIDRefsPath))

				// Tag a new pid onto the urn content: no line merging, every line ends in \n.
				require.NoError(t, s.TagObject(ctx, "new.pid.1", urn.CID))
				assert.Equal(t, urn.PID+"\nnew.pid.1\n", read(urn.CIDRefsPath))
				assert.Equal(t, urn.CID, read(hashstoretest.PIDRefsPath("new.pid.1")))
				for _, p := range []string{urn.PID, "new.pid.1"} {
					info, err := s.FindObject(ctx, p)
					require.NoError(t, err, p)
					assert.Equal(t, urn.CID, info.CID)
				}
				// Storing the same content under another pid dedupes onto the same object.
				meta, err := s.StoreObject(ctx, bytes.NewReader(urn.Data()), hashstore.WithPID("new.pid.2"))
				require.NoError(t, err)
				assert.Equal(t, urn.CID, meta.CID)
				assert.Equal(t, urn.PID+"\nnew.pid.1\nnew.pid.2\n", read(urn.CIDRefsPath))

				// Delete one of two pids on jtao's content: the other stays, its line intact.
				require.NoError(t, s.DeleteObject(ctx, jtao.PID))
				assert.Equal(t, dupPID+"\n", read(jtao.CIDRefsPath))
				assert.True(t, exists(fsys, rel(jtao.ObjectPath)), "object still referenced by the dup pid")
				assert.False(t, exists(fsys, rel(jtao.PIDRefsPath)))
				assert.False(t, exists(fsys, rel(jtao.SysmetaPath)), "the deleted pid's sysmeta goes too")
				require.NoError(t, s.DeleteObject(ctx, dupPID))
				assert.False(t, exists(fsys, rel(jtao.ObjectPath)))
				assert.False(t, exists(fsys, rel(jtao.CIDRefsPath)))

				// Delete the single pid of a Java-written (newline-less) cid refs file.
				require.NoError(t, s.DeleteObject(ctx, doi.PID))
				for _, p := range []string{doi.ObjectPath, doi.CIDRefsPath, doi.PIDRefsPath, doi.SysmetaPath} {
					assert.False(t, exists(fsys, rel(p)), p)
				}
				// Nothing but the expected files is left, and no temp or _delete files.
				for p := range tree(t, fsys, root) {
					assert.NotContains(t, p, "_delete")
					assert.False(t, strings.Contains(p, "/tmp/"), "stray temp file %s", p)
				}
				// urn is untouched and still readable with a verifying reader.
				r, err := s.RetrieveObject(ctx, urn.PID, hashstore.WithVerify())
				require.NoError(t, err)
				_, err = io.Copy(io.Discard, r)
				require.NoError(t, err)
				r.Close()
			})
		}
	}
}

func exists(fsys afero.Fs, p string) bool {
	_, err := fsys.Stat(p)
	return err == nil
}

// tree maps every path under root to its content (directories to "/").
func tree(t *testing.T, fsys afero.Fs, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, afero.Walk(fsys, root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if fi.IsDir() {
			out[rel] = "/"
			return nil
		}
		b, err := afero.ReadFile(fsys, p)
		out[rel] = string(b)
		return err
	}))
	return out
}

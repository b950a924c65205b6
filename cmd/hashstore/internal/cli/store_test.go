package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func TestInit(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "store")

	t.Run("create", func(t *testing.T) {
		r := ok(t, nil, "--store", dir, "--json", "init")
		got := decode[map[string]any](t, r.stdout)
		require.Equal(t, map[string]any{
			"store": dir, "store_depth": 3.0, "store_width": 2.0, "store_algorithm": "SHA-256",
			"store_metadata_namespace": hashstore.DefaultNamespace, "created": true,
		}, got)
		require.Contains(t, r.stderr, "created the store")
		require.FileExists(t, filepath.Join(dir, "hashstore.yaml"))
		// The library opens what init created, with the same properties.
		st, err := hashstore.Open(dir, hashstore.WithReadOnly())
		require.NoError(t, err)
		require.Equal(t, hashstore.DefaultConfig(), st.Config())
	})

	t.Run("reopen with the same properties", func(t *testing.T) {
		before := readFile(t, filepath.Join(dir, "hashstore.yaml"))
		r := ok(t, nil, "--store", dir, "init", "--depth", "3", "--width", "2", "--algorithm", "sha256")
		require.Equal(t, "store: "+dir+"\nstore_depth: 3\nstore_width: 2\nstore_algorithm: SHA-256\n"+
			"store_metadata_namespace: "+hashstore.DefaultNamespace+"\n", r.stdout)
		require.Contains(t, r.stderr, "exists")
		r = ok(t, nil, "--store", dir, "--json", "-q", "init")
		require.Equal(t, false, decode[map[string]any](t, r.stdout)["created"])
		require.Empty(t, r.stderr, "--quiet silences the notice")
		require.Equal(t, before, readFile(t, filepath.Join(dir, "hashstore.yaml")))
	})

	t.Run("mismatch", func(t *testing.T) {
		before := readFile(t, filepath.Join(dir, "hashstore.yaml"))
		doc := fails(t, ExitFailure, "config_mismatch", nil, "--store", dir, "init", "--depth", "4")
		require.Contains(t, doc["error"].(map[string]any)["message"], "store_depth")
		fails(t, ExitFailure, "config_mismatch", nil, "--store", dir, "init", "--namespace", "urn:other")
		fails(t, ExitFailure, "config_mismatch", nil, "--store", dir, "init", "--algorithm", "MD5")
		require.Equal(t, before, readFile(t, filepath.Join(dir, "hashstore.yaml")))
	})

	t.Run("bad properties", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "s")
		fails(t, ExitFailure, "unsupported_algorithm", nil, "--store", fresh, "init", "--algorithm", "SHA-999")
		fails(t, ExitFailure, "unsupported_algorithm", nil, "--store", fresh, "init", "--algorithm", "SHA3-256")
		fails(t, ExitFailure, "invalid_argument", nil, "--store", fresh, "init", "--depth", "0")
		requireMissing(t, filepath.Join(fresh, "hashstore.yaml"))
		fails(t, ExitUsage, "usage", nil, "--store", fresh, "init", "--depth", "three")
		fails(t, ExitUsage, "usage", nil, "--store", fresh, "init", "extra")
	})

	t.Run("non-default store", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "s")
		ok(t, nil, "--store", other, "init", "--depth", "2", "--width", "3", "--algorithm", "SHA-1", "--namespace", "urn:ns:sysmeta")
		st, err := hashstore.Open(other, hashstore.WithReadOnly())
		require.NoError(t, err)
		require.Equal(t, hashstore.Config{Depth: 2, Width: 3, Algorithm: "SHA-1", MetadataNamespace: "urn:ns:sysmeta"}, st.Config())
		// Every other command takes the properties from hashstore.yaml.
		meta := decode[hashstore.ObjectMetadata](t, ok(t, nil, "--store", other, "store", "--pid", jtaoPID, jtaoFile).stdout)
		require.Equal(t, jtaoDigests["SHA-1"], meta.CID)
		require.FileExists(t, filepath.Join(other, "objects", "3d2", "543", "6c4490b08a2646e283dada5c60e5c0539d"))
	})
}

func TestStoreFromEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	t.Setenv(StoreEnv, dir)
	ok(t, nil, "init")
	require.FileExists(t, filepath.Join(dir, "hashstore.yaml"))
	r := ok(t, nil, "store", "--pid", jtaoPID, jtaoFile)
	require.Equal(t, jtaoCID, decode[hashstore.ObjectMetadata](t, r.stdout).CID)
	// --store wins over the environment.
	other := newStore(t)
	fails(t, ExitFailure, "not_found", nil, "--store", other, "find", "--pid", jtaoPID)
	ok(t, nil, "find", "--pid", jtaoPID)
}

func TestCommandsThatReadCreateNothing(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "nothing")
	require.NoError(t, os.Mkdir(empty, 0o755))
	for _, args := range [][]string{
		{"get", "--pid", jtaoPID},
		{"digest", "--pid", jtaoPID, "--algorithm", "MD5"},
		{"find", "--pid", jtaoPID},
		{"metadata", "get", "--pid", jtaoPID},
		{"delete", "--pid", jtaoPID},
		{"tag", "--pid", jtaoPID, "--cid", jtaoCID},
	} {
		fails(t, ExitFailure, "not_found", nil, append([]string{"--store", empty}, args...)...)
	}
	requireEmptyDir(t, empty)
	// A store whose directories are missing (as a crash during creation may leave) is not
	// completed by commands that only read.
	dir := newStore(t)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "objects")))
	fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", jtaoPID)
	requireMissing(t, filepath.Join(dir, "objects"))
}

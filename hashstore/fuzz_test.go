package hashstore_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/ident"
)

// FuzzParseConfig: any bytes given as hashstore.yaml either fail to parse or parse into a
// Config that writes back (in the Python text) and re-parses to itself.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"store_depth: 3\nstore_width: 2\nstore_metadata_namespace: ns\nstore_algorithm: SHA-256\n",
		"store_depth: \"3\"\nstore_width: '2'\nstore_metadata_namespace: \"a\\xFCb\"\nstore_algorithm: \"SHA-256\"  # c\n",
		"store_depth: [1]\n", "- a\n- b\n", "", "store_depth: ~\n", "{store_depth: 1, store_width: 1, store_metadata_namespace: 1e3, store_algorithm: MD5}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := hashstore.ParseConfig(data)
		if err != nil {
			require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
			return
		}
		if !utf8.ValidString(c.MetadataNamespace) || !utf8.ValidString(string(c.Algorithm)) {
			return // YAML decoders hand back valid UTF-8; anything else cannot be written
		}
		text := c.YAML()
		again, err := hashstore.ParseConfig(text)
		require.NoError(t, err, "re-parsing %q", text)
		require.Equal(t, c, again)
	})
}

// FuzzConfigRoundTrip: every namespace and algorithm string survives YAML and
// ParseConfig exactly (the PyYAML-style quoting never produces YAML that reads back as
// something else).
func FuzzConfigRoundTrip(f *testing.F) {
	for _, ns := range []string{hashstore.DefaultNamespace, "true", "123", "a: b", "@x", "%x", "ümlaut", "1e3", "0o17", "._", "-x", "x'y", `a"b`, "a #b", "---", "", " x", "a\nb", "\t", "~", "<<", "="} {
		f.Add(ns, "SHA-256", 3, 2)
	}
	f.Fuzz(func(t *testing.T, ns, alg string, depth, width int) {
		if !utf8.ValidString(ns) || !utf8.ValidString(alg) {
			return
		}
		c := hashstore.Config{Depth: depth, Width: width, Algorithm: hashstore.Algorithm(alg), MetadataNamespace: ns}
		text := c.YAML()
		got, err := hashstore.ParseConfig(text)
		require.NoError(t, err, "parsing %q", text)
		require.Equal(t, c, got)
	})
}

// FuzzIdentifiers drives pids, cids and format ids through a store on the memory filesystem:
// an id is accepted exactly when it is non-empty valid UTF-8 without whitespace (the Python
// rule), and whatever happens, every file the store holds stays inside its own areas.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"jtao.1700.1", "doi:10.18739/A2901ZH2M", "ärger.ü", "../../etc", "a/b", "", " ", "a\u00a0b", "x\x1c", "tmp", "a_delete", "abcdef123456789"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, pid, cid, formatID string) {
		fsys := afero.NewMemMapFs()
		s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
		require.NoError(t, err)
		ctx := t.Context()
		validID := func(id string) bool { return id != "" && utf8.ValidString(id) && ident.IndexSpace(id) < 0 }

		_, err = s.StoreMetadata(ctx, pid, bytes.NewReader([]byte("<x/>")), hashstore.WithFormatID(formatID))
		require.Equal(t, validID(pid) && validID(formatID), err == nil, "store metadata %q %q: %v", pid, formatID, err)
		err = s.TagObject(ctx, pid, cid)
		if !validID(pid) || !validID(cid) {
			require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
		} else if err != nil {
			require.ErrorIs(t, err, hashstore.ErrInvalidArgument, "only an unsafe cid may be refused: %v", err)
		}
		_ = s.DeleteObject(ctx, pid)

		require.NoError(t, afero.Walk(fsys, "/store", func(p string, fi fs.FileInfo, err error) error {
			require.NoError(t, err)
			rel, _ := filepath.Rel("/store", p)
			top := strings.SplitN(rel, string(filepath.Separator), 2)[0]
			switch top {
			case ".", "hashstore.yaml", "objects", "metadata", "refs":
			default:
				t.Fatalf("file outside the store's areas: %s", p)
			}
			return nil
		}))
		all, _ := afero.Glob(fsys, "/*")
		require.Equal(t, []string{"/store"}, all, "nothing outside the root")
	})
}

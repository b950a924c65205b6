package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	sysmeta := readFile(t, jtaoSysFile)
	const eml = "https://eml.ecoinformatics.org/eml-2.2.0"
	emlDoc := []byte("<eml:eml>example</eml:eml>\n")
	md := func(args ...string) []string { return append([]string{"--store", dir, "metadata"}, args...) }

	// put: the default format id is the store's namespace; the path is the vector's.
	r := ok(t, nil, md("put", "--pid", jtaoPID, jtaoSysFile)...)
	require.Equal(t, filepath.Join(dir, jtaoSysmeta)+"\n", r.stdout)
	require.Equal(t, sysmeta, readFile(t, filepath.Join(dir, jtaoSysmeta)))

	r = ok(t, bytes.NewReader(emlDoc), md("put", "--pid", jtaoPID, "--format-id", eml, "--json", "-")...)
	doc := decode[map[string]any](t, r.stdout)
	require.Equal(t, jtaoPID, doc["pid"])
	require.Equal(t, eml, doc["format_id"])
	require.Equal(t, emlDoc, readFile(t, doc["path"].(string)))
	r = ok(t, nil, md("put", "--pid", "other", "--json", jtaoSysFile)...)
	require.Equal(t, hashstore.DefaultNamespace, decode[map[string]any](t, r.stdout)["format_id"])

	// get
	require.Equal(t, sysmeta, []byte(ok(t, nil, md("get", "--pid", jtaoPID)...).stdout))
	require.Equal(t, sysmeta, []byte(ok(t, nil, md("get", "--pid", jtaoPID, "--format-id", hashstore.DefaultNamespace)...).stdout))
	require.Equal(t, emlDoc, []byte(ok(t, nil, md("get", "--pid", jtaoPID, "--format-id", eml)...).stdout))
	out := filepath.Join(t.TempDir(), "sysmeta.xml")
	r = ok(t, nil, md("get", "--pid", jtaoPID, "-o", out, "--json")...)
	require.Equal(t, sysmeta, readFile(t, out))
	requireMissing(t, out+".tmp")
	require.Equal(t, float64(len(sysmeta)), decode[map[string]any](t, r.stdout)["size"])
	absent := filepath.Join(t.TempDir(), "absent.xml")
	fails(t, ExitFailure, "not_found", nil, md("get", "--pid", jtaoPID, "--format-id", "urn:none", "-o", absent)...)
	requireMissing(t, absent)
	fails(t, ExitFailure, "invalid_argument", nil, md("get", "--pid", jtaoPID, "--format-id", "")...)

	// put replaces
	ok(t, strings.NewReader("<v2/>"), md("put", "--pid", "other", "-")...)
	require.Equal(t, "<v2/>", ok(t, nil, md("get", "--pid", "other")...).stdout)

	// delete
	r = ok(t, nil, md("delete", "--pid", jtaoPID, "--format-id", eml)...)
	require.Empty(t, r.stdout)
	fails(t, ExitFailure, "not_found", nil, md("get", "--pid", jtaoPID, "--format-id", eml)...)
	ok(t, nil, md("get", "--pid", jtaoPID)...)
	ok(t, nil, md("delete", "--pid", jtaoPID, "--format-id", eml)...) // absent is not an error
	ok(t, bytes.NewReader(emlDoc), md("put", "--pid", jtaoPID, "--format-id", eml, "-")...)
	r = ok(t, nil, md("delete", "--pid", jtaoPID, "--all", "--json")...)
	require.Equal(t, map[string]any{"pid": jtaoPID, "all": true, "deleted": true}, decode[map[string]any](t, r.stdout))
	fails(t, ExitFailure, "not_found", nil, md("get", "--pid", jtaoPID)...)
	fails(t, ExitFailure, "not_found", nil, md("get", "--pid", jtaoPID, "--format-id", eml)...)
	ok(t, nil, md("get", "--pid", "other")...)
	r = ok(t, nil, md("delete", "--pid", "other", "--format-id", hashstore.DefaultNamespace, "--json")...)
	require.Equal(t, map[string]any{"pid": "other", "format_id": hashstore.DefaultNamespace, "deleted": true}, decode[map[string]any](t, r.stdout))

	// usage
	fails(t, ExitUsage, "usage", nil, md("delete", "--pid", jtaoPID)...)
	fails(t, ExitUsage, "usage", nil, md("delete", "--pid", jtaoPID, "--all", "--format-id", eml)...)
	fails(t, ExitUsage, "usage", nil, md("delete", "--all")...)
	fails(t, ExitUsage, "usage", nil, md("put", "--pid", jtaoPID)...)
	fails(t, ExitUsage, "usage", nil, md("put", jtaoSysFile)...)
	fails(t, ExitUsage, "usage", nil, md()...)
	fails(t, ExitUsage, "usage", nil, md("bogus")...)
	fails(t, ExitFailure, "not_found", nil, md("put", "--pid", jtaoPID, filepath.Join(t.TempDir(), "nope.xml"))...)
	requireEmptyDir(t, filepath.Join(dir, "metadata", "tmp"))
}

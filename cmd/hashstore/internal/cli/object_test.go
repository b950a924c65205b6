package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func TestStore(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	data := readFile(t, jtaoFile)

	// What the library itself returns for the same data, in a store of its own.
	lib, err := hashstore.New(filepath.Join(t.TempDir(), "lib"), hashstore.DefaultConfig())
	require.NoError(t, err)
	want, err := lib.StoreObject(context.Background(), bytes.NewReader(data), hashstore.WithPID(jtaoPID))
	require.NoError(t, err)
	require.Equal(t, hashstore.ObjectMetadata{PID: jtaoPID, CID: jtaoCID, Size: jtaoSize, HexDigests: jtaoDigests}, want)

	t.Run("file", func(t *testing.T) {
		r := ok(t, nil, "--store", dir, "store", "--pid", jtaoPID, "--checksum", strings.ToUpper(jtaoMD5),
			"--checksum-algorithm", "MD5", "--size", "8724", jtaoFile)
		require.Equal(t, 1, strings.Count(r.stdout, "\n"))
		require.True(t, strings.HasSuffix(r.stdout, "}\n"), "one line with a trailing newline: %q", r.stdout)
		require.Equal(t, want, decode[hashstore.ObjectMetadata](t, r.stdout))
		require.FileExists(t, filepath.Join(dir, jtaoObject))
		require.Equal(t, jtaoCID, string(readFile(t, filepath.Join(dir, jtaoPIDRef))))
		// --json prints the same document.
		r = ok(t, nil, "--store", dir, "--json", "store", "--pid", "jtao.json", jtaoFile)
		got := decode[hashstore.ObjectMetadata](t, r.stdout)
		require.Equal(t, "jtao.json", got.PID)
		require.Equal(t, want.HexDigests, got.HexDigests)
	})

	t.Run("stdin", func(t *testing.T) {
		r := ok(t, bytes.NewReader(data), "--store", dir, "--no-sync", "store", "--pid", "jtao.stdin",
			"--additional-algorithm", "sha3_256", "-")
		got := decode[hashstore.ObjectMetadata](t, r.stdout)
		require.Equal(t, "jtao.stdin", got.PID)
		require.Equal(t, jtaoCID, got.CID)
		require.Equal(t, int64(jtaoSize), got.Size)
		require.Equal(t, "b748069cd0116ba59638e5f3500bbff79b41d6184bc242bd71f5cbbb8cf484cf", got.HexDigests["SHA3-256"])
		require.Len(t, got.HexDigests, 6)
		require.Equal(t, "jtao.1700.1\njtao.json\njtao.stdin\n", string(readFile(t, filepath.Join(dir, jtaoCIDRef))))
	})

	t.Run("already tagged", func(t *testing.T) {
		doc := fails(t, ExitFailure, "already_tagged", nil, "--store", dir, "store", "--pid", jtaoPID, jtaoFile)
		require.Equal(t, jtaoCID, doc["cid"], "the complete metadata comes with the error")
		doc = fails(t, ExitFailure, "pid_tagged_elsewhere", strings.NewReader("other bytes"), "--store", dir, "store", "--pid", jtaoPID, "-")
		require.NotEqual(t, jtaoCID, doc["cid"], "the metadata of the rejected content")
		require.Contains(t, doc["error"].(map[string]any)["message"], "pid already tagged with cid "+jtaoCID)
		requireEmptyDir(t, filepath.Join(dir, "objects", "tmp"))
	})

	t.Run("mismatches store nothing", func(t *testing.T) {
		fresh := newStore(t)
		doc := fails(t, ExitFailure, "checksum_mismatch", nil, "--store", fresh, "store", "--pid", "p",
			"--checksum", strings.Repeat("0", 32), "--checksum-algorithm", "MD5", jtaoFile)
		require.Equal(t, jtaoDigests["MD5"], doc["hex_digests"].(map[string]any)["MD5"], "the computed digests help fix the expectation")
		require.Contains(t, doc["error"].(map[string]any)["message"], `store object "p"`)
		doc = fails(t, ExitFailure, "size_mismatch", nil, "--store", fresh, "store", "--pid", "p", "--size", "8723", jtaoFile)
		require.Contains(t, doc["error"].(map[string]any)["message"], "8723")
		fails(t, ExitFailure, "size_mismatch", nil, "--store", fresh, "store", "--pid", "p", "--size", "9000", jtaoFile)
		fails(t, ExitFailure, "unsupported_algorithm", nil, "--store", fresh, "store", "--pid", "p",
			"--checksum", jtaoMD5, "--checksum-algorithm", "CRC32", jtaoFile)
		// --size 0 is an expectation like any other (DataONE objects may be empty); a negative
		// size is refused.
		fails(t, ExitFailure, "size_mismatch", nil, "--store", fresh, "store", "--pid", "p", "--size", "0", jtaoFile)
		fails(t, ExitFailure, "invalid_argument", nil, "--store", fresh, "store", "--pid", "p", "--size", "-1", jtaoFile)
		fails(t, ExitFailure, "invalid_argument", nil, "--store", fresh, "store", "--pid", "a pid", jtaoFile)
		requireEmptyDir(t, filepath.Join(fresh, "objects", "tmp"))
		requireMissing(t, filepath.Join(fresh, "objects", "94"))
		fails(t, ExitFailure, "not_found", nil, "--store", fresh, "find", "--pid", "p")

		// An empty object with --size 0 is stored.
		r := ok(t, nil, "--store", fresh, "store", "--pid", "empty.1", "--size", "0", "-")
		empty := decode[hashstore.ObjectMetadata](t, r.stdout)
		require.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.CID)
		require.Zero(t, empty.Size)
	})

	t.Run("bad input", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no-such-file")
		doc := fails(t, ExitFailure, "not_found", nil, "--store", dir, "store", "--pid", "x", missing)
		require.Contains(t, doc["error"].(map[string]any)["message"], missing)
		fails(t, ExitFailure, "invalid_argument", nil, "--store", dir, "store", "--pid", "x", t.TempDir())
		fails(t, ExitUsage, "usage", nil, "--store", dir, "store", "--pid", "x")
		fails(t, ExitUsage, "usage", nil, "--store", dir, "store", "--pid", "x", jtaoFile, jtaoFile)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "store", "--checksum", jtaoMD5, jtaoFile)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "store", "--size", "big", jtaoFile)
	})

	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errOut bytes.Buffer
		code := Run(ctx, []string{"--store", dir, "store", "--pid", "cancelled", jtaoFile}, nil, &out, &errOut)
		require.Equal(t, ExitFailure, code)
		require.Contains(t, errOut.String(), "context canceled")
		requireEmptyDir(t, filepath.Join(dir, "objects", "tmp"))
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", "cancelled")
	})
}

func TestStoreUntaggedValidateTag(t *testing.T) {
	t.Parallel()
	dir := newStore(t)

	r := ok(t, nil, "--store", dir, "store", jtaoFile)
	meta := decode[hashstore.ObjectMetadata](t, r.stdout)
	require.Equal(t, hashstore.ObjectMetadata{CID: jtaoCID, Size: jtaoSize, HexDigests: jtaoDigests}, meta)
	requireMissing(t, filepath.Join(dir, jtaoCIDRef))

	validate := []string{"--store", dir, "validate", "--cid", jtaoCID, "--size", "8724"}
	r = ok(t, nil, append(validate, "--checksum", jtaoMD5, "--checksum-algorithm", "MD5")...)
	require.Equal(t, map[string]any{"cid": jtaoCID, "valid": true}, decode[map[string]any](t, r.stdout))
	ok(t, nil, append(validate, "--checksum", jtaoCID, "--checksum-algorithm", "sha256")...)

	r = ok(t, nil, "--store", dir, "tag", "--pid", jtaoPID, "--cid", jtaoCID)
	require.Empty(t, r.stdout, "tag is quiet without --json")
	r = ok(t, nil, "--store", dir, "--json", "tag", "--pid", "jtao.second", "--cid", jtaoCID)
	require.Equal(t, map[string]any{"pid": "jtao.second", "cid": jtaoCID, "tagged": true}, decode[map[string]any](t, r.stdout))
	fails(t, ExitFailure, "already_tagged", nil, "--store", dir, "tag", "--pid", jtaoPID, "--cid", jtaoCID)
	fails(t, ExitFailure, "pid_tagged_elsewhere", nil, "--store", dir, "tag", "--pid", jtaoPID, "--cid", strings.Repeat("a", 64))
	fails(t, ExitFailure, "invalid_argument", nil, "--store", dir, "tag", "--pid", "p", "--cid", "../../etc")
	fails(t, ExitUsage, "usage", nil, "--store", dir, "tag", "--pid", "p")
	require.Equal(t, readFile(t, jtaoFile), []byte(ok(t, nil, "--store", dir, "get", "--pid", jtaoPID).stdout))

	t.Run("mismatch on a tagged object keeps it", func(t *testing.T) {
		doc := fails(t, ExitFailure, "checksum_mismatch", nil, append(validate, "--checksum", strings.Repeat("0", 32), "--checksum-algorithm", "MD5")...)
		require.Equal(t, false, doc["valid"])
		require.Equal(t, false, doc["deleted"])
		require.Contains(t, doc["error"].(map[string]any)["message"], "kept because a pid references it")
		require.FileExists(t, filepath.Join(dir, jtaoObject))
	})

	t.Run("mismatch on an untagged object deletes it", func(t *testing.T) {
		other := decode[hashstore.ObjectMetadata](t, ok(t, strings.NewReader("untagged data"), "--store", dir, "store", "-").stdout)
		path := filepath.Join(dir, "objects", other.CID[:2], other.CID[2:4], other.CID[4:6], other.CID[6:])
		require.FileExists(t, path)
		doc := fails(t, ExitFailure, "size_mismatch", nil, "--store", dir, "validate", "--cid", other.CID,
			"--checksum", other.HexDigests["MD5"], "--checksum-algorithm", "MD5", "--size", "14")
		require.Equal(t, map[string]any{"cid": other.CID, "valid": false, "deleted": true}, map[string]any{
			"cid": doc["cid"], "valid": doc["valid"], "deleted": doc["deleted"]})
		require.Contains(t, doc["error"].(map[string]any)["message"], "the object was deleted")
		requireMissing(t, path)
		// Without --json: status 1 and the message on stderr.
		r := run(t, nil, "--store", dir, "validate", "--cid", other.CID, "--checksum", "00", "--checksum-algorithm", "MD5", "--size", "13")
		require.Equal(t, ExitFailure, r.code)
		require.Contains(t, r.stderr, "no object")
	})

	t.Run("bad arguments", func(t *testing.T) {
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "validate", "--cid", strings.Repeat("b", 64),
			"--checksum", jtaoMD5, "--checksum-algorithm", "MD5", "--size", "1")
		fails(t, ExitFailure, "invalid_argument", nil, "--store", dir, "validate", "--cid", "../../../hashstore.yaml",
			"--checksum", jtaoMD5, "--checksum-algorithm", "MD5", "--size", "1")
		fails(t, ExitFailure, "unsupported_algorithm", nil, append(validate, "--checksum", jtaoMD5, "--checksum-algorithm", "CRC32")...)
		fails(t, ExitUsage, "usage", nil, "--store", dir, "validate", "--cid", jtaoCID, "--checksum", jtaoMD5, "--checksum-algorithm", "MD5")
		require.FileExists(t, filepath.Join(dir, jtaoObject))
	})
}

func TestGet(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	data := readFile(t, jtaoFile)
	get := []string{"--store", dir, "get", "--pid", jtaoPID}

	t.Run("whole", func(t *testing.T) {
		require.Equal(t, data, []byte(ok(t, nil, get...).stdout))
		require.Equal(t, data, []byte(ok(t, nil, append(get, "--verify")...).stdout))
	})

	t.Run("ranges", func(t *testing.T) {
		for spec, want := range map[string][]byte{
			"0-9":         data[:10],
			"0-0":         data[:1],
			"bytes=10-19": data[10:20],
			"8714-":       data[8714:],
			"8723-8723":   data[8723:],
			"100-99999":   data[100:],
			"-10":         data[len(data)-10:],
			"-99999":      data,
			"0-":          data,
		} {
			require.Equal(t, want, []byte(ok(t, nil, append(get, "--range", spec)...).stdout), "--range %s", spec)
			require.Equal(t, want, []byte(ok(t, nil, append(get, "--range", spec, "--verify")...).stdout), "--range %s --verify", spec)
		}
	})

	t.Run("bad ranges", func(t *testing.T) {
		for spec, why := range map[string]string{
			"abc": "no '-'", "5-2": "ends before it starts", "-0": "no bytes", "x-5": "not a byte position",
			"-": "not a byte position", "1-2,3-4": "only one range", "+1-2": "not a byte position",
			"8724-": "the object has 8724 bytes", "9000-9999": "starts at byte 9000",
		} {
			doc := fails(t, ExitUsage, "usage", nil, append(get, "--range", spec)...)
			require.Contains(t, doc["error"].(map[string]any)["message"], why, "--range %s", spec)
		}
	})

	t.Run("output file", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.bin")
		r := ok(t, nil, append(get, "-o", out)...)
		require.Empty(t, r.stdout)
		require.Equal(t, data, readFile(t, out))
		requireMissing(t, out+".tmp")
		r = ok(t, nil, append(get, "--output", out, "--range", "-4", "--json")...)
		require.Equal(t, data[len(data)-4:], readFile(t, out), "an existing FILE is replaced")
		require.Equal(t, map[string]any{"pid": jtaoPID, "cid": jtaoCID, "path": out, "offset": 8720.0, "size": 4.0},
			decode[map[string]any](t, r.stdout))

		absent := filepath.Join(t.TempDir(), "absent.bin")
		fails(t, ExitFailure, "not_found", nil, "--store", dir, "get", "--pid", "no.such.pid", "-o", absent)
		requireMissing(t, absent)
		fails(t, ExitUsage, "usage", nil, append(get, "-o", absent, "--range", "9999-")...)
		requireMissing(t, absent)
		requireMissing(t, absent+".tmp")
		fails(t, ExitFailure, "invalid_argument", nil, append(get, "-o", t.TempDir())...)
	})

	t.Run("verify a corrupt object", func(t *testing.T) {
		corrupt := newStore(t)
		storeJtao(t, corrupt, jtaoPID)
		objectPath := filepath.Join(corrupt, jtaoObject)
		bad := bytes.Clone(data)
		bad[5000] ^= 1
		require.NoError(t, os.Chmod(objectPath, 0o644))
		require.NoError(t, os.WriteFile(objectPath, bad, 0o644))
		get := []string{"--store", corrupt, "get", "--pid", jtaoPID}

		require.Equal(t, bad, []byte(ok(t, nil, get...).stdout), "without --verify the bytes are served")
		// To stdout the bytes are out before the end shows the corruption: status 1.
		for _, extra := range [][]string{{}, {"--range", "0-9"}, {"--range", "-9"}, {"--range", "4000-5999"}} {
			r := run(t, nil, append(append(get, "--verify"), extra...)...)
			require.Equal(t, ExitFailure, r.code, "%v", extra)
			require.Contains(t, r.stderr, "object "+jtaoCID+" is corrupt", "%v", extra)
		}
		out := filepath.Join(t.TempDir(), "out.bin")
		doc := fails(t, ExitFailure, "corrupt", nil, append(get, "--verify", "-o", out)...)
		require.Contains(t, doc["error"].(map[string]any)["message"], jtaoCID)
		requireMissing(t, out)
		fails(t, ExitFailure, "corrupt", nil, append(get, "--verify", "-o", out, "--range", "0-9")...)
		requireMissing(t, out)
		requireMissing(t, out+".tmp")
	})
}

func TestDigest(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	digest := []string{"--store", dir, "digest", "--pid", jtaoPID}

	for alg, want := range jtaoDigests {
		require.Equal(t, want+"\n", ok(t, nil, append(digest, "--algorithm", string(alg))...).stdout, alg)
	}
	require.Equal(t, "b748069cd0116ba59638e5f3500bbff79b41d6184bc242bd71f5cbbb8cf484cf\n",
		ok(t, nil, append(digest, "--algorithm", "sha3_256")...).stdout)
	r := ok(t, nil, append(digest, "--algorithm", "md5", "--json")...)
	require.Equal(t, map[string]any{"pid": jtaoPID, "algorithm": "MD5", "hex_digest": jtaoMD5}, decode[map[string]any](t, r.stdout))

	// --reread checks the disk even for the store algorithm.
	objectPath := filepath.Join(dir, jtaoObject)
	require.NoError(t, os.Chmod(objectPath, 0o644))
	require.NoError(t, os.WriteFile(objectPath, []byte("changed"), 0o644))
	require.Equal(t, jtaoCID+"\n", ok(t, nil, append(digest, "--algorithm", "SHA-256")...).stdout)
	require.NotEqual(t, jtaoCID+"\n", ok(t, nil, append(digest, "--algorithm", "SHA-256", "--reread")...).stdout)

	fails(t, ExitFailure, "unsupported_algorithm", nil, append(digest, "--algorithm", "CRC32")...)
	fails(t, ExitFailure, "not_found", nil, "--store", dir, "digest", "--pid", "nope", "--algorithm", "MD5")
	fails(t, ExitUsage, "usage", nil, digest...)
}

func TestFind(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	find := []string{"--store", dir, "find", "--pid", jtaoPID}
	at := func(rel string) string { return filepath.Join(dir, rel) }

	r := ok(t, nil, find...)
	require.Equal(t, "pid: "+jtaoPID+"\ncid: "+jtaoCID+"\nobject: "+at(jtaoObject)+"\ncid refs: "+at(jtaoCIDRef)+
		"\npid refs: "+at(jtaoPIDRef)+"\nsysmeta: (none)\n", r.stdout)

	ok(t, nil, "--store", dir, "metadata", "put", "--pid", jtaoPID, jtaoSysFile)
	r = ok(t, nil, append(find, "--json")...)
	require.Equal(t, map[string]any{
		"pid": jtaoPID, "cid": jtaoCID, "object_path": at(jtaoObject), "cid_refs_path": at(jtaoCIDRef),
		"pid_refs_path": at(jtaoPIDRef), "sysmeta_path": at(jtaoSysmeta), "broken": nil,
	}, decode[map[string]any](t, r.stdout))

	fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", "nope")
	fails(t, ExitUsage, "usage", nil, "--store", dir, "find")

	t.Run("broken", func(t *testing.T) {
		require.NoError(t, os.Remove(at(jtaoCIDRef)))
		r := run(t, nil, find...)
		require.Equal(t, ExitFailure, r.code)
		require.Contains(t, r.stdout, "cid: "+jtaoCID+"\n")
		require.Contains(t, r.stdout, "object: "+at(jtaoObject)+"\n")
		require.True(t, strings.HasSuffix(r.stdout, "broken: pid refs file exists but its cid refs file does not\n"), r.stdout)
		require.Contains(t, r.stderr, jtaoPID)

		doc := fails(t, ExitFailure, "orphan_refs", nil, find...)
		require.Equal(t, "pid refs file exists but its cid refs file does not", doc["broken"])
		require.Equal(t, jtaoCID, doc["cid"])
		require.Equal(t, at(jtaoPIDRef), doc["pid_refs_path"])
		require.Equal(t, at(jtaoSysmeta), doc["sysmeta_path"])

		// The object missing instead.
		other := newStore(t)
		storeJtao(t, other, jtaoPID)
		require.NoError(t, os.Remove(filepath.Join(other, jtaoObject)))
		doc = fails(t, ExitFailure, "orphan_refs", nil, "--store", other, "find", "--pid", jtaoPID)
		require.Equal(t, "refs files exist but the object does not", doc["broken"])
		fails(t, ExitFailure, "orphan_refs", nil, "--store", other, "get", "--pid", jtaoPID)
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	storeJtao(t, dir, jtaoPID)
	storeJtao(t, dir, "jtao.dup")
	ok(t, nil, "--store", dir, "metadata", "put", "--pid", jtaoPID, jtaoSysFile)

	r := ok(t, nil, "--store", dir, "delete", "--pid", jtaoPID)
	require.Empty(t, r.stdout)
	requireMissing(t, filepath.Join(dir, jtaoPIDRef))
	requireMissing(t, filepath.Join(dir, jtaoSysmeta))
	require.FileExists(t, filepath.Join(dir, jtaoObject), "jtao.dup still references the object")
	fails(t, ExitFailure, "not_found", nil, "--store", dir, "find", "--pid", jtaoPID)
	fails(t, ExitFailure, "not_found", nil, "--store", dir, "delete", "--pid", jtaoPID)

	r = ok(t, nil, "--store", dir, "--json", "delete", "--pid", "jtao.dup")
	require.Equal(t, map[string]any{"pid": "jtao.dup", "deleted": true}, decode[map[string]any](t, r.stdout))
	requireMissing(t, filepath.Join(dir, jtaoObject))
	requireMissing(t, filepath.Join(dir, jtaoCIDRef))
	fails(t, ExitUsage, "usage", nil, "--store", dir, "delete")
}

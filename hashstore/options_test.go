package hashstore_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// memStore makes a store on afero's memory filesystem and returns it with its filesystem.
func memStore(t *testing.T) (*hashstore.FileHashStore, afero.Fs) {
	t.Helper()
	fsys := afero.NewMemMapFs()
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
	require.NoError(t, err)
	return s, fsys
}

// unchangedMem runs fn and asserts that the store's files and directories are the same
// afterwards (rbListing: every file with its content and mode); it returns fn's error.
func unchangedMem(t *testing.T, fsys afero.Fs, fn func() error) error {
	t.Helper()
	before := rbListing(t, fsys, "/store")
	err := fn()
	assert.Equal(t, before, rbListing(t, fsys, "/store"), "the store must be unchanged")
	return err
}

// unreadable is a reader that fails the test if it is read: for requests that must be refused
// before any data is.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the data was read")
	return 0, io.EOF
}

// TestSeveralChecksums: WithChecksum may be given several times; every one is checked, the
// first that fails (in the order given) is reported, the error carries the digests of every
// algorithm asked for, and nothing is stored.
func TestSeveralChecksums(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	wrong := func(a hashstore.Algorithm) string { return strings.Repeat("0", len(v.Digests[a])) }
	s, fsys := memStore(t)

	meta, err := s.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID),
		hashstore.WithChecksum(v.Digests[hashstore.MD5], hashstore.MD5), hashstore.WithChecksum(v.Digests[hashstore.SHA3_256], hashstore.SHA3_256))
	require.NoError(t, err)
	assertDigests(t, v, meta.HexDigests, withDefaults(hashstore.SHA3_256)...)

	for _, c := range []struct {
		name   string
		sums   [][2]hashstore.Algorithm // (algorithm, wrong if the second is "wrong")
		failed hashstore.Algorithm
	}{
		{"second fails", [][2]hashstore.Algorithm{{hashstore.MD5, ""}, {hashstore.BLAKE2b_512, "wrong"}}, hashstore.BLAKE2b_512},
		{"both fail, first reported", [][2]hashstore.Algorithm{{hashstore.SHA1, "wrong"}, {hashstore.MD5, "wrong"}}, hashstore.SHA1},
		{"both fail, other order", [][2]hashstore.Algorithm{{hashstore.MD5, "wrong"}, {hashstore.SHA1, "wrong"}}, hashstore.MD5},
		{"first fails, third right", [][2]hashstore.Algorithm{{hashstore.SHA224, "wrong"}, {hashstore.MD5, ""}, {hashstore.BLAKE2s_256, ""}}, hashstore.SHA224},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []hashstore.StoreOption{hashstore.WithPID("several.1")}
			algs := hashstore.DefaultAlgorithms()
			for _, sum := range c.sums {
				value := v.Digests[sum[0]]
				if sum[1] != "" {
					value = wrong(sum[0])
				}
				opts = append(opts, hashstore.WithChecksum(value, sum[0]))
				if !slices.Contains(algs, sum[0]) {
					algs = append(algs, sum[0])
				}
			}
			err := unchangedMem(t, fsys, func() error {
				_, err := s.StoreObject(t.Context(), bytes.NewReader(v.Data()), opts...)
				return err
			})
			var ce *hashstore.ChecksumMismatchError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.failed, ce.Algorithm, "the first failing checksum is reported")
			assert.Equal(t, wrong(c.failed), ce.Expected)
			assert.Equal(t, v.Digests[c.failed], ce.Actual)
			assertDigests(t, v, ce.HexDigests, algs...)
			for _, a := range algs {
				assert.Contains(t, err.Error(), v.Digests[a], "the message lists every digest")
			}
		})
	}
}

// TestExpectedSize: WithExpectedSize(0) requires empty data (an empty object stores; anything
// else is a size mismatch and stores nothing); a negative size, or two different sizes, are
// invalid before any data is read; the same size twice is one expectation.
func TestExpectedSize(t *testing.T) {
	s, fsys := memStore(t)
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	meta, err := s.StoreObject(t.Context(), bytes.NewReader(nil), hashstore.WithPID("empty.1"), hashstore.WithExpectedSize(0))
	require.NoError(t, err)
	assert.Equal(t, emptySHA256, meta.CID)
	assert.Zero(t, meta.Size)
	fi, err := fsys.Stat("/store/" + hashstoretest.ObjectPath(emptySHA256))
	require.NoError(t, err)
	assert.Zero(t, fi.Size())

	err = unchangedMem(t, fsys, func() error {
		_, err := s.StoreObject(t.Context(), strings.NewReader("x"), hashstore.WithPID("notempty.1"), hashstore.WithExpectedSize(0))
		return err
	})
	require.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	var se *hashstore.SizeMismatchError
	require.ErrorAs(t, err, &se)
	assert.Zero(t, se.Expected)
	_, err = s.FindObject(t.Context(), "notempty.1")
	require.ErrorIs(t, err, hashstore.ErrNotFound)

	for name, opts := range map[string][]hashstore.StoreOption{
		"negative":        {hashstore.WithExpectedSize(-1)},
		"two sizes":       {hashstore.WithExpectedSize(5), hashstore.WithExpectedSize(6)},
		"zero, then five": {hashstore.WithExpectedSize(0), hashstore.WithExpectedSize(5)},
	} {
		err := unchangedMem(t, fsys, func() error {
			_, err := s.StoreObject(t.Context(), unreadable{t}, append(opts, hashstore.WithPID("bad.size"))...)
			return err
		})
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument, name)
	}
	_, err = s.StoreObject(t.Context(), strings.NewReader("12345"), hashstore.WithPID("five"), hashstore.WithExpectedSize(5), hashstore.WithExpectedSize(5))
	require.NoError(t, err, "the same size twice")

	// DeleteIfInvalidObject takes the same sizes.
	untagged, err := s.StoreObject(t.Context(), bytes.NewReader(nil))
	require.NoError(t, err)
	require.NoError(t, s.DeleteIfInvalidObject(t.Context(), untagged, emptySHA256, hashstore.SHA256, 0))
	err = s.DeleteIfInvalidObject(t.Context(), untagged, emptySHA256, hashstore.SHA256, -1)
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
}

// TestAlgorithmSpellings: every entry point that takes an Algorithm accepts any spelling
// ParseAlgorithm does and works with the canonical one: digests come back under the DataONE
// names, errors name them, and a spelling of the store algorithm is the store algorithm.
func TestAlgorithmSpellings(t *testing.T) {
	v := hashstoretest.Vectors()[0]
	s, _ := memStore(t)
	ctx := t.Context()

	meta, err := s.StoreObject(ctx, bytes.NewReader(v.Data()), hashstore.WithPID(v.PID),
		hashstore.WithChecksum(strings.ToUpper(v.Digests[hashstore.SHA256]), "sha256"),
		hashstore.WithChecksum(v.Digests[hashstore.SHA512_224], "sha512-224"),
		hashstore.WithAdditionalAlgorithm("sha3_256"), hashstore.WithAdditionalAlgorithm("Blake2b"))
	require.NoError(t, err)
	assertDigests(t, v, meta.HexDigests, withDefaults(hashstore.SHA512_224, hashstore.SHA3_256, hashstore.BLAKE2b_512)...)

	_, err = s.StoreObject(ctx, bytes.NewReader(v.Data()), hashstore.WithPID("other.pid"), hashstore.WithChecksum(v.Digests[hashstore.MD5], "sha-256"))
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, hashstore.SHA256, ce.Algorithm)
	assert.Equal(t, v.Digests[hashstore.SHA256], ce.HexDigests[hashstore.SHA256])

	for _, name := range []hashstore.Algorithm{"sha256", "SHA256", "sha-256"} {
		got, err := s.GetHexDigest(ctx, v.PID, name)
		require.NoError(t, err, name)
		assert.Equal(t, v.CID, got, "%s is the store algorithm", name)
		got, err = s.GetHexDigest(ctx, v.PID, name, hashstore.WithReread())
		require.NoError(t, err, name)
		assert.Equal(t, v.CID, got)
	}
	got, err := s.GetHexDigest(ctx, v.PID, "sha3-256")
	require.NoError(t, err)
	assert.Equal(t, v.Digests[hashstore.SHA3_256], got)
	_, err = s.GetHexDigest(ctx, v.PID, "SM3")
	require.ErrorIs(t, err, hashstore.ErrUnsupportedAlgorithm)

	// DeleteIfInvalidObject reads the digest from the metadata under any spelling of its key
	// (here a wrong one, so the object, untagged, goes), and takes the algorithm in any.
	w := hashstoretest.Vectors()[1]
	untagged, err := s.StoreObject(ctx, bytes.NewReader(w.Data()))
	require.NoError(t, err)
	require.NoError(t, s.DeleteIfInvalidObject(ctx, untagged, w.Digests[hashstore.SHA1], "sha1", w.Size))
	m := untagged
	m.HexDigests = map[hashstore.Algorithm]string{"md5": strings.Repeat("0", 32)}
	err = s.DeleteIfInvalidObject(ctx, m, w.Digests[hashstore.MD5], "Md5", w.Size)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, hashstore.MD5, ce.Algorithm)
	_, _, err = s.StatObject(ctx, untagged.CID)
	require.ErrorIs(t, err, hashstore.ErrNotFound, "the digest in the metadata was used, and did not match")
}

// TestNewStoreRequest: the options resolve into a StoreRequest with canonical algorithms and
// lower-case checksums, and every invalid option is refused with its class, the pid filled in
// whenever one was given.
func TestNewStoreRequest(t *testing.T) {
	r, err := hashstore.NewStoreRequest()
	require.NoError(t, err)
	assert.Equal(t, hashstore.StoreRequest{ExpectedSize: -1, Link: hashstore.CopyFile}, r)

	r, err = hashstore.NewStoreRequest(hashstore.WithPID("p.1"), hashstore.WithChecksum("ABCdef", "sha256"), hashstore.WithChecksum("00ff", hashstore.MD5),
		hashstore.WithExpectedSize(3), hashstore.WithAdditionalAlgorithm("md2"), hashstore.WithAdditionalAlgorithm("SHA-224"), hashstore.WithLink(hashstore.LinkOrCopyFile))
	require.NoError(t, err)
	assert.Equal(t, "p.1", r.PID)
	assert.Equal(t, []hashstore.Checksum{{Algorithm: hashstore.SHA256, Value: "abcdef"}, {Algorithm: hashstore.MD5, Value: "00ff"}}, r.Checksums)
	assert.Equal(t, int64(3), r.ExpectedSize)
	assert.Equal(t, []hashstore.Algorithm{hashstore.MD2, hashstore.SHA224}, r.AdditionalAlgorithms)
	assert.Equal(t, hashstore.LinkOrCopyFile, r.Link)

	for name, c := range map[string]struct {
		opts []hashstore.StoreOption
		want error
	}{
		"empty pid":                      {[]hashstore.StoreOption{hashstore.WithPID("")}, hashstore.ErrInvalidArgument},
		"pid with whitespace":            {[]hashstore.StoreOption{hashstore.WithPID("p 1")}, hashstore.ErrInvalidArgument},
		"empty checksum":                 {[]hashstore.StoreOption{hashstore.WithChecksum("", hashstore.MD5)}, hashstore.ErrInvalidArgument},
		"checksum with whitespace":       {[]hashstore.StoreOption{hashstore.WithChecksum("ab cd", hashstore.MD5)}, hashstore.ErrInvalidArgument},
		"checksum without algorithm":     {[]hashstore.StoreOption{hashstore.WithChecksum("abcd", "")}, hashstore.ErrInvalidArgument},
		"checksum with blank algorithm":  {[]hashstore.StoreOption{hashstore.WithChecksum("abcd", " ")}, hashstore.ErrInvalidArgument},
		"checksum, unknown algorithm":    {[]hashstore.StoreOption{hashstore.WithChecksum("abcd", "SM3")}, hashstore.ErrUnsupportedAlgorithm},
		"second checksum invalid":        {[]hashstore.StoreOption{hashstore.WithChecksum("abcd", hashstore.MD5), hashstore.WithChecksum("abcd", "SM3")}, hashstore.ErrUnsupportedAlgorithm},
		"unknown additional algorithm":   {[]hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("md10")}, hashstore.ErrUnsupportedAlgorithm},
		"empty additional algorithm":     {[]hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("")}, hashstore.ErrInvalidArgument},
		"negative size":                  {[]hashstore.StoreOption{hashstore.WithExpectedSize(-1)}, hashstore.ErrInvalidArgument},
		"two sizes":                      {[]hashstore.StoreOption{hashstore.WithExpectedSize(1), hashstore.WithExpectedSize(2)}, hashstore.ErrInvalidArgument},
		"negative size after a good one": {[]hashstore.StoreOption{hashstore.WithExpectedSize(1), hashstore.WithExpectedSize(-1)}, hashstore.ErrInvalidArgument},
	} {
		opts := append([]hashstore.StoreOption{}, c.opts...)
		if name != "empty pid" && name != "pid with whitespace" {
			opts = append(opts, hashstore.WithPID("named.pid")) // given last: the pid is known anyway
		}
		r, err := hashstore.NewStoreRequest(opts...)
		require.ErrorIs(t, err, c.want, name)
		if name != "empty pid" && name != "pid with whitespace" {
			assert.Equal(t, "named.pid", r.PID, "%s: the pid is known for the message", name)
		}
		var oe *hashstore.OpError
		assert.False(t, errors.As(err, &oe), "%s: the request has no operation", name)
	}
}

// TestNewMetadataRequest: no option is the default namespace (""), a format id must be a valid
// identifier.
func TestNewMetadataRequest(t *testing.T) {
	r, err := hashstore.NewMetadataRequest()
	require.NoError(t, err)
	assert.Equal(t, "", r.FormatID)
	r, err = hashstore.NewMetadataRequest(hashstore.WithFormatID("eml://ecoinformatics.org/eml-2.1.1"))
	require.NoError(t, err)
	assert.Equal(t, "eml://ecoinformatics.org/eml-2.1.1", r.FormatID)
	for _, bad := range []string{"", " ", "a b", "a\tb"} {
		_, err := hashstore.NewMetadataRequest(hashstore.WithFormatID(bad))
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", bad)
	}
	assert.True(t, hashstore.NewRetrieveRequest(hashstore.WithVerify()).Verify)
	assert.False(t, hashstore.NewRetrieveRequest().Verify)
	assert.True(t, hashstore.NewDigestRequest(hashstore.WithReread()).Reread)
	assert.False(t, hashstore.NewDigestRequest().Reread)
}

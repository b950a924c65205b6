package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corruptions are the ways the test damages an object on disk: the checksum-mismatch matrix
// (same length with a byte flipped at the start, middle or end; one byte short or long; a few
// bytes; twice the size).
var corruptions = []struct {
	name string
	make func([]byte) []byte
}{
	{"flip-first", func(b []byte) []byte { c := clone(b); c[0] ^= 1; return c }},
	{"flip-middle", func(b []byte) []byte { c := clone(b); c[len(c)/2] ^= 0x80; return c }},
	{"flip-last", func(b []byte) []byte { c := clone(b); c[len(c)-1] ^= 1; return c }},
	{"one-short", func(b []byte) []byte { return clone(b[:len(b)-1]) }},
	{"one-long", func(b []byte) []byte { return append(clone(b), 'x') }},
	{"three-bytes", func([]byte) []byte { return []byte("abc") }},
	{"double", func(b []byte) []byte { return append(clone(b), b...) }},
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// getAll GETs a path and reads the whole body, returning the response, the bytes received
// and the error that ended the body (nil for a complete one).
func (f *fixture) getAll(path string, hdr ...string) (*http.Response, []byte, error) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	require.NoError(f.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestCorruptObjectNeverComesOutWhole damages objects smaller and larger than the copy
// buffer in every way of the matrix. No client may then receive the object whole: a small
// one is refused with 500 before any byte is sent; a large one is cut short, fewer bytes than
// Content-Length announced, with the connection closed. The failure is logged and counted,
// and the object is refused (GET, Range, describe, checksum) until its file changes; a
// repaired file is served again. The objects have no system metadata (read access is open),
// so that a changed size is found by hashing, not by the comparison with the size the
// system metadata declares (TestDescribeHeaders).
func TestCorruptObjectNeverComesOutWhole(t *testing.T) {
	const buf = 64 << 10
	f := newFixture(t, func(c *Config) { c.BufferSize = buf; c.ReadAccess = ReadAll })
	sizes := map[string]int{"small": 1000, "large": 5*buf + 123}
	n := 0
	for kind, size := range sizes {
		for _, c := range corruptions {
			n++
			pid := fmt.Sprintf("%s.%s", kind, c.name)
			data := pseudoRandom(byte(n), size)
			cid := f.putBare(pid, data)
			bad := c.make(data)
			f.overwrite(cid, bad)
			failures := f.metric("verify_failures")

			resp, body, err := f.getAll("/mn/v2/object/" + pid)
			if kind == "small" || len(bad) <= buf {
				assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, pid)
				assert.NoError(t, err)
				assert.Equal(t, "1030", d1Err(t, resp, body).DetailCode, pid)
			} else {
				assert.Equal(t, http.StatusOK, resp.StatusCode, pid)
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF, pid)
				assert.Equal(t, int64(len(bad)), resp.ContentLength, pid)
				assert.Less(t, len(body), len(bad), "%s: the body is cut short", pid)
				assert.Equal(t, bad[:len(body)], body, "%s: what was sent is a prefix", pid)
			}
			assert.Equal(t, failures+1, f.metric("verify_failures"), pid)
			assert.Contains(t, f.logs.String(), `msg="object does not match its cid: refused until its file changes" pid=`+pid)

			// refused from now on, whatever the request
			resp, body, err = f.getAll("/mn/v2/object/" + pid)
			require.NoError(t, err)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, pid)
			assert.Equal(t, "ServiceFailure", d1Err(t, resp, body).Name)
			resp, _, _ = f.getAll("/mn/v2/object/"+pid, "Range", "bytes="+strconv.Itoa(len(body)/2)+"-")
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "range of %s", pid)
			resp, _ = f.do(http.MethodHead, "/mn/v2/object/"+pid, nil)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "describe of %s", pid)
			resp, _ = f.do(http.MethodGet, "/mn/v2/checksum/"+pid, nil)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "checksum of %s", pid)
			assert.Equal(t, failures+1, f.metric("verify_failures"), "refusals do not count again")

			// repaired: served again
			f.overwrite(cid, data)
			resp, body, err = f.getAll("/mn/v2/object/" + pid)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode, pid)
			assert.Equal(t, data, body, pid)
		}
	}
	assert.Zero(t, f.metric("suspects"), "every repaired object left the suspect set")
	assert.Zero(t, f.metric("buffers"), "every buffer went back to the pool")
}

// TestChecksumFindsCorruption: getChecksum hashes with the store algorithm too, and never
// gives out the checksum of bytes that do not match their cid.
func TestChecksumFindsCorruption(t *testing.T) {
	f := newFixture(t, nil)
	data := pseudoRandom(9, 5000)
	cid := f.put("c.1", data, true)
	bad := clone(data)
	bad[4999] ^= 1
	f.overwrite(cid, bad)
	resp, body := f.do(http.MethodGet, "/mn/v2/checksum/c.1?checksumAlgorithm=MD5", nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "1410", d1Err(t, resp, body).DetailCode)
	assert.Equal(t, 1.0, f.metric("verify_failures"))
}

// TestRangeVerifiesWholeObjectOnce: a Range request of an object not recently verified waits
// for one verification of the whole object, shared by concurrent requests, then is sent from
// the file; later ranges of the unchanged file are not hashed again. A changed file is.
func TestRangeVerifiesWholeObjectOnce(t *testing.T) {
	const size = 3<<20 + 17
	f := newFixture(t, func(c *Config) { c.BufferSize = 64 << 10 })
	data := pseudoRandom(3, size)
	cid := f.put("r.1", data, true)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := i*1000, i*1000+999
			resp, body, err := f.getAll("/mn/v2/object/r.1", "Range", fmt.Sprintf("bytes=%d-%d", from, to))
			assert.NoError(t, err)
			assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
			assert.Equal(t, data[from:to+1], body)
		}()
	}
	wg.Wait()
	assert.Equal(t, float64(size), f.metric("verified_bytes"), "the object was hashed exactly once")
	resp, body, err := f.getAll("/mn/v2/object/r.1", "Range", "bytes=-10")
	require.NoError(t, err)
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, data[size-10:], body)
	assert.Equal(t, float64(size), f.metric("verified_bytes"), "a verified object's ranges are not hashed again")

	f.overwrite(cid, data) // same bytes, new file
	resp, _, err = f.getAll("/mn/v2/object/r.1", "Range", "bytes=0-0")
	require.NoError(t, err)
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, float64(2*size), f.metric("verified_bytes"), "a changed file is verified again")

	// corrupt: no range is sent at all
	f.overwrite(cid, append(clone(data[:size-1]), data[size-1]^1))
	resp, body, err = f.getAll("/mn/v2/object/r.1", "Range", "bytes=0-99")
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.NotContains(t, string(body), string(data[:100]))
}

// TestRangeWithoutMemory: with VerifiedTTL 0 nothing is remembered, so every range hashes the
// whole object first.
func TestRangeWithoutMemory(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.VerifiedTTL = 0 })
	data := pseudoRandom(4, 100000)
	f.put("r.2", data, true)
	for range 2 {
		resp, body, err := f.getAll("/mn/v2/object/r.2", "Range", "bytes=5-9")
		require.NoError(t, err)
		assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.Equal(t, data[5:10], body)
	}
	assert.Equal(t, float64(2*len(data)), f.metric("verified_bytes"))
}

// TestVerifyOff sends files as they are: no hashing, so a corrupt object goes out whole
// (the mode is for stores checked offline).
func TestVerifyOff(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Verify = VerifyOff })
	data := pseudoRandom(5, 300000)
	cid := f.put("off.1", data, true)
	bad := clone(data)
	bad[7] ^= 1
	f.overwrite(cid, bad)
	resp, body, err := f.getAll("/mn/v2/object/off.1")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, bad, body)
	resp, body, err = f.getAll("/mn/v2/object/off.1", "Range", "bytes=1-20")
	require.NoError(t, err)
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, bad[1:21], body)
	assert.Zero(t, f.metric("verified_bytes"))
}

// TestUnverifiedReadNeedsTheToken: the native route sends the bytes on disk, unverified, only
// to a holder of the write token who asks; anyone else asking gets the verified read.
func TestUnverifiedReadNeedsTheToken(t *testing.T) {
	f := newFixture(t, nil)
	data := pseudoRandom(6, 2000)
	cid := f.put("raw.1", data, true)
	bad := clone(data)
	bad[1999] ^= 1
	f.overwrite(cid, bad)
	resp, _, _ := f.getAll("/hs/v1/object/raw.1", "X-HashStore-Verify", "off")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "no token: verified, refused")
	resp, body, err := f.getAll("/hs/v1/object/raw.1", "X-HashStore-Verify", "off", "Authorization", "Bearer "+testToken)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, bad, body)
	resp, _, _ = f.getAll("/hs/v1/object/raw.1", "Authorization", "Bearer "+testToken)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the token alone does not turn verification off")
}

// TestConditionalGet: a client holding the object (by its ETag, the cid) gets 304.
func TestConditionalGet(t *testing.T) {
	f := newFixture(t, nil)
	cid := f.put("cond.1", []byte("some bytes"), true)
	resp, body, err := f.getAll("/mn/v2/object/cond.1", "If-None-Match", `"`+cid+`"`)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)
	resp, _, _ = f.getAll("/mn/v2/object/cond.1", "If-None-Match", `"other"`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
